/**
 * Datasets API on every dialect: upload, profile, versions, splits, previews, downloads, delete
 * with references, auth, and every bad input leaving no rows and no blobs behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

const FIX = join(import.meta.dirname, 'fixtures');
const known = readFileSync(join(FIX, 'datasets-api/known.csv'));
const breast = readFileSync(join(FIX, 'datasets/breast_cancer.csv'));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function upload(
  t: TestApp,
  body: string | Buffer,
  query: Record<string, string | number | boolean>,
  headers = {},
) {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/datasets?${qs}`,
    headers: { 'content-type': 'text/csv', ...headers },
    payload: body,
  });
}

for (const dialect of dialectsUnderTest()) {
  describe(`datasets API (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(async () => {
      await t.close();
    });

    test('upload profiles a known CSV: types, missing, stats, task', async () => {
      const res = await upload(t, known, {
        name: 'known',
        target: 'label',
        seed: 7,
        tags: 'demo,small',
        description: 'hand made',
      });
      assert.equal(res.statusCode, 201, res.body);
      const v = res.json() as Json;
      assert.equal(v.version, 1);
      assert.equal(v.rowCount, 6);
      assert.equal(v.sizeBytes, known.length);
      assert.equal(v.sha256, sha(known));
      assert.equal(v.task, 'binary');
      assert.equal(v.target, 'label');
      assert.deepEqual(v.labelCounts, { yes: 3, no: 3 });
      const col = (n: string) => v.columns.find((c: Json) => c.name === n);
      assert.deepEqual(
        v.columns.map((c: Json) => [c.name, c.type]),
        [
          ['id', 'int'],
          ['age', 'int'],
          ['score', 'float'],
          ['active', 'bool'],
          ['city', 'category'],
          ['joined', 'datetime'],
          ['label', 'bool'],
        ],
      );
      assert.equal(col('age').missing, 1);
      assert.equal(col('age').mean, 39.4);
      assert.ok(Math.abs(col('age').std - Math.sqrt(81.3)) < 1e-9);
      assert.equal(col('age').min, 28);
      assert.equal(col('age').max, 51);
      assert.equal(col('score').missing, 1);
      assert.equal(col('score').min, -1);
      assert.equal(col('score').max, 4);
      assert.ok(Math.abs(col('score').mean - 2.05) < 1e-12);
      assert.deepEqual(col('city').topValues, [
        { value: 'Paris', count: 3 },
        { value: 'Lyon', count: 2 },
        { value: 'Nice, FR', count: 1 },
      ]);
      assert.equal(v.split.seed, 7);
      const c = v.splitCounts;
      assert.equal(c.train + c.validation + c.test, 6);

      const ds = (await t.app.inject({ url: '/api/v1/datasets/known' })).json() as Json;
      assert.deepEqual(ds.tags, ['demo', 'small']);
      assert.equal(ds.description, 'hand made');
      assert.equal(ds.latest.version, 1);
    });

    test('re-upload makes the next immutable version; latest and version list follow', async () => {
      const before = (await t.app.inject({ url: '/api/v1/datasets/known/versions/1' })).json() as Json;
      const res = await upload(t, known.toString().split('\n').slice(0, 4).join('\n'), { name: 'known' });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().version, 2);
      assert.equal(res.json().rowCount, 3);
      const latest = (await t.app.inject({ url: '/api/v1/datasets/known/versions/latest' })).json() as Json;
      assert.equal(latest.version, 2);
      const again = (await t.app.inject({ url: '/api/v1/datasets/known/versions/1' })).json() as Json;
      assert.deepEqual(again, before);
      const list = (await t.app.inject({ url: '/api/v1/datasets/known/versions' })).json() as Json;
      assert.deepEqual(
        list.items.map((x: Json) => x.version),
        [1, 2],
      );
      const missing = await t.app.inject({ url: '/api/v1/datasets/known/versions/9' });
      assert.equal(missing.statusCode, 404);
      assert.match(missing.headers['content-type'] as string, /problem\+json/);
    });

    test('stratified splits keep class proportions and are reproducible from the seed', async () => {
      const q = {
        name: 'bc',
        target: 'target',
        stratify: true,
        seed: 42,
        train: 70,
        validation: 15,
        test: 15,
      };
      const a = (await upload(t, breast, q)).json() as Json;
      assert.equal(a.rowCount, 569);
      assert.equal(a.task, 'binary');
      assert.deepEqual(a.labelCounts, { malignant: 212, benign: 357 });
      assert.equal(a.splitCounts.train + a.splitCounts.validation + a.splitCounts.test, 569);
      assert.ok(Math.abs(a.splitCounts.train - 398) <= 1, JSON.stringify(a.splitCounts));
      const overall = 212 / 569;
      for (const split of ['train', 'validation', 'test']) {
        const page = (
          await t.app.inject({ url: `/api/v1/datasets/bc/versions/1/rows?split=${split}&length=1000` })
        ).json() as Json;
        assert.equal(page.total, a.splitCounts[split]);
        assert.equal(page.rows.length, page.total);
        const mal = page.rows.filter((r: string[]) => r[30] === 'malignant').length;
        assert.ok(Math.abs(mal / page.rows.length - overall) < 0.01, `${split}: ${mal}/${page.rows.length}`);
      }
      const b = (await upload(t, breast, q)).json() as Json;
      assert.equal(b.version, 2);
      assert.deepEqual(b.splitCounts, a.splitCounts);
      const rowsA = await t.app.inject({ url: '/api/v1/datasets/bc/versions/1/rows?split=test&length=100' });
      const rowsB = await t.app.inject({ url: '/api/v1/datasets/bc/versions/2/rows?split=test&length=100' });
      assert.deepEqual(rowsA.json().rows, rowsB.json().rows);
      const c = (await upload(t, breast, { ...q, seed: 43 })).json() as Json;
      const rowsC = await t.app.inject({
        url: `/api/v1/datasets/bc/versions/${c.version}/rows?split=test&length=100`,
      });
      assert.notDeepEqual(rowsA.json().rows, rowsC.json().rows);
    });

    test('random split honours percentages; preview pages are consistent', async () => {
      const v = (await upload(t, breast, { name: 'bc-random', seed: 1 })).json() as Json;
      assert.deepEqual(v.splitCounts, { train: 455, validation: 57, test: 57 });
      assert.equal(v.split.stratified, false);
      const url = '/api/v1/datasets/bc-random/versions/latest/rows?split=train';
      const p1 = (await t.app.inject({ url: `${url}&start=0&length=10` })).json() as Json;
      const p2 = (await t.app.inject({ url: `${url}&start=10&length=10` })).json() as Json;
      const both = (await t.app.inject({ url: `${url}&start=0&length=20` })).json() as Json;
      assert.equal(p1.columns.length, 31);
      assert.deepEqual([...p1.rows, ...p2.rows], both.rows);
      assert.equal(p2.start, 10);
      assert.equal(p2.total, 455);
      const tail = (await t.app.inject({ url: `${url}&start=450&length=20` })).json() as Json;
      assert.equal(tail.length, 5);
      const all = (
        await t.app.inject({ url: '/api/v1/datasets/bc-random/versions/1/rows?start=0&length=2' })
      ).json() as Json;
      assert.equal(all.total, 569);
      assert.deepEqual(all.rows[0], breast.toString().split('\n')[1]!.split(','));
    });

    test('download round trip keeps the bytes; split download has the split rows', async () => {
      const res = await t.app.inject({ url: '/api/v1/datasets/bc-random/versions/1/download' });
      assert.equal(res.statusCode, 200);
      assert.equal(sha(res.rawPayload), sha(breast));
      assert.match(res.headers['content-disposition'] as string, /bc-random-v1\.csv/);
      const val = await t.app.inject({
        url: '/api/v1/datasets/bc-random/versions/1/download?split=validation',
      });
      const lines = val.body.trimEnd().split('\n');
      assert.equal(lines[0], breast.toString().split('\n')[0]);
      assert.equal(lines.length, 1 + 57);
      const preview = (
        await t.app.inject({ url: '/api/v1/datasets/bc-random/versions/1/rows?split=validation&length=57' })
      ).json() as Json;
      assert.deepEqual(
        lines.slice(1).map((l) => l.split(',')),
        preview.rows,
      );
    });

    test('multipart upload with form fields', async () => {
      const boundary = '----modelyard';
      const part = (name: string, value: string) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      const payload = Buffer.concat([
        Buffer.from(
          part('name', 'mp') +
            part('target', 'label') +
            part('train', '50') +
            part('validation', '25') +
            part('test', '25') +
            part('seed', '3'),
        ),
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="known.csv"\r\nContent-Type: text/csv\r\n\r\n`,
        ),
        known,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/datasets',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload,
      });
      assert.equal(res.statusCode, 201, res.body);
      const v = res.json() as Json;
      assert.equal(v.sha256, sha(known));
      assert.deepEqual(v.split, { train: 50, validation: 25, test: 25, seed: 3, stratified: false });
      assert.deepEqual(v.splitCounts, { train: 3, validation: 2, test: 1 });
    });

    test('register a server-side path: read in place, validated', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'modelyard-reg-'));
      const file = join(dir, 'known.csv');
      writeFileSync(file, known);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/datasets',
        payload: { name: 'reg', path: file, target: 'label' },
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().source, 'path');
      assert.equal(res.json().sourcePath, file);
      assert.equal(res.json().sha256, sha(known));
      const dl = await t.app.inject({ url: '/api/v1/datasets/reg/versions/1/download' });
      assert.equal(sha(dl.rawPayload), sha(known));
      mkdirSync(join(dir, 'sub'));
      for (const [path, msg] of [
        [join(dir, 'nope.csv'), /does not exist/],
        [join(dir, 'sub'), /not a regular file/],
        ['relative.csv', /absolute/],
      ] as const) {
        const bad = await t.app.inject({
          method: 'POST',
          url: '/api/v1/datasets',
          payload: { name: 'reg', path },
        });
        assert.equal(bad.statusCode, 400);
        assert.equal(bad.json().errors[0].field, 'path');
        assert.match(bad.json().detail, msg);
      }
    });

    test('list filters by name substring and tag, with paging and total', async () => {
      const all = (await t.app.inject({ url: '/api/v1/datasets' })).json() as Json;
      assert.ok(all.total >= 5);
      const bc = (await t.app.inject({ url: '/api/v1/datasets?name=BC' })).json() as Json;
      assert.deepEqual(
        bc.items.map((d: Json) => d.name),
        ['bc', 'bc-random'],
      );
      const page = (await t.app.inject({ url: '/api/v1/datasets?name=bc&offset=1&limit=1' })).json() as Json;
      assert.equal(page.total, 2);
      assert.deepEqual(
        page.items.map((d: Json) => d.name),
        ['bc-random'],
      );
      const tagged = (await t.app.inject({ url: '/api/v1/datasets?tag=demo' })).json() as Json;
      assert.deepEqual(
        tagged.items.map((d: Json) => d.name),
        ['known'],
      );
      const patched = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/datasets/known',
        payload: { addTags: ['gold'], removeTags: ['demo'], description: 'v2 desc' },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.deepEqual(patched.json().tags, ['gold', 'small']);
      assert.equal(patched.json().description, 'v2 desc');
      const badTag = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/datasets/known',
        payload: { addTags: ['no spaces'] },
      });
      assert.equal(badTag.statusCode, 400);
      assert.equal(badTag.json().errors[0].field, 'addTags');
    });

    test('concurrent uploads of one name get distinct version numbers', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => upload(t, known, { name: 'race' })));
      assert.deepEqual(
        results.map((r) => r.statusCode),
        [201, 201, 201, 201, 201],
      );
      assert.deepEqual(results.map((r) => r.json().version).sort(), [1, 2, 3, 4, 5]);
    });

    test('delete refuses while referenced (409 listing referrers), then removes rows and blobs', async () => {
      const v = (await upload(t, known, { name: 'refd' })).json() as Json;
      await t.services.datasets.addReference(v.id, { kind: 'run', id: 'run-1' });
      await t.services.datasets.addReference(v.id, { kind: 'model', id: 'm-9' });
      assert.deepEqual((await t.services.datasets.referrersOf(v.id)).map((r) => r.id).sort(), [
        'm-9',
        'run-1',
      ]);
      for (const url of ['/api/v1/datasets/refd/versions/1', '/api/v1/datasets/refd']) {
        const res = await t.app.inject({ method: 'DELETE', url });
        assert.equal(res.statusCode, 409);
        const refs = res
          .json()
          .details.referrers.map((r: Json) => `${r.kind}:${r.id}`)
          .sort();
        assert.deepEqual(refs, ['model:m-9', 'run:run-1']);
        assert.match(res.json().detail, /run run-1/);
      }
      await t.services.datasets.removeReference(v.id, { kind: 'run', id: 'run-1' });
      await t.services.datasets.removeReference(v.id, { kind: 'model', id: 'm-9' });
      const prefix = `datasets/${v.datasetId}/`;
      assert.equal((await t.deps.blobs.list(prefix)).length, 2);
      const del = await t.app.inject({ method: 'DELETE', url: '/api/v1/datasets/refd' });
      assert.equal(del.statusCode, 204);
      assert.deepEqual(await t.deps.blobs.list(prefix), []);
      assert.equal((await t.app.inject({ url: '/api/v1/datasets/refd' })).statusCode, 404);
      const rv = (await upload(t, known, { name: 'race' })).json() as Json;
      const one = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/datasets/race/versions/${rv.version}`,
      });
      assert.equal(one.statusCode, 204);
      assert.deepEqual(await t.deps.blobs.list(`datasets/${rv.datasetId}/${rv.id}/`), []);
      assert.equal((await t.app.inject({ url: '/api/v1/datasets/race/versions/latest' })).json().version, 5);
    });

    test('viewer may read but not upload (403); unknown token 401', async () => {
      const viewer = await t.services.tokens.create({ name: 'v', role: 'viewer' });
      const editor = await t.services.tokens.create({ name: 'e', role: 'editor' });
      try {
        const denied = await upload(t, known, { name: 'nope' }, { authorization: `Bearer ${viewer.token}` });
        assert.equal(denied.statusCode, 403);
        const read = await t.app.inject({
          url: '/api/v1/datasets',
          headers: { authorization: `Bearer ${viewer.token}` },
        });
        assert.equal(read.statusCode, 200);
        const anon = await upload(t, known, { name: 'nope' });
        assert.equal(anon.statusCode, 401);
        const reg = await t.app.inject({
          method: 'POST',
          url: '/api/v1/datasets',
          headers: { authorization: `Bearer ${editor.token}` },
          payload: { name: 'nope', path: '/etc/hostname' },
        });
        assert.equal(reg.statusCode, 403, 'registering server paths is admin-only');
        const ok = await upload(t, known, { name: 'by-editor' }, { authorization: `Bearer ${editor.token}` });
        assert.equal(ok.statusCode, 201);
        assert.equal(ok.json().createdBy, 'e');
      } finally {
        await t.services.tokens.revoke(viewer.id);
        await t.services.tokens.revoke(editor.id);
      }
    });
  });
}
