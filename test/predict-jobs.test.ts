/**
 * Batch prediction jobs through the native API (both dialects) and the CLI (`modelyard
 * predict-jobs`, `deployments logs --tail`, profile flags) against a live server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { runCli } from './helpers/cli.js';
import { registerLinear } from './helpers/deployments.js';

const API = '/api/v1/predict-jobs';

function form(fields: Record<string, string>, files: Array<[field: string, name: string, body: string]>) {
  const b = 'predict-jobs-boundary';
  let payload = '';
  for (const [k, v] of Object.entries(fields))
    payload += `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  for (const [field, name, body] of files)
    payload += `--${b}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n${body}\r\n`;
  payload += `--${b}--\r\n`;
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

for (const dialect of dialectsUnderTest()) {
  describe(`predict jobs API (${dialect})`, () => {
    let t: TestApp;
    let v: string;
    before(async () => {
      t = await createTestApp(dialect);
      await t.app.ready();
      v = await registerLinear(t.services, 'lin', 2);
      await t.services.registry.setAlias(v, 'production');
    });
    after(() => t.close());

    async function ended(name: string) {
      const until = Date.now() + 120_000;
      for (;;) {
        const j = (await t.app.inject({ url: `${API}/${name}` })).json();
        if (!['queued', 'running'].includes(j.state)) return j;
        if (Date.now() > until) assert.fail(`job ${name} still ${j.state}`);
        await sleep(50);
      }
    }

    test('submit, follow, results, list, stop/delete rules, bad inputs', async () => {
      const r = await t.app.inject({
        method: 'POST',
        url: API,
        ...form({ name: 'j1', model: 'lin@production' }, [['rows', 'rows.csv', 'a,b\n1,1\n3,3\n']]),
      });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().model, 'lin@production');
      const j = await ended('j1');
      assert.equal(j.state, 'succeeded', JSON.stringify(j));
      assert.equal(j.samples, 2);
      const res = (await t.app.inject({ url: `${API}/j1/results` })).json();
      assert.equal(res.model, 'lin/1');
      assert.equal(res.targetType, 'regression');
      assert.deepEqual(
        res.samples.map((s: { sampleId: string }) => s.sampleId),
        ['rows.csv#0', 'rows.csv#1'],
      );
      assert.ok(Math.abs(res.samples[1].predictions[0].score - 12) < 0.3, JSON.stringify(res.samples));
      assert.deepEqual(
        (await t.app.inject({ url: `${API}?model=lin@production` }))
          .json()
          .items.map((x: { name: string }) => x.name),
        ['j1'],
      );
      assert.equal((await t.app.inject({ method: 'POST', url: `${API}/j1/stop` })).statusCode, 400);

      for (const [fields, files, status, field] of [
        [{ model: 'lin/1' }, [['f', 'x.csv', 'a,b\n1,1\n']], 400, 'name'],
        [{ name: 'j2' }, [['f', 'x.csv', 'a,b\n1,1\n']], 400, 'model'],
        [{ name: 'j2', model: 'lin/1', threshold: 'x' }, [['f', 'x.csv', 'a,b\n1,1\n']], 400, 'threshold'],
        [{ name: 'j2', model: 'lin/1' }, [['f', 'x.csv', 'a,b\n']], 400, 'f'],
        [{ name: 'j2', model: 'lin/9' }, [['f', 'x.csv', 'a,b\n1,1\n']], 404, 'model'],
        [{ name: 'j1', model: 'lin/1' }, [['f', 'x.csv', 'a,b\n1,1\n']], 409, null],
      ] as const) {
        const b = await t.app.inject({ method: 'POST', url: API, ...form(fields, files as never) });
        assert.equal(b.statusCode, status, `${JSON.stringify(fields)} → ${b.body}`);
        if (field) assert.equal(b.json().errors[0].field, field, b.body);
      }
      assert.equal((await t.app.inject({ url: `${API}/j2` })).statusCode, 404);
      const del = await t.app.inject({ method: 'DELETE', url: `${API}/j1` });
      assert.equal(del.statusCode, 200, del.body);
      assert.equal((await t.app.inject({ url: `${API}/j1/results` })).statusCode, 404);
    });

    test('a job holds its model version until it ends: deleting the version is 409 meanwhile', async () => {
      // Closed, the service keeps accepting jobs but runs none: the job stays queued.
      await t.services.predictJobs.close();
      try {
        const r = await t.app.inject({
          method: 'POST',
          url: API,
          ...form({ name: 'held', model: 'lin/1' }, [['rows', 'rows.csv', 'a,b\n1,1\n']]),
        });
        assert.equal(r.statusCode, 201, r.body);
        assert.equal(r.json().state, 'queued');
        assert.deepEqual(
          (await t.services.registry.referrers(v)).filter((x) => x.kind === 'predict_job'),
          [{ kind: 'predict_job', id: r.json().id }],
        );
        const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/models/${v}` });
        assert.equal(del.statusCode, 409, del.body);
        const s = await t.app.inject({ method: 'POST', url: `${API}/held/stop` });
        assert.equal(s.json().state, 'cancelled');
        assert.deepEqual(
          (await t.services.registry.referrers(v)).filter((x) => x.kind === 'predict_job'),
          [],
        );
      } finally {
        await t.services.predictJobs.resume();
      }
    });

    test('a large file (200,000 rows) is scored whole', async () => {
      const rows = ['a,b'];
      for (let i = 0; i < 200_000; i++) rows.push(`${i % 7},${i % 11}`);
      const r = await t.app.inject({
        method: 'POST',
        url: API,
        ...form({ name: 'big', model: 'lin/1' }, [['rows', 'big.csv', `${rows.join('\n')}\n`]]),
      });
      assert.equal(r.statusCode, 201, r.body);
      const j = await ended('big');
      assert.equal(j.state, 'succeeded', JSON.stringify(j));
      assert.equal(j.samples, 200_000);
      // A job that ran to its end has released its version.
      assert.deepEqual(
        (await t.services.registry.referrers(v)).filter((x) => x.kind === 'predict_job'),
        [],
      );
      const page = (await t.app.inject({ url: `${API}/big/results?offset=199998&limit=5` })).json();
      assert.equal(page.total, 200_000);
      assert.deepEqual(
        page.samples.map((x: { sampleId: string }) => x.sampleId),
        ['big.csv#199998', 'big.csv#199999'],
      );
      assert.equal((await t.app.inject({ url: `${API}/big/results?limit=0` })).statusCode, 400);
    });
  });
}

describe('predict jobs and deployment logs CLI', () => {
  let t: TestApp;
  let url: string;
  const run = (...args: string[]) => runCli(url, ...args);
  before(async () => {
    t = await createTestApp('sqlite');
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    await registerLinear(t.services, 'lin', 1);
  });
  after(() => t.close());

  test('predict-jobs submit --wait, results, list; deployments profile flags and logs --tail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelyard-pj-'));
    const file = join(dir, 'in.csv');
    writeFileSync(file, 'a,b\n1,1\n');
    const s = await run('predict-jobs', 'submit', 'cli1', 'lin/1', file, '--wait');
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /state\s+succeeded/);
    const res = await run('predict-jobs', 'results', 'cli1');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^in\.csv\tPredictions=2\.\d+/m);
    assert.match((await run('predict-jobs', 'list')).stdout, /^cli1\s+succeeded\s+lin\/1/m);
    const bad = await run('predict-jobs', 'submit', 'cli2', 'lin/1', join(dir, 'missing.csv'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /cannot read/);

    const c = await run(
      'deployments',
      'create',
      'web',
      'lin/1',
      '--gpu',
      'shared',
      '--scale-down-delay',
      '45',
    );
    assert.equal(c.code, 0, c.stderr);
    const show = JSON.parse((await run('--json', 'deployments', 'show', 'web')).stdout);
    assert.equal(show.profile.gpu, 'shared');
    assert.equal(show.profile.scaleDownDelaySeconds, 45);
    const badGpu = await run('deployments', 'update', 'web', '--gpu', 'many');
    assert.match(badGpu.stderr, /error 400: .*gpu/);
    await run('deployments', 'stop', 'web');
    const logs = await run('deployments', 'logs', 'web', '--tail', '1');
    assert.equal(logs.code, 0, logs.stderr);
    assert.deepEqual(
      logs.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\S+ /, '')),
      ['info stopped'],
    );
  });
});
