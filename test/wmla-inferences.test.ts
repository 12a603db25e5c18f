/**
 * WMLA batch inferences (/inferences) on predict jobs: startpredict (multipart CSV files), the
 * JSON create, results, threshold, list filter, stop/delete rules, bad inputs, and a job left
 * running by a dead server that is run again after a restart. Both dialects.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { buildApp, type BuiltApp } from '../src/app.js';
import { parseCsv, saveModel, train } from '../src/learn/index.js';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { linearModelBytes } from './helpers/deployments.js';

const INF = '/platform/rest/deeplearning/v1/inferences';

function form(fields: Record<string, string>, files: Array<[field: string, name: string, body: string]>) {
  const b = 'modelyard-test-boundary';
  let payload = '';
  for (const [k, v] of Object.entries(fields))
    payload += `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  for (const [field, name, body] of files)
    payload += `--${b}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n${body}\r\n`;
  payload += `--${b}--\r\n`;
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

/** A logistic classifier: label "yes" when x > 0. */
function classifierBytes(): Uint8Array {
  let csv = 'x,label\n';
  for (let i = -20; i <= 20; i++) if (i !== 0) csv += `${i / 4},${i > 0 ? 'yes' : 'no'}\n`;
  return saveModel(train('logistic_regression', parseCsv(Buffer.from(csv)), 'label', {}).model);
}

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA inferences (${dialect})`, () => {
    let t: TestApp;
    let app: BuiltApp['app'];
    before(async () => {
      t = await createTestApp(dialect);
      app = t.app;
      await app.ready();
      const m = await t.services.registry.create(
        { name: 'dli-lin', project: 'wmla', framework: 'PyTorch' },
        'test',
      );
      await t.services.registry.putArtifact(m.id, 'model.myd', linearModelBytes(3));
      const c = await t.services.registry.create({ name: 'clf', framework: 'modelyard' }, 'test');
      await t.services.registry.putArtifact(c.id, 'model.myd', classifierBytes());
    });
    after(() => t.close());

    /** Polls a prediction until it leaves SUBMITTED/RUNNING (generous deadline: shared machine). */
    async function ended(name: string) {
      const until = Date.now() + 120_000;
      for (;;) {
        const r = await app.inject({ url: `${INF}/${name}` });
        assert.equal(r.statusCode, 200, r.body);
        const state = r.json().state as string;
        if (!['SUBMITTED', 'RUNNING'].includes(state)) return r.json();
        if (Date.now() > until) assert.fail(`prediction ${name} still ${state}`);
        await sleep(50);
      }
    }

    test('startpredict scores CSV files with a WMLA model; results; list by model; 409 on a reused name', async () => {
      const f = form({ modelname: 'dli-lin', predictname: 'p1', threshold: '0.5', signame: 'sig1' }, [
        ['image0', 'first.csv', 'a,b\n1,1\n2,2\n'],
        ['image1', 'second.csv', 'a,b\n0,1\n'],
      ]);
      const r = await app.inject({ method: 'POST', url: `${INF}/startpredict`, ...f });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().predictname, 'p1');
      assert.deepEqual(r.json().inputs, ['first.csv', 'second.csv']);
      const d = await ended('p1');
      assert.equal(d.state, 'FINISHED', JSON.stringify(d));
      assert.equal(d.samples, 3);
      assert.equal(d.signame, 'sig1');
      assert.equal(d.status, 'FINISHED');
      assert.equal(d.inputfiles, 'first.csv,second.csv');
      assert.equal(typeof d.user, 'string');

      const res = (await app.inject({ url: `${INF}/p1/predicts` })).json();
      const rows = res.results[0].regressionResults as Array<{
        sampleId: string;
        inputPath: string;
        results: Array<{ prob: number }>;
      }>;
      assert.deepEqual(
        rows.map((x) => [x.sampleId, x.inputPath]),
        [
          ['first.csv#0', 'first.csv'],
          ['first.csv#1', 'first.csv'],
          ['second.csv', 'second.csv'],
        ],
      );
      const values = rows.map((x) => x.results[0]!.prob);
      for (const [got, want] of values.map((v, i) => [v, [6, 12, 3][i]!]))
        assert.ok(Math.abs(got! - want!) < 0.3, `${values.join()}`);

      const page = (await app.inject({ url: `${INF}/p1/predicts?start=1&length=1` })).json();
      assert.equal(page.total, 3);
      assert.deepEqual(
        page.results[0].regressionResults.map((x: { sampleId: string }) => x.sampleId),
        ['first.csv#1'],
      );

      const dup = await app.inject({ method: 'POST', url: `${INF}/startpredict`, ...f });
      assert.equal(dup.statusCode, 409, dup.body);

      const list = (await app.inject({ url: `${INF}?modelname=dli-lin` })).json();
      assert.deepEqual(
        list.map((x: { name: string }) => x.name),
        ['p1'],
      );
      assert.deepEqual((await app.inject({ url: `${INF}?modelname=other` })).json(), []);
      const flag = await app.inject({ url: `${INF}?modelname=dli-lin&flag=1` });
      assert.equal(flag.statusCode, 400);
      assert.match(flag.json().message, /flag .*not supported/);
    });

    test('POST /inferences (JSON): a classifier, labels sorted by probability and cut at the threshold', async () => {
      const create = (predictname: string, threshold: number) =>
        app.inject({
          method: 'POST',
          url: INF,
          payload: {
            modelname: 'clf/1',
            predictname,
            threshold,
            data_type: 'text:csv',
            data_value: [{ key: 's1', value: 'x\n3\n' }],
          },
        });
      const all = await create('c-all', 0);
      assert.equal(all.statusCode, 201, all.body);
      assert.equal((await ended('c-all')).state, 'FINISHED');
      const res = (await app.inject({ url: `${INF}/c-all/predicts` })).json();
      const labels = res.results[0].classificationResults[0].results as Array<{
        label: string;
        prob: number;
      }>;
      assert.deepEqual(
        labels.map((l) => l.label),
        ['yes', 'no'],
      );
      assert.ok(labels[0]!.prob > 0.5 && labels[0]!.prob >= labels[1]!.prob);
      await create('c-cut', 0.5);
      await ended('c-cut');
      const cut = (await app.inject({ url: `${INF}/c-cut/predicts` })).json();
      assert.deepEqual(
        cut.results[0].classificationResults[0].results.map((l: { label: string }) => l.label),
        ['yes'],
      );
    });

    test('bad inputs: each a 4xx naming the field', async () => {
      const start = (fields: Record<string, string>, files: Array<[string, string, string]>) =>
        app.inject({ method: 'POST', url: `${INF}/startpredict`, ...form(fields, files) });
      const csv: Array<[string, string, string]> = [['image0', 'x.csv', 'a,b\n1,1\n']];
      const cases: Array<[Record<string, string>, Array<[string, string, string]>, number, RegExp]> = [
        [{ modelname: 'dli-lin' }, csv, 400, /predictname/],
        [{ predictname: 'b1' }, csv, 400, /modelname/],
        [{ modelname: 'nope', predictname: 'b2' }, csv, 404, /modelname/],
        [{ modelname: 'dli-lin', predictname: 'b3' }, [['image0', 'cat.png', 'PNG']], 400, /image0.*image/],
        [{ modelname: 'dli-lin', predictname: 'b4', threshold: 'high' }, csv, 400, /threshold/],
        [{ modelname: 'dli-lin', predictname: 'b5', threshold: '2' }, csv, 400, /threshold/],
        [{ modelname: 'dli-lin', predictname: 'b6' }, [], 400, /file/],
        [{ modelname: 'dli-lin', predictname: 'bad name!' }, csv, 400, /predictname/],
      ];
      for (const [fields, files, status, re] of cases) {
        const r = await start(fields, files);
        assert.equal(r.statusCode, status, `${JSON.stringify(fields)} → ${r.body}`);
        assert.match(r.json().message, re);
      }
      const img = await app.inject({
        method: 'POST',
        url: INF,
        payload: { modelname: 'dli-lin', predictname: 'b7', data_type: 'image:raw_data', data_value: [] },
      });
      assert.equal(img.statusCode, 400);
      assert.match(img.json().message, /data_type/);
      // Nothing was created by a refused request.
      for (const n of ['b1', 'b3', 'b4', 'b6'])
        assert.equal((await app.inject({ url: `${INF}/${n}` })).statusCode, 404);
      assert.equal((await app.inject({ url: `${INF}/nope/predicts` })).statusCode, 404);
    });

    test('a wrong-shaped CSV fails the job with the reason', async () => {
      const r = await app.inject({
        method: 'POST',
        url: `${INF}/startpredict`,
        ...form({ modelname: 'dli-lin', predictname: 'f1' }, [['data', 'wrong.csv', 'zz\n1\n']]),
      });
      assert.equal(r.statusCode, 200, r.body);
      const d = await ended('f1');
      assert.equal(d.state, 'FAILED');
      assert.ok(d.reason.length > 0);
    });

    test('stop and delete: an ended job cannot be stopped; an active one cannot be deleted until stopped', async () => {
      assert.equal((await app.inject({ method: 'PUT', url: `${INF}/p1/stop` })).statusCode, 400);
      // A job waiting its turn (made so through the table: jobs run too fast to catch queued).
      await t.deps.db
        .updateTable('predict_jobs')
        .set({ state: 'queued' })
        .where('name', '=', 'c-cut')
        .execute();
      const { id } = await t.deps.db
        .selectFrom('predict_jobs')
        .select('id')
        .where('name', '=', 'c-cut')
        .executeTakeFirstOrThrow();
      assert.ok((await t.deps.blobs.list(`predict-jobs/${id}/`)).length > 0);
      assert.equal((await app.inject({ method: 'DELETE', url: `${INF}/c-cut` })).statusCode, 409);
      const s = await app.inject({ method: 'PUT', url: `${INF}/c-cut/stop` });
      assert.equal(s.statusCode, 200, s.body);
      assert.equal(s.json().state, 'KILLED');
      assert.equal((await app.inject({ method: 'DELETE', url: `${INF}/c-cut` })).statusCode, 200);
      assert.equal((await app.inject({ url: `${INF}/c-cut` })).statusCode, 404);
      assert.deepEqual(await t.deps.blobs.list(`predict-jobs/${id}/`), [], 'inputs and results removed');
    });

    test('restart: a job a dead server left running is run again by the next one', async () => {
      // The server "died" while p1 was running: its row says running, no result yet.
      await t.deps.db
        .updateTable('predict_jobs')
        .set({ state: 'running', result_key: null, samples: 0, ended_at: null })
        .where('name', '=', 'p1')
        .execute();
      await app.close();
      const again = await buildApp(t.deps);
      app = again.app;
      await app.ready();
      const d = await ended('p1');
      assert.equal(d.state, 'FINISHED');
      assert.equal(d.samples, 3);
      const res = (await app.inject({ url: `${INF}/p1/predicts` })).json();
      assert.equal(res.results[0].regressionResults.length, 3);
      await app.close();
    });
  });
}
