/**
 * MISTK model instances on every dialect, over real HTTP: the test harness's sequence (initialize
 * → buildModel → loadData → train → saveModel → predict → savePredictions) with the files it
 * leaves checked, streamPredict, a model loaded back with buildModel?modelPath, the native API,
 * the default instance at /v1/mistk and unknown instances.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialectsUnderTest } from './helpers/db.js';
import { http, mistk, prepare, mistkSuite } from './mistk-helpers.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

for (const dialect of dialectsUnderTest()) {
  describe(`MISTK harness sequence on ${dialect}`, () => {
    const fx = mistkSuite(dialect, 'mistk-');
    const api = (path: string, method = 'GET', body?: unknown) => http(fx.server.url + path, method, body);
    const m = (name: string) => mistk(`${fx.server.url}/model-instances/${name}/v1/mistk`);

    test('native API: create, duplicate 409, bad name 400, list, show, delete, unknown 404', async () => {
      const created = await api('/api/v1/model-instances', 'POST', { name: 'scratch' });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.state, 'started');
      assert.equal(created.json.objectInfo.name, 'scratch');
      assert.equal(created.json.objectInfo.resourceVersion, 1);
      assert.match(created.json.objectInfo.creationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      assert.equal(created.json.task, null);
      const dup = await api('/api/v1/model-instances', 'POST', { name: 'scratch' });
      assert.equal(dup.status, 409);
      assert.equal(dup.json.code, 'conflict');
      const bad = await api('/api/v1/model-instances', 'POST', { name: 'Not_DNS' });
      assert.equal(bad.status, 400);
      assert.match(bad.json.detail, /lowercase/);
      const list = await api('/api/v1/model-instances');
      assert.deepEqual(
        list.json.items.map((i: { objectInfo: { name: string } }) => i.objectInfo.name),
        ['scratch'],
      );
      assert.equal((await api('/api/v1/model-instances/scratch', 'DELETE')).status, 204);
      assert.equal((await api('/api/v1/model-instances/scratch')).status, 404);
      const gone = await m('scratch').fails('GET', '/status', 404);
      assert.match(gone, /scratch/);
    });

    test('initialize → buildModel → loadData → train → saveModel → predict → savePredictions', async () => {
      assert.equal((await api('/api/v1/model-instances', 'POST', { name: 'bc' })).status, 201);
      const bc = m('bc');
      await prepare(bc, fx.data, { hyperparameters: { n_estimators: '40', max_depth: 3 } });
      await bc.ok('/train');
      const trained = await bc.until('ready');
      assert.equal((trained.payload as { target: string }).target, 'target');
      const modelDir = join(fx.dir, 'saved', 'bc');
      await bc.ok(`/saveModel?modelPath=${encodeURIComponent(modelDir)}`);
      await bc.until('ready');
      assert.ok(readFileSync(join(modelDir, 'model.myd')).length > 0);
      await bc.ok('/predict');
      await bc.until('ready');
      const outDir = join(fx.dir, 'out');
      await bc.ok(`/savePredictions?dataPath=${encodeURIComponent(outDir)}`);
      const done = await bc.until('ready');

      const [header, ...rows] = readFileSync(join(outDir, 'predictions.csv'), 'utf8').trim().split('\n');
      assert.equal(header, 'id,label,confidence');
      assert.equal(rows.length, fx.data.testRows.length);
      let right = 0;
      rows.forEach((r, i) => {
        const [id, label, confidence] = r.split(',');
        assert.equal(id, `row${i}`);
        assert.ok(Number(confidence) >= 0.5 && Number(confidence) <= 1, r);
        if (label === fx.data.testRows[i]!.split(',').at(-1)) right++;
      });
      assert.ok(right / rows.length > 0.9, `accuracy ${right / rows.length}`);

      const shown = await api('/api/v1/model-instances/bc');
      assert.equal(shown.json.state, 'ready');
      assert.equal(shown.json.task.operation, 'save_predictions');
      assert.equal(shown.json.task.status, 'complete');
      assert.match(shown.json.task.id, /^[0-9a-f]{32}$/);
      assert.equal(
        shown.json.objectInfo.resourceVersion,
        (done.objectInfo as { resourceVersion: number }).resourceVersion,
      );
    });

    test('streamPredict answers per id, with details on request; bad data is a 400 naming the id', async () => {
      const bc = m('bc');
      const [first, second] = fx.data.testRows;
      const features = (row: string) => row.split(',').slice(0, -1).join(',');
      const r = await bc.call('POST', '/streamPredict', {
        a: b64(features(first!)),
        b: b64(features(second!)),
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.json).sort(), ['a', 'b']);
      assert.equal(r.json.a.label, first!.split(',').at(-1));
      assert.ok(r.json.a.confidence > 0.5);
      const header = readFileSync(fx.data.train, 'utf8').split('\n')[0]!.split(',').slice(0, -1).join(',');
      const d = await bc.call('POST', '/streamPredict?details=True', {
        x: b64(`${header}\n${features(first!)}`),
      });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.x.label, r.json.a.label);
      assert.match(d.json.x.details, /\| class \| probability \|/);
      const bad = await bc.fails('POST', '/streamPredict', 400, {
        good: b64(features(first!)),
        broken: '***',
      });
      assert.match(bad, /'broken'/);
      const short = await bc.fails('POST', '/streamPredict', 400, { few: b64('1,2,3') });
      assert.match(short, /'few' has 3 values/);
      assert.equal((await bc.status()).state, 'ready');
    });

    test('buildModel?modelPath loads a saved model that predicts like the original', async () => {
      assert.equal((await api('/api/v1/model-instances', 'POST', { name: 'loaded' })).status, 201);
      const lm = m('loaded');
      await lm.ok('/initialize', {});
      await lm.until('initialized');
      await lm.fails(
        'POST',
        `/buildModel?modelPath=${encodeURIComponent(join(fx.dir, 'nothing-here'))}`,
        400,
      );
      await lm.ok(`/buildModel?modelPath=${encodeURIComponent(join(fx.dir, 'saved', 'bc'))}`);
      await lm.until('ready');
      await lm.ok('/loadData', { test: { objectInfo: { name: 'bc-test' }, dataPath: fx.data.test } });
      await lm.until('ready');
      await lm.ok('/predict');
      await lm.until('ready');
      const outDir = join(fx.dir, 'out-loaded');
      await lm.ok(`/savePredictions?dataPath=${encodeURIComponent(outDir)}`);
      await lm.until('ready');
      assert.equal(
        readFileSync(join(outDir, 'predictions.csv'), 'utf8'),
        readFileSync(join(fx.dir, 'out', 'predictions.csv'), 'utf8'),
      );
    });

    test('/v1/mistk addresses the instance "default", created on first use; apiVersion is plain text', async () => {
      const root = mistk(`${fx.server.url}/v1/mistk`);
      const s = await root.status();
      assert.equal(s.state, 'started');
      assert.equal((s.objectInfo as { name: string }).name, 'default');
      assert.equal((await api('/api/v1/model-instances/default')).status, 200);
      const v = await root.call('GET', '/apiVersion');
      assert.equal(v.status, 200);
      assert.match(v.type, /text\/plain/);
      assert.equal(v.text, '1.0.0');
      await root.fails('POST', '/nope', 404);
      await mistk(`${fx.server.url}/model-instances/ghost/v1/mistk`).fails('POST', '/initialize', 404, {});
    });
  });
}
