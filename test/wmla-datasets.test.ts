/**
 * WMLA `/datasets` on every dialect: a CSV import from a server path (201, detail, split counts),
 * paged CSV rows per split, stop, delete, and every 400/403/404/409.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const BASE = '/platform/rest/deeplearning/v1';

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA datasets (${dialect})`, () => {
    let t: TestApp;
    let path: string;
    const post = (payload: Json) => t.app.inject({ method: 'POST', url: `${BASE}/datasets`, payload });
    const get = (url: string) => t.app.inject({ url: `${BASE}${url}` });
    const body = (extra: Json = {}) => ({
      name: 'nums',
      dbbackend: 'CSV',
      datasourcetype: 'CSV',
      sigid: 'sig-1',
      trainpath: path,
      valpercentage: 20,
      testpercentage: 20,
      target: 'y',
      seed: 3,
      ...extra,
    });

    before(async () => {
      t = await createTestApp(dialect);
      path = join(t.deps.config.dataDir, 'nums.csv');
      const lines = ['i,x,y'];
      for (let i = 0; i < 50; i++) lines.push(`${i},${i * 2},${i % 2}`);
      writeFileSync(path, `${lines.join('\n')}\n`);
    });
    after(() => t.close());

    test('create 201 with detail, list, get, csvs paging per split, stop, delete', async () => {
      const res = await post(body());
      assert.equal(res.statusCode, 201, res.body);
      const d = res.json() as Json;
      assert.equal(d.name, 'nums');
      assert.equal(d.sigid, 'sig-1');
      assert.equal(d.trainpath, path);
      assert.equal(d.rows, 50);
      assert.equal(d.train + d.validation + d.test, 50);
      assert.equal(d.target, 'y');
      assert.deepEqual(d.columns, ['i', 'x', 'y']);
      assert.equal((await post(body())).statusCode, 409);
      const list = (await get('/datasets')).json() as Json[];
      assert.deepEqual(
        list.map((x) => x.name),
        ['nums'],
      );
      assert.equal(((await get('/datasets/nums')).json() as Json).rows, 50);

      // Every row is in exactly one split; pages of a split join up to the whole split.
      const seen: string[] = [];
      for (const [type, count] of [
        ['train', d.train],
        ['validation', d.validation],
        ['test', d.test],
      ] as const) {
        const whole = (await get(`/datasets/nums/csvs?type=${type}&length=1000`)).json() as Json;
        assert.equal(whole.total, count);
        assert.equal(whole.rows.length, count);
        assert.deepEqual(whole.header, ['i', 'x', 'y']);
        const first = (await get(`/datasets/nums/csvs?type=${type}&start=0&length=3`)).json() as Json;
        const rest = (await get(`/datasets/nums/csvs?type=${type}&start=3&length=1000`)).json() as Json;
        assert.equal(first.length, 3);
        assert.deepEqual([...first.rows, ...rest.rows], whole.rows);
        seen.push(...(whole.rows as string[][]).map((r) => r[0]!));
      }
      assert.deepEqual(
        seen.map(Number).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i),
      );
      const bad = await get('/datasets/nums/csvs?type=holdout');
      assert.equal(bad.statusCode, 400);
      assert.match((bad.json() as Json).message, /train, validation or test/);
      assert.equal((await get('/datasets/nope/csvs')).statusCode, 404);

      const stop = await t.app.inject({ method: 'PUT', url: `${BASE}/datasets/nums/stop` });
      assert.equal(stop.statusCode, 200);
      assert.equal((stop.json() as Json).status, 'FINISHED');
      assert.equal(
        (await t.app.inject({ method: 'PUT', url: `${BASE}/datasets/nope/stop` })).statusCode,
        404,
      );
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${BASE}/datasets/nums` })).statusCode, 200);
      assert.equal((await get('/datasets/nums')).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${BASE}/datasets/nums` })).statusCode, 404);
    });

    test('separate train/val/test files: the split is exactly the files; headers must match', async () => {
      const dir = t.deps.config.dataDir;
      const file = (name: string, from: number, n: number, header = 'i,x,y') => {
        const lines = [header];
        for (let i = from; i < from + n; i++) lines.push(`${i},${i * 2},${i % 2}`);
        // The validation file has no final newline: the files must still join row by row.
        writeFileSync(join(dir, name), lines.join('\n') + (name === 'val.csv' ? '' : '\n'));
        return join(dir, name);
      };
      const train = file('train.csv', 0, 30);
      const val = file('val.csv', 100, 10);
      const testFile = file('test.csv', 200, 5);
      const res = await post(body({ name: 'parts', trainpath: train, valpath: val, testpath: testFile }));
      assert.equal(res.statusCode, 201, res.body);
      const d = res.json() as Json;
      assert.deepEqual([d.train, d.validation, d.test, d.rows], [30, 10, 5, 45]);
      const ids = async (type: string) =>
        (
          ((await get(`/datasets/parts/csvs?type=${type}&length=1000`)).json() as Json).rows as string[][]
        ).map((r) => Number(r[0]));
      assert.deepEqual(
        await ids('train'),
        Array.from({ length: 30 }, (_, i) => i),
      );
      assert.deepEqual(
        await ids('validation'),
        Array.from({ length: 10 }, (_, i) => 100 + i),
      );
      assert.deepEqual(
        await ids('test'),
        Array.from({ length: 5 }, (_, i) => 200 + i),
      );

      const other = file('other.csv', 0, 3, 'i,x,z');
      const mismatch = await post(body({ name: 'parts2', trainpath: train, valpath: other }));
      assert.equal(mismatch.statusCode, 400);
      assert.match((mismatch.json() as Json).message, /valpath has the header i,x,z/);
      const missing = await post(body({ name: 'parts2', trainpath: train, testpath: join(dir, 'nope.csv') }));
      assert.equal(missing.statusCode, 400);
      assert.match((missing.json() as Json).message, /testpath/);
      assert.equal((await get('/datasets/parts2')).statusCode, 404);
    });

    test('bad input: 400 naming the field; non-CSV datasources say what is supported', async () => {
      const cases: Array<[Json, RegExp]> = [
        [body({ datasourcetype: 'LMDB' }), /datasourcetype 'LMDB' is not supported: only CSV/],
        [body({ dbbackend: 'TFRecords' }), /dbbackend/],
        [body({ trainpath: undefined }), /trainpath is required/],
        [body({ valpath: '/elsewhere/val.csv' }), /valpath '\/elsewhere\/val.csv' does not exist/],
        [body({ sigid: undefined }), /sigid/],
        [body({ sigid: 'a b' }), /sigid/],
        [body({ name: undefined }), /name/],
        [body({ valpercentage: 60, testpercentage: 40 }), /valpercentage/],
        [body({ name: 'bad name' }), /name/],
        [body({ target: 'nope' }), /nope/],
      ];
      for (const [b, message] of cases) {
        const res = await post(b);
        assert.equal(res.statusCode, 400, `${JSON.stringify(b)} → ${res.body}`);
        assert.match((res.json() as Json).message, message);
      }
      const missing = await post(body({ trainpath: join(t.deps.config.dataDir, 'missing.csv') }));
      assert.ok(missing.statusCode >= 400 && missing.statusCode < 500, missing.body);
      assert.equal((await get('/datasets/nope')).statusCode, 404);
    });

    // Last: creating a token turns authentication on for this app.
    test('importing a server path needs the admin role: an editor token is 403', async () => {
      const editor = await t.services.tokens.create({ name: 'we', role: 'editor' });
      const res = await t.app.inject({
        method: 'POST',
        url: `${BASE}/datasets`,
        headers: { authorization: `Bearer ${editor.token}` },
        payload: body({ name: 'by-editor' }),
      });
      assert.equal(res.statusCode, 403, res.body);
      assert.match((res.json() as Json).message, /admin/);
    });
  });
}
