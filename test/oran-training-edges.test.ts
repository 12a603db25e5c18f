/**
 * O-RAN training jobs beyond the happy path, on every dialect: deleting a running job stops its
 * run, the feature group deduced from the MME `inputDataType`, the create-time checks (model
 * location, pipelines), refused notifications are not retried, and unknown/malformed ids.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import {
  FEATURES,
  setUpOran,
  until,
  uploadPipeline,
  V1,
  type Notification,
  type OranSetup,
} from './oran-helpers.js';
import { waitRun, type Json, type RunsTestApp } from './runs-helpers.js';

const JOBS = `${V1}/training-jobs`;
const MME = '/ai-ml-model-registration/v1';

const job = (
  model: string,
  opts: { fg?: string; pipeline?: string; retrain?: string; extra?: Json } = {},
) => ({
  modelId: { modelName: model, modelVersion: '1' },
  trainingConfig: {
    description: 'edge',
    dataPipeline: { feature_group_name: opts.fg ?? 'edge_fg', query_filter: '', arguments: {} },
    trainingPipeline: {
      training_pipeline_name: opts.pipeline ?? 'builtin.gbdt',
      training_pipeline_version: '1',
      retraining_pipeline_name: opts.retrain ?? 'builtin.gbdt',
      retraining_pipeline_version: '1',
    },
  },
  ...opts.extra,
});

for (const dialect of dialectsUnderTest()) {
  describe(`O-RAN training job edge cases (${dialect})`, () => {
    let t: RunsTestApp;
    let setup: OranSetup;
    let hookUrl: string;
    let received: Notification[];
    const post = (payload: unknown) => t.app.inject({ method: 'POST', url: JOBS, payload: payload as Json });
    before(async () => {
      // Every notification is refused: the server must log it and move on, never retry.
      setup = await setUpOran(dialect, { featureGroup: 'edge_fg', hookStatus: 503 });
      ({ t, hookUrl, received } = setup);
    });
    after(() => setup.close());

    test('deleting a running job stops its run; refused notifications are sent once each', async () => {
      assert.equal((await t.app.inject(uploadPipeline('slow_pipe', 'sleep 30'))).statusCode, 200);
      const res = await post({
        ...job('slow_model', { pipeline: 'slow_pipe' }),
        notificationDestination: `${hookUrl}/slow`,
      });
      assert.equal(res.statusCode, 201, res.body);
      const { id, run_id: runId } = res.json() as Json;
      await until(
        'training',
        async () => ((await t.app.inject({ url: `${JOBS}/${id}/status` })).json() as Json).TRAINING,
        (s) => s === 'IN_PROGRESS',
      );
      const del = await t.app.inject({ method: 'DELETE', url: `${JOBS}/${id}` });
      assert.equal(del.statusCode, 204);
      assert.equal((await waitRun(t, runId as string, undefined, 20_000)).state, 'cancelled');
      assert.equal((await t.app.inject({ url: `${JOBS}/${id}/status` })).statusCode, 404);
      const maps = received.filter((n) => n.url === '/slow').map((n) => JSON.stringify(n.body));
      assert.ok(maps.length >= 2, `${maps.length} notifications`);
      assert.equal(new Set(maps).size, maps.length, 'a refused notification was sent again');
    });

    test('empty feature_group_name: the group whose feature list is the model inputDataType', async () => {
      const reg = await t.app.inject({
        method: 'POST',
        url: `${MME}/model-registrations`,
        payload: {
          modelId: { modelName: 'deduced', modelVersion: '1' },
          modelInformation: { inputDataType: FEATURES },
        },
      });
      assert.equal(reg.statusCode, 201, reg.body);
      const res = await post(job('deduced', { fg: '' }));
      assert.equal(res.statusCode, 201, res.body);
      const run = await t.app.inject({ url: `/api/v1/runs/${(res.json() as Json).run_id}` });
      assert.equal((run.json() as Json).featureGroup, 'edge_fg', run.body);

      const orphan = await t.app.inject({
        method: 'POST',
        url: `${MME}/model-registrations`,
        payload: {
          modelId: { modelName: 'orphan', modelVersion: '1' },
          modelInformation: { inputDataType: 'x,y' },
        },
      });
      assert.equal(orphan.statusCode, 201);
      const none = await post(job('orphan', { fg: '' }));
      assert.equal(none.statusCode, 400);
      assert.match((none.json() as Json).detail, /0 feature groups match the model's inputDataType 'x,y'/);
    });

    test('create-time checks: modelLocation must be the registered one, pipelines must exist', async () => {
      const reg = await t.app.inject({
        method: 'POST',
        url: `${MME}/model-registrations`,
        payload: { modelId: { modelName: 'located', modelVersion: '1' }, modelLocation: 's3://m/located' },
      });
      assert.equal(reg.statusCode, 201, reg.body);
      const wrong = await post(job('located', { extra: { modelLocation: 's3://m/elsewhere' } }));
      assert.equal(wrong.statusCode, 400);
      assert.match((wrong.json() as Json).detail, /differs from the registered 's3:\/\/m\/located'/);
      // A registered location means retraining: the retraining pipeline is used and required.
      const noRetrain = await post(
        job('located', { retrain: '', extra: { modelLocation: 's3://m/located' } }),
      );
      assert.equal(noRetrain.statusCode, 400);
      assert.equal((noRetrain.json() as Json).detail, 'Provide retraining pipeline name and version');
      const noTrain = await post(job('fresh_model', { pipeline: '' }));
      assert.equal(noTrain.statusCode, 400);
      assert.match((noTrain.json() as Json).detail, /training_pipeline_name/);
      const badUrl = await post(job('fresh_model', { extra: { notificationDestination: 'ftp://x' } }));
      assert.equal(badUrl.statusCode, 400);
      const noModel = await post({ trainingConfig: job('x').trainingConfig });
      assert.equal(noModel.statusCode, 400);
      assert.match((noModel.json() as Json).detail, /modelId/);
      const badFilter = job('filtered_model');
      badFilter.trainingConfig.dataPipeline.query_filter = 'petal AND AND';
      const filtered = await post(badFilter);
      assert.equal(filtered.statusCode, 400, filtered.body);
      assert.match((filtered.json() as Json).detail, /^query_filter: /);
      // Nothing half-written: no refused request left a job or a new MME registration behind.
      for (const model of ['fresh_model', 'filtered_model']) {
        const info = await t.app.inject({ url: `${MME}/getModelInfo/${model}` });
        assert.deepEqual(info.json(), [], model);
      }
      const jobs = (await t.app.inject({ url: JOBS })).json() as Json[];
      assert.ok(
        !jobs.some((j) => ['located', 'fresh_model', 'filtered_model'].includes(j.modelId.modelname)),
      );
    });

    test('unreachable datalake: 503 at create, nothing left behind (the TM answers 500)', async () => {
      const fg = await t.app.inject({
        method: 'POST',
        url: `${V1}/featureGroup`,
        payload: {
          featuregroup_name: 'down_fg',
          feature_list: 'pdcpBytesDl',
          datalake_source: 'InfluxSource',
          host: '127.0.0.1',
          port: '1',
          bucket: 'UEData',
          token: 't',
          db_org: 'primary',
          measurement: 'liveCell',
          enable_dme: false,
        },
      });
      assert.equal(fg.statusCode, 201, fg.body);
      const res = await post(job('down_model', { fg: 'down_fg' }));
      assert.equal(res.statusCode, 503, res.body);
      assert.equal((res.json() as Json).title, 'Service Unavailable');
      assert.match((res.json() as Json).detail, /InfluxDB at 127\.0\.0\.1:1 is unreachable/);
      assert.deepEqual((await t.app.inject({ url: `${MME}/getModelInfo/down_model` })).json(), []);
      assert.deepEqual((await t.app.inject({ url: `${JOBS}/down_model/1` })).json(), []);
    });

    test('failing training: TRAINING FAILED, later steps NOT_STARTED, no model, failure notified', async () => {
      assert.equal(
        (await t.app.inject(uploadPipeline('bad_pipe', 'echo broken >&2; exit 3'))).statusCode,
        200,
      );
      const res = await post({
        ...job('broken_model', { pipeline: 'bad_pipe' }),
        notificationDestination: `${hookUrl}/broken`,
      });
      assert.equal(res.statusCode, 201, res.body);
      const { id } = res.json() as Json;
      const status = await until(
        'training failure',
        async () => (await t.app.inject({ url: `${JOBS}/${id}/status` })).json() as Json,
        (s) => s.TRAINING === 'FAILED',
      );
      assert.deepEqual(status, {
        DATA_EXTRACTION: 'FINISHED',
        DATA_EXTRACTION_AND_TRAINING: 'FINISHED',
        TRAINING: 'FAILED',
        TRAINING_AND_TRAINED_MODEL: 'NOT_STARTED',
        TRAINED_MODEL: 'NOT_STARTED',
      });
      const got = (await t.app.inject({ url: `${JOBS}/${id}` })).json() as Json;
      assert.equal(got.model_url, '');
      assert.equal(got.modelId.artifactversion, '0.0.0');
      await until(
        'failure notification',
        async () => received.filter((n) => n.url === '/broken').map((n) => n.body.TRAINING as string),
        (s) => s.includes('FAILED'),
      );
    });

    test('pipelines catalogue: one pipeline, its versions, 404 and 400', async () => {
      for (const v of ['1', '2']) {
        const up = await t.app.inject(uploadPipeline('cat_pipe', `echo v${v}`));
        assert.equal(up.statusCode, 200, up.body);
        assert.equal((up.json() as Json).version, v);
      }
      const one = await t.app.inject({ url: '/pipelines/cat_pipe' });
      assert.equal(one.statusCode, 200, one.body);
      assert.equal((one.json() as Json).pipeline_name, 'cat_pipe');
      const versions = await t.app.inject({ url: '/pipelines/cat_pipe/versions' });
      assert.deepEqual((versions.json() as Json).versions_list, ['1', '2']);
      assert.equal((await t.app.inject({ url: '/pipelines/builtin.gbdt' })).statusCode, 200);
      const missing = await t.app.inject({ url: '/pipelines/no_such/versions' });
      assert.equal(missing.statusCode, 404);
      assert.equal((missing.json() as Json).title, 'Not Found');
      const noFile = await t.app.inject({ method: 'POST', url: '/pipelines/x/upload', payload: {} });
      assert.equal(noFile.statusCode, 400);
    });

    test('unknown and malformed ids: 404 / 400 ProblemDetails on every job route', async () => {
      for (const url of [`${JOBS}/9999`, `${JOBS}/9999/status`, `${JOBS}/get-model-metrics/9999`]) {
        const r = await t.app.inject({ url });
        assert.equal(r.statusCode, 404, url);
        assert.match(r.headers['content-type'] as string, /^application\/problem\+json/);
        assert.deepEqual(Object.keys(r.json() as Json).sort(), ['detail', 'status', 'title']);
      }
      const metrics = await t.app.inject({
        method: 'POST',
        url: `${JOBS}/update-model-metrics/9999`,
        payload: { accuracy: 1 },
      });
      assert.equal(metrics.statusCode, 404);
      const bad = await t.app.inject({ url: `${JOBS}/abc` });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal((bad.json() as Json).title, 'Bad Request');
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${JOBS}/-1` })).statusCode, 400);
    });
  });
}
