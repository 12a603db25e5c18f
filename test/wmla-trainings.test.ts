/**
 * WMLA trainings and validations on every dialect: a built-in GBDT training of a WMLA model on a
 * WMLA CSV dataset, its weight file and validations with exact metric values; a user-code training
 * (node) that sees config.json; stop, delete, and every 400/404/409.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectsUnderTest } from './helpers/db.js';
import { createRunsTestApp, type Json, type RunsTestApp } from './runs-helpers.js';

const BASE = '/platform/rest/deeplearning/v1';

/** Two classes separated by a gap in x1 (any tree learner classifies them perfectly). */
function pointsCsv(): string {
  const lines = ['x1,x2,label'];
  for (let i = 0; i < 200; i++) {
    const positive = i % 3 === 0;
    const x1 = positive ? 0.6 + ((i * 37) % 100) / 250 : ((i * 53) % 100) / 250;
    lines.push(`${x1.toFixed(4)},${((i * 71) % 97) / 97},${positive ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

async function until(t: RunsTestApp, m: string, name: string, states: string[]): Promise<Json> {
  const end = Date.now() + 90_000;
  for (;;) {
    const r = (await t.app.inject({ url: `${BASE}/models/${m}/trainings/${name}` })).json() as Json;
    if (states.includes(r.status as string)) return r;
    if (Date.now() > end) throw new Error(`training ${m}/${name} still ${JSON.stringify(r)} after 90 s`);
    await sleep(50);
  }
}

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA trainings and validations (${dialect})`, () => {
    let t: RunsTestApp;
    const post = (url: string, payload: unknown) =>
      t.app.inject({ method: 'POST', url: `${BASE}${url}`, payload: payload as Json });
    const put = (url: string, payload?: unknown) =>
      t.app.inject({ method: 'PUT', url: `${BASE}${url}`, ...(payload ? { payload: payload as Json } : {}) });
    const get = (url: string) => t.app.inject({ url: `${BASE}${url}` });
    const del = (url: string) => t.app.inject({ method: 'DELETE', url: `${BASE}${url}` });

    async function model(name: string, extra: Json = {}, files: Record<string, string> = {}) {
      const res = await post('/models', { name, templatename: 'tpl', ...extra });
      assert.equal(res.statusCode, 201, res.body);
      for (const [filename, content] of Object.entries(files))
        assert.equal((await put(`/models/${name}/files`, { filename, content })).statusCode, 200);
    }

    before(async () => {
      t = await createRunsTestApp(dialect);
      const path = join(t.deps.config.dataDir, 'points.csv');
      writeFileSync(path, pointsCsv());
      const tpl = await post('/modeltemplates', {
        name: 'tpl',
        path: '/templates/tpl',
        framework: 'PyTorch',
      });
      assert.equal(tpl.statusCode, 201, tpl.body);
      const ds = await post('/datasets', {
        name: 'points',
        dbbackend: 'CSV',
        datasourcetype: 'CSV',
        sigid: 'sig1',
        trainpath: path,
        valpercentage: 30,
        testpercentage: 10,
        target: 'label',
        seed: 7,
      });
      assert.equal(ds.statusCode, 201, ds.body);
    });
    after(() => t.close());

    test('built-in training: FINISHED, weight file, names; validations with exact metrics', async () => {
      await model('clf', { dataset: 'points', hyperparameter: { n_estimators: 10 } });
      const res = await post('/models/clf/trainings', {
        trainName: 't1',
        dlFramework: 'builtin.gbdt',
        clusterSize: 1,
      });
      assert.equal(res.statusCode, 201, res.body);
      const created = res.json() as Json;
      assert.equal(created.trainName, 't1');
      assert.equal(created.testInterval, 100);
      assert.equal(created.testIteration, 10);
      assert.equal(created.user, 'local');
      assert.ok(created.appid);
      const done = await until(t, 'clf', 't1', ['FINISHED', 'FAILED', 'KILLED']);
      assert.equal(done.status, 'FINISHED', JSON.stringify(done));
      assert.equal(done.progress, '100%');
      assert.equal(done.dataset, 'points');
      assert.ok(done.modelVersionId);
      const weights = await get('/models/clf/trainings/t1/weightfile');
      assert.equal(weights.statusCode, 200);
      assert.equal(weights.rawPayload.subarray(0, 4).toString('latin1'), 'MYLM');
      assert.deepEqual((await get('/models/clf/trainingnames')).json(), ['t1']);
      assert.deepEqual(
        ((await get('/models/clf/trainings')).json() as Json[]).map((x) => x.trainName),
        ['t1'],
      );
      const dup = await post('/models/clf/trainings', {
        trainName: 't1',
        dlFramework: 'builtin.gbdt',
        clusterSize: 1,
      });
      assert.equal(dup.statusCode, 409, dup.body);

      // Expected numbers from the validation split itself.
      const rows = (await get('/datasets/points/csvs?type=validation&length=1000')).json() as Json;
      const col = (rows.header as string[]).indexOf('label');
      const n1 = (rows.rows as string[][]).filter((r) => r[col] === '1').length;
      const n0 = (rows.rows as string[][]).length - n1;
      assert.ok(n0 > 0 && n1 > 0, JSON.stringify({ n0, n1 }));

      const v1 = await post('/models/clf/validations', {
        valName: 'v1',
        trainName: 't1',
        metrics: ['Top1', 'ConfusionMatrix'],
      });
      assert.equal(v1.statusCode, 201, v1.body);
      const r1 = (v1.json() as Json).result as Json;
      assert.equal(r1.Top1, 1);
      assert.deepEqual(r1.ConfusionMatrix, {
        labels: ['0', '1'],
        matrix: [
          [n0, 0],
          [0, n1],
        ],
      });
      assert.equal((v1.json() as Json).rows, n0 + n1);

      // threshold 0: everything is predicted positive; threshold 1: nothing is.
      const all = await post('/models/clf/validations', {
        valName: 'v-all-positive',
        trainName: 't1',
        metrics: 'Top1,ConfusionMatrix,Precision,Recall',
        threshold: 0,
      });
      assert.equal(all.statusCode, 201, all.body);
      const ra = (all.json() as Json).result as Json;
      assert.equal(ra.Top1, n1 / (n0 + n1));
      assert.equal(ra.Precision, n1 / (n0 + n1));
      assert.equal(ra.Recall, 1);
      assert.deepEqual(ra.ConfusionMatrix.matrix, [
        [0, n0],
        [0, n1],
      ]);
      const none = await post('/models/clf/validations', {
        valName: 'v-none',
        trainName: 't1',
        metrics: ['accuracy', 'Recall'],
        threshold: 1,
        split: 'test',
      });
      assert.equal(none.statusCode, 201, none.body);
      const test1 = (await get('/datasets/points/csvs?type=test&length=1000')).json() as Json;
      const t0 = (test1.rows as string[][]).filter((r) => r[col] === '0').length;
      assert.equal(((none.json() as Json).result as Json).Top1, t0 / test1.total);
      assert.equal(((none.json() as Json).result as Json).Recall, 0);

      const list = (await get('/models/clf/validations')).json() as Json[];
      assert.deepEqual(list.map((v) => v.valName).sort(), ['v-all-positive', 'v-none', 'v1']);
      assert.ok(list.every((v) => v.status === 'FINISHED' && v.trainName === 't1'));
      // Stored on the trained registry version: durable.
      const version = await t.services.registry.get(done.modelVersionId as string);
      assert.ok(version.metadata.some((m) => m.key === 'evaluation:v1'));

      assert.equal(
        (await post('/models/clf/validations', { valName: 'v1', trainName: 't1', metrics: ['Top1'] }))
          .statusCode,
        409,
      );
      const badMetric = await post('/models/clf/validations', {
        valName: 'v2',
        trainName: 't1',
        metrics: ['mAP'],
      });
      assert.equal(badMetric.statusCode, 400);
      assert.match((badMetric.json() as Json).message, /mAP.*supported: Top1/);
      const regressionMetric = await post('/models/clf/validations', {
        valName: 'v2',
        trainName: 't1',
        metrics: ['RMSE'],
      });
      assert.equal(regressionMetric.statusCode, 400);
      assert.equal(
        (await post('/models/clf/validations', { valName: 'v2', trainName: 't1' })).statusCode,
        400,
      );
      assert.equal(
        (
          await post('/models/clf/validations', {
            valName: 'v2',
            trainName: 't1',
            metrics: ['Top1'],
            threshold: 2,
          })
        ).statusCode,
        400,
      );
      assert.equal(
        (await post('/models/clf/validations', { valName: 'bad name', trainName: 't1', metrics: ['Top1'] }))
          .statusCode,
        400,
      );
      assert.equal(
        (await post('/models/clf/validations', { valName: 'v2', trainName: 'nope', metrics: ['Top1'] }))
          .statusCode,
        404,
      );
      assert.equal(
        (await post('/models/nope/validations', { valName: 'v2', trainName: 't1', metrics: ['Top1'] }))
          .statusCode,
        404,
      );
      assert.equal((await get('/models/nope/validations')).statusCode, 404);

      const stopped = await put('/models/clf/validations/v1/stop');
      assert.equal(stopped.statusCode, 200, stopped.body);
      assert.equal((stopped.json() as Json).status, 'FINISHED');
      assert.equal((await put('/models/clf/validations/nope/stop')).statusCode, 404);
      assert.equal((await del('/models/clf/validations/v1')).statusCode, 200);
      assert.equal((await del('/models/clf/validations/v1')).statusCode, 404);
      assert.equal(((await get('/models/clf/validations')).json() as Json[]).length, 2);
    });

    test('regression: least squares on an exact line validates to RMSE 0 and R2 1', async () => {
      const path = join(t.deps.config.dataDir, 'line.csv');
      const lines = ['x,y'];
      for (let i = 0; i < 60; i++) lines.push(`${i / 10},${(3 * i) / 10 + 1}`);
      writeFileSync(path, `${lines.join('\n')}\n`);
      const ds = await post('/datasets', {
        name: 'line',
        dbbackend: 'CSV',
        datasourcetype: 'CSV',
        sigid: 'sig1',
        trainpath: path,
        target: 'y',
        seed: 1,
      });
      assert.equal(ds.statusCode, 201, ds.body);
      await model('reg', { dataset: 'line', hyperparameter: { alpha: 0 } });
      const res = await post('/models/reg/trainings', {
        trainName: 'r1',
        dlFramework: 'builtin.linear_regression',
        clusterSize: 1,
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal((await until(t, 'reg', 'r1', ['FINISHED', 'FAILED', 'KILLED'])).status, 'FINISHED');
      const v = await post('/models/reg/validations', {
        valName: 'v',
        trainName: 'r1',
        metrics: ['RMSE', 'MAE', 'R2'],
        split: 'test',
      });
      assert.equal(v.statusCode, 201, v.body);
      const r = (v.json() as Json).result as Json;
      assert.ok(r.RMSE < 1e-9 && r.MAE < 1e-9, JSON.stringify(r));
      assert.ok(Math.abs(r.R2 - 1) < 1e-12, JSON.stringify(r));
      const wrong = await post('/models/reg/validations', {
        valName: 'w',
        trainName: 'r1',
        metrics: ['Top1'],
      });
      assert.equal(wrong.statusCode, 400);
      assert.match((wrong.json() as Json).message, /need a classifier/);
    });

    test('user-code training gets config.json; its weight file; validation needs a built-in model', async () => {
      const script = [
        "const fs = require('fs');",
        "const cfg = JSON.parse(fs.readFileSync('config.json', 'utf8'));",
        "console.log(JSON.stringify({ metric: 'loss', value: 0.25 }));",
        "cfg.shared = fs.readFileSync('shared.txt', 'utf8');",
        "fs.writeFileSync(process.env.MODELYARD_OUTPUT_DIR + '/model.pt', JSON.stringify(cfg));",
      ].join('\n');
      // The template's files come first; the model's own files replace those of the same path.
      const tpl = await post('/modeltemplates', {
        name: 'tpl-code',
        path: '/templates/code',
        framework: 'PyTorch',
      });
      assert.equal(tpl.statusCode, 201, tpl.body);
      for (const [filename, content] of Object.entries({
        'shared.txt': 'from the template',
        'main.js': 'process.exit(3)',
      }))
        assert.equal((await put('/modeltemplates/tpl-code/files', { filename, content })).statusCode, 200);
      await model(
        'coder',
        { templatename: 'tpl-code', hyperparameter: { learningrate: 0.01, maxiteration: 5 } },
        { 'main.js': script },
      );
      const res = await post('/models/coder/trainings', {
        trainName: 'u1',
        dlFramework: 'PyTorch',
        clusterSize: 1,
        syncMode: 'ASYNC',
        testInterval: 5,
      });
      assert.equal(res.statusCode, 201, res.body);
      const done = await until(t, 'coder', 'u1', ['FINISHED', 'FAILED', 'KILLED']);
      assert.equal(done.status, 'FINISHED', JSON.stringify(done));
      const w = await get('/models/coder/trainings/u1/weightfile');
      assert.equal(w.statusCode, 200);
      assert.match(String(w.headers['content-disposition']), /model\.pt/);
      const cfg = JSON.parse(w.body) as Json;
      assert.equal(cfg.learningrate, 0.01);
      assert.equal(cfg.maxiteration, 5);
      assert.equal(cfg.testInterval, 5);
      assert.equal(cfg.testIteration, 10);
      assert.equal(cfg.syncMode, 'ASYNC');
      assert.equal(cfg.clusterSize, 1);
      assert.equal(cfg.shared, 'from the template');
      const v = await post('/models/coder/validations', { valName: 'v', trainName: 'u1', metrics: ['Top1'] });
      assert.equal(v.statusCode, 400, v.body);
      assert.match((v.json() as Json).message, /built-in/);
    });

    test('stop a running training: KILLED, delete 409 while running then 200; dataset in use 409', async () => {
      const script = "console.log('started'); setTimeout(() => {}, 120000);";
      await model('slow', { dataset: 'points' }, { 'main.js': script });
      const res = await post('/models/slow/trainings', {
        trainName: 's1',
        dlFramework: 'TensorFlow',
        clusterSize: 1,
      });
      assert.equal(res.statusCode, 201, res.body);
      await until(t, 'slow', 's1', ['RUNNING']);
      const busy = await del('/models/slow/trainings/s1');
      assert.equal(busy.statusCode, 409, busy.body);
      assert.match((busy.json() as Json).message, /RUNNING/);
      assert.equal((await del(`/datasets/points`)).statusCode, 409);
      const v = await post('/models/slow/validations', { valName: 'v', trainName: 's1', metrics: ['Top1'] });
      assert.equal(v.statusCode, 409, v.body);
      const stop = await put('/models/slow/trainings/s1/stop');
      assert.equal(stop.statusCode, 200, stop.body);
      assert.equal((await until(t, 'slow', 's1', ['KILLED', 'FAILED', 'FINISHED'])).status, 'KILLED');
      assert.equal((await put('/models/slow/trainings/s1/stop')).statusCode, 200); // ended: no-op
      assert.equal((await get('/models/slow/trainings/s1/weightfile')).statusCode, 404);
      assert.equal((await del('/models/slow/trainings/s1')).statusCode, 200);
      assert.equal((await get('/models/slow/trainings/s1')).statusCode, 404);
      assert.deepEqual((await get('/models/slow/trainingnames')).json(), []);
      assert.equal((await del('/models/slow/trainings/s1')).statusCode, 404);
    });

    test('progress while running: last reported step over maxiteration', async () => {
      const script = [
        "console.log(JSON.stringify({ metric: 'loss', value: 0.9, step: 0 }));",
        "console.log(JSON.stringify({ metric: 'loss', value: 0.5, step: 1 }));",
        'setTimeout(() => {}, 120000);',
      ].join('\n');
      await model('prog', { hyperparameter: { maxiteration: 4 } }, { 'main.js': script });
      const res = await post('/models/prog/trainings', {
        trainName: 'p1',
        dlFramework: 'PyTorch',
        clusterSize: 1,
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal((res.json() as Json).progress, '0%');
      const end = Date.now() + 90_000;
      let r: Json;
      do {
        r = (await get('/models/prog/trainings/p1')).json() as Json;
        if (r.progress === '50%') break;
        await sleep(50);
      } while (Date.now() < end);
      assert.equal(r.progress, '50%', JSON.stringify(r));
      assert.equal(r.status, 'RUNNING');
      assert.equal((await put('/models/prog/trainings/p1/stop')).statusCode, 200);
      const killed = await until(t, 'prog', 'p1', ['KILLED', 'FAILED', 'FINISHED']);
      assert.equal(killed.status, 'KILLED');
      assert.equal(killed.progress, '50%'); // what it reached
    });

    test("a model's trainings among many other runs: only its own, progress as each one's GET", async () => {
      await model('crowd', { hyperparameter: { maxiteration: 8 } });
      const runs = t.services.runs;
      const code = await runs.uploadCode('job.sh', new TextEncoder().encode('true\n'));
      // Runs no worker picks up (their queue has none), labelled as the trainings of a model.
      const park = (m: string, name: string, params: Json = { maxiteration: 8 }) =>
        runs.submit(
          {
            codeId: code.id,
            command: 'true',
            queue: 'parked',
            params,
            labels: { wmla_model: m, wmla_training: name, wmla_training_settings: '{"clusterSize":1}' },
          },
          'tester',
        );
      for (let i = 0; i < 400; i++) await park(`crowd-other${i % 5}`, `c${i}`);
      const mine = [];
      for (const name of ['q', 'r1', 'r2', 'done', 'gone']) mine.push(await park('crowd', name));
      const [, r1, r2, done, gone] = mine;
      for (const r of [r1!, r2!, done!, gone!]) await runs.internal.transition(r.id, ['queued'], 'running');
      await runs.reportMetrics(r1!.id, [{ name: 'loss', value: 0.5, step: 1 }], 'test');
      await runs.reportMetrics(r2!.id, [{ name: 'loss', value: 0.5, step: 4 }], 'test');
      await runs.reportMetrics(r2!.id, [{ name: 'acc', value: 0.9, step: 5 }], 'test');
      await runs.internal.transition(done!.id, ['running'], 'succeeded');
      await runs.internal.transition(gone!.id, ['running'], 'failed');
      assert.equal((await del('/models/crowd/trainings/gone')).statusCode, 200);

      const list = (await get('/models/crowd/trainings')).json() as Json[];
      assert.deepEqual(list.map((x) => x.trainName).sort(), ['done', 'q', 'r1', 'r2']);
      assert.deepEqual(Object.fromEntries(list.map((x) => [x.trainName, [x.status, x.progress]])), {
        q: ['SUBMITTED', '0%'],
        r1: ['RUNNING', '25%'],
        r2: ['RUNNING', '75%'],
        done: ['FINISHED', '100%'],
      });
      for (const x of list) assert.deepEqual(x, (await get(`/models/crowd/trainings/${x.trainName}`)).json());
      assert.deepEqual(((await get('/models/crowd/trainingnames')).json() as string[]).sort(), [
        'done',
        'q',
        'r1',
        'r2',
      ]);
      assert.equal((await get('/models/crowd-other3/trainings')).statusCode, 404); // runs, but no such model
    });

    test('a WMLA model keeps its dataset in use: delete 409 until the model moves or goes', async () => {
      const csv = join(t.deps.config.dataDir, 'small.csv');
      writeFileSync(csv, 'a,b\n1,0\n2,1\n3,0\n4,1\n');
      for (const name of ['small1', 'small2']) {
        const res = await post('/datasets', {
          name,
          dbbackend: 'CSV',
          datasourcetype: 'CSV',
          sigid: 's',
          trainpath: csv,
        });
        assert.equal(res.statusCode, 201, res.body);
      }
      const missing = await post('/models', { name: 'user0', templatename: 'tpl', dataset: 'nope' });
      assert.equal(missing.statusCode, 400);
      assert.match((missing.json() as Json).message, /dataset 'nope' was not found/);
      assert.equal((await get('/models/user0')).statusCode, 404);
      await model('user1', { dataset: 'small1' });
      await model('user2', { dataset: 'small2' });
      const busy = await del('/datasets/small1');
      assert.equal(busy.statusCode, 409, busy.body);
      assert.match((busy.json() as Json).message, /wmla_model/);
      assert.equal((await put('/models/user1', { dataset: 'small2' })).statusCode, 200);
      assert.equal((await del('/datasets/small1')).statusCode, 200);
      assert.equal((await del('/datasets/small2')).statusCode, 409);
      assert.equal((await del('/models/user1')).statusCode, 200);
      assert.equal((await del('/datasets/small2')).statusCode, 409); // user2 still uses it
      assert.equal((await del('/models/user2')).statusCode, 200);
      assert.equal((await del('/datasets/small2')).statusCode, 200);
    });

    test('bad requests: 400 naming the field, 404 for unknown model or training', async () => {
      await model('empty');
      const ok = { trainName: 'x', dlFramework: 'PyTorch', clusterSize: 1 };
      const cases: Array<[Json, RegExp]> = [
        [{ trainName: 'x', dlFramework: 'PyTorch' }, /clusterSize/],
        [{ ...ok, trainName: undefined }, /trainName/],
        [{ ...ok, dlFramework: undefined }, /dlFramework/],
        [{ ...ok, syncMode: 'SOMETIMES' }, /syncMode/],
        [{ ...ok, clusterSize: 0 }, /clusterSize/],
        [{ ...ok, trainName: 'a b' }, /trainName/],
        [{ ...ok, dlFramework: 'Theano' }, /dlFramework 'Theano' is unknown/],
        [{ ...ok, dlFramework: 'builtin.nope' }, /learner 'nope' is unknown/],
        [ok, /no files/],
      ];
      for (const [body, message] of cases) {
        const res = await post('/models/empty/trainings', body);
        assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`);
        assert.match((res.json() as Json).message, message);
      }
      await model('nomain', {}, { 'helper.py': 'print(1)' });
      const noMain = await post('/models/nomain/trainings', ok);
      assert.equal(noMain.statusCode, 400);
      assert.match((noMain.json() as Json).message, /cmd is required/);
      assert.equal((await post('/models/nope/trainings', ok)).statusCode, 404);
      for (const url of [
        '/models/nope/trainings',
        '/models/nope/trainingnames',
        '/models/nope/trainings/x',
        '/models/empty/trainings/x',
        '/models/empty/trainings/x/weightfile',
      ])
        assert.equal((await get(url)).statusCode, 404, url);
      assert.equal((await put('/models/empty/trainings/x/stop')).statusCode, 404);
      assert.equal((await del('/models/empty/trainings/x')).statusCode, 404);
      assert.equal((await del('/models/nope/trainings/x')).statusCode, 404);
    });
  });
}
