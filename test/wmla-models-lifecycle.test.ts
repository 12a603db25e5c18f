/**
 * WMLA models as their clients use them with trainings, on every dialect: numbers sent as strings
 * (WMLA clients do), the weight file's name as JSON, a model in use by a running training (409)
 * and a deleted model taking its trainings with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectsUnderTest } from './helpers/db.js';
import { createRunsTestApp, type Json, type RunsTestApp } from './runs-helpers.js';

const BASE = '/platform/rest/deeplearning/v1';

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
  describe(`WMLA models with trainings (${dialect})`, () => {
    let t: RunsTestApp;
    const post = (url: string, payload: unknown) =>
      t.app.inject({ method: 'POST', url: `${BASE}${url}`, payload: payload as Json });
    const get = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ url: `${BASE}${url}`, headers });
    const del = (url: string) => t.app.inject({ method: 'DELETE', url: `${BASE}${url}` });

    before(async () => {
      t = await createRunsTestApp(dialect);
      const path = join(t.deps.config.dataDir, 'line.csv');
      const rows = ['x,y', ...Array.from({ length: 40 }, (_, i) => `${i},${2 * i + 1}`)];
      writeFileSync(path, `${rows.join('\n')}\n`);
      assert.equal(
        (await post('/modeltemplates', { name: 'tpl', path: '/t', framework: 'PyTorch' })).statusCode,
        201,
      );
      const ds = await post('/datasets', {
        name: 'line',
        dbbackend: 'CSV',
        datasourcetype: 'CSV',
        sigid: 'sig1',
        trainpath: path,
        valpercentage: '20',
        testpercentage: '10',
        target: 'y',
      });
      assert.equal(ds.statusCode, 201, ds.body);
      assert.equal((ds.json() as Json).validation, 8);
    });
    after(() => t.close());

    test('string-typed numbers are read as numbers; the weight file name as a JSON string', async () => {
      assert.equal(
        (
          await post('/models', {
            name: 'lin',
            templatename: 'tpl',
            dataset: 'line',
            hyperparameter: { alpha: 0 },
          })
        ).statusCode,
        201,
      );
      const res = await post('/models/lin/trainings', {
        trainName: 't1',
        dlFramework: 'builtin.linear_regression',
        clusterSize: '1',
        testInterval: '50',
        gpuRatio: '0.5',
      });
      assert.equal(res.statusCode, 201, res.body);
      const done = await until(t, 'lin', 't1', ['FINISHED', 'FAILED', 'KILLED']);
      assert.equal(done.status, 'FINISHED', JSON.stringify(done));
      assert.equal(done.clusterSize, 1);
      assert.equal(done.testInterval, 50);
      assert.equal(done.gpuRatio, 0.5);
      // TrainDetail {model, dataset, trainingParameters}, with the parameters also at the top level.
      const detail = (await get('/models/lin/trainings/t1')).json() as Json;
      assert.equal(detail.model, 'lin');
      assert.equal(detail.dataset, 'line');
      assert.equal(detail.trainingParameters.status, 'FINISHED');
      assert.equal(detail.trainingParameters.clusterSize, 1);
      assert.equal((await get('/models/lin')).json().user, 'local');
      // ValidateDetail's names next to ours.
      const val = await post('/models/lin/validations', { valName: 'v1', trainName: 't1', metrics: 'RMSE' });
      assert.equal(val.statusCode, 201, val.body);
      const vd = val.json() as Json;
      assert.equal(vd.modelname, 'lin');
      assert.equal(vd.dataSet, 'line');
      assert.deepEqual(vd.valParameters.metrics, ['RMSE']);
      assert.equal(vd.status, 'FINISHED');
      assert.equal(((await get('/models/lin/validations')).json() as Json[])[0]!.dataSet, 'line');
      const name = await get('/models/lin/trainings/t1/weightfile', { accept: 'application/json' });
      assert.equal(name.statusCode, 200);
      assert.match(name.headers['content-type'] as string, /application\/json/);
      assert.equal(name.json(), 'model.myd');
      const bytes = await get('/models/lin/trainings/t1/weightfile');
      assert.equal(bytes.headers['content-type'], 'application/octet-stream');
      assert.ok(bytes.rawPayload.length > 0);
    });

    test('POST /inferences with InferenceCreateParam makes an inference model of a training; EDI serves it', async () => {
      const make = (payload: Json) => post('/inferences', payload);
      const c = await make({ modelName: 'lin', trainName: 't1', inferenceModelName: 'lin-inf' });
      assert.equal(c.statusCode, 201, c.body);
      assert.equal((c.json() as Json).name, 'lin-inf');
      assert.equal((c.json() as Json).type, 'Inference');
      assert.deepEqual((await get('/models/lin-inf/files')).json(), ['model.myd']);
      assert.equal(
        (await make({ modelName: 'lin', trainName: 't1', inferenceModelName: 'lin-inf' })).statusCode,
        409,
      );
      const dflt = await make({ modelName: 'lin', trainName: 't1' });
      assert.equal(dflt.statusCode, 201, dflt.body);
      assert.equal((dflt.json() as Json).name, 'lin-t1-inference');
      const missing = await make({ modelName: 'lin' });
      assert.equal(missing.statusCode, 400);
      assert.match((missing.json() as Json).message, /trainName is required/);
      assert.equal((await make({ modelName: 'lin', trainName: 'nope' })).statusCode, 404);

      const edi = `${BASE}/edimodels`;
      const pub = await t.app.inject({
        method: 'POST',
        url: `${edi}/lin-inf`,
        payload: { runtime: 'dlipy3' },
      });
      assert.equal(pub.statusCode, 201, pub.body);
      assert.equal(
        (await t.app.inject({ method: 'PUT', url: `${edi}/lin-inf/operation/start` })).statusCode,
        200,
      );
      const r = await t.app.inject({
        method: 'POST',
        url: `${edi}/lin-inf/inference`,
        payload: {
          action_type: 'Regression',
          data_type: 'text:csv',
          data_value: [{ key: 's', value: 'x\n3\n' }],
        },
      });
      assert.equal(r.statusCode, 200, r.body);
      // The training learned y = 2x + 1 exactly.
      assert.ok(Math.abs(r.json().results[0].regressionResults[0].results[0].prob - 7) < 1e-6, r.body);
      assert.equal(
        (await t.app.inject({ method: 'PUT', url: `${edi}/lin-inf/operation/stop` })).statusCode,
        200,
      );
    });

    test('ModelCreateParam: accelerator, type, batchsize and hyperparameter are checked on create and update', async () => {
      const ok = await post('/models', {
        name: 'typed',
        templatename: 'tpl',
        accelerator: 'Elastic',
        type: 'Training',
        batchsize: '64',
        hyperparameter: { learningrate: 0.01 },
      });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal((ok.json() as Json).batchsize, 64);
      for (const [field, value, rule] of [
        ['accelerator', 'Quantum', /accelerator/],
        ['type', 'Serving', /type/],
        ['batchsize', 0, /batchsize/],
        ['hyperparameter', 'fast', /hyperparameter/],
      ] as const) {
        const bad = await post('/models', { name: `bad-${field}`, templatename: 'tpl', [field]: value });
        assert.equal(bad.statusCode, 400, field);
        assert.match((bad.json() as Json).message, rule);
        const upd = await t.app.inject({
          method: 'PUT',
          url: `${BASE}/models/typed`,
          payload: { [field]: value },
        });
        assert.equal(upd.statusCode, 400, field);
      }
      assert.equal((await get('/models/bad-type')).statusCode, 404);
      const upd = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/models/typed`,
        payload: { name: 'typed', templatename: 'tpl', type: 'Inference' },
      });
      assert.equal(upd.statusCode, 200, upd.body);
      assert.equal((upd.json() as Json).type, 'Inference');
    });

    test('template frameworks in any case (WMLA samples send tensorflow): stored and filtered as WMLA spells them', async () => {
      const c = await post('/modeltemplates', { name: 'tf-tpl', path: '/tf', framework: 'tensorflow' });
      assert.equal(c.statusCode, 201, c.body);
      assert.equal((c.json() as Json).framework, 'TensorFlow');
      for (const q of ['tensorflow', 'TensorFlow', 'TENSORFLOW'])
        assert.deepEqual(
          ((await get(`/modeltemplates?framework=${q}`)).json() as Json[]).map((x) => x.name),
          ['tf-tpl'],
        );
      const moved = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/modeltemplates/tf-tpl`,
        payload: { framework: 'pytorch' },
      });
      assert.equal(moved.statusCode, 200, moved.body);
      assert.equal((moved.json() as Json).framework, 'PyTorch');
      const bad = await post('/modeltemplates', { name: 'th-tpl', path: '/th', framework: 'theano' });
      assert.equal(bad.statusCode, 400);
      assert.match((bad.json() as Json).message, /framework must be one of Caffe, TensorFlow, PyTorch/);
    });

    test('model files: save, list, read by path or by /models/files/{f}?modelname=', async () => {
      assert.equal((await post('/models', { name: 'filed', templatename: 'tpl' })).statusCode, 201);
      const save = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/models/filed/files`,
        payload: { filename: 'main.py', content: 'print("hi")' },
      });
      assert.equal(save.statusCode, 200, save.body);
      assert.deepEqual((await get('/models/filed/files')).json(), ['main.py']);
      assert.equal((await get('/models/files/main.py?modelname=filed')).body, 'print("hi")');
      assert.equal((await get('/models/filed/files/main.py')).body, 'print("hi")');
      assert.equal((await get('/models/files/main.py')).statusCode, 400);
      assert.equal((await get('/models/files/nope.py?modelname=filed')).statusCode, 404);
      assert.equal((await get('/models/files/main.py?modelname=nope')).statusCode, 404);
    });

    test('a running training keeps its model in use (409); a deleted model takes its trainings', async () => {
      assert.equal((await post('/models', { name: 'busy', templatename: 'tpl' })).statusCode, 201);
      const code = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/models/busy/files`,
        payload: { filename: 'main.js', content: 'setTimeout(() => {}, 120000);' },
      });
      assert.equal(code.statusCode, 200, code.body);
      const res = await post('/models/busy/trainings', {
        trainName: 'b1',
        dlFramework: 'Python',
        clusterSize: 1,
        cmd: 'node main.js',
      });
      assert.equal(res.statusCode, 201, res.body);
      await until(t, 'busy', 'b1', ['RUNNING']);
      const inUse = await del('/models/busy');
      assert.equal(inUse.statusCode, 409, inUse.body);
      assert.match((inUse.json() as Json).message, /training 'b1' \(RUNNING\)/);
      assert.equal((await get('/models/busy')).statusCode, 200);
      // The use is the registry's: the native API sees it too, naming the training's run.
      const version = await t.services.registry.resolve('busy/latest', { project: 'wmla' });
      const runId = (res.json() as Json).appid as string;
      const native = await t.app.inject({ method: 'DELETE', url: `/api/v1/models/${version.id}` });
      assert.equal(native.statusCode, 409, native.body);
      assert.match(native.body, new RegExp(`run ${runId}`));

      const stop = await t.app.inject({ method: 'PUT', url: `${BASE}/models/busy/trainings/b1/stop` });
      assert.equal(stop.statusCode, 200, stop.body);
      await until(t, 'busy', 'b1', ['KILLED', 'FAILED', 'FINISHED']);
      assert.equal((await del('/models/busy')).statusCode, 200);
      assert.equal((await get('/models/busy')).statusCode, 404);
      // A new model of the same name starts without the old one's trainings; the run stays history.
      assert.equal((await post('/models', { name: 'busy', templatename: 'tpl' })).statusCode, 201);
      assert.deepEqual((await get('/models/busy/trainingnames')).json(), []);
      assert.deepEqual((await get('/models/busy/trainings')).json(), []);
      const run = (await t.app.inject({ url: `/api/v1/runs/${(res.json() as Json).appid}` })).json() as Json;
      assert.equal(run.state, 'cancelled');
    });
  });
}
