/**
 * O-RAN Training Manager on every dialect: a feature group over a dataset, a training job with
 * `builtin.gbdt` whose step notifications reach a real HTTP listener until TRAINED_MODEL FINISHED,
 * Model.zip at the bumped artifact version, retraining rule, uploaded pipelines, metrics, delete.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { unzip } from './helpers/unzip.js';
import { setUpOran, until, V1, type Notification, type OranSetup } from './oran-helpers.js';
import { type Json, type RunsTestApp } from './runs-helpers.js';

function multipart(fields: Record<string, string>, file: { name: string; content: string }) {
  const b = '----oran' + Math.random().toString(16).slice(2);
  const parts = Object.entries(fields).map(
    ([k, v]) => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
  );
  parts.push(
    `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n${file.content}\r\n--${b}--\r\n`,
  );
  return { payload: parts.join(''), headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

const snakeJob = (model: string, notificationUrl: string, pipeline = 'builtin.gbdt') => ({
  model_id: { modelname: model, modelversion: '1' },
  training_config: {
    description: 'iris classifier',
    dataPipeline: {
      feature_group_name: 'iris_fg',
      query_filter: '',
      arguments: { n_estimators: '5', max_depth: '2' },
    },
    trainingPipeline: {
      training_pipeline_name: pipeline,
      training_pipeline_version: '1',
      retraining_pipeline_name: 'builtin.gbdt',
      retraining_pipeline_version: '1',
    },
  },
  notification_url: notificationUrl,
});

for (const dialect of dialectsUnderTest()) {
  describe(`O-RAN training jobs (${dialect})`, () => {
    let t: RunsTestApp;
    let setup: OranSetup;
    let hookUrl: string;
    let received: Notification[];
    before(async () => {
      setup = await setUpOran(dialect, { featureGroup: 'iris_fg', enableDme: false });
      ({ t, hookUrl, received } = setup);
    });
    after(() => setup.close());

    test('builtin.gbdt job: 201 + Location, notifications to TRAINED_MODEL FINISHED, Model.zip 1.0.0', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: `${V1}/training-jobs`,
        payload: snakeJob('iris_model', `${hookUrl}/notify/1`),
      });
      assert.equal(res.statusCode, 201, res.body);
      const job = res.json() as Json;
      assert.equal(res.headers.location, `ai-ml-model-training/v1/training-jobs/${job.id}`);
      assert.equal(job.modelId.modelname, 'iris_model');
      assert.equal(job.notification_url, `${hookUrl}/notify/1`);
      const mine = () => received.filter((n) => n.url === '/notify/1');
      await until(
        'notifications',
        () => mine().map((n) => n.body.TRAINED_MODEL as string),
        (s) => s.includes('FINISHED'),
      );
      const notes = mine();
      assert.ok(notes.every((n) => n.type === 'application/json'));
      assert.deepEqual(Object.keys(notes[0]!.body), [
        'DATA_EXTRACTION',
        'DATA_EXTRACTION_AND_TRAINING',
        'TRAINING',
        'TRAINING_AND_TRAINED_MODEL',
        'TRAINED_MODEL',
      ]);
      assert.equal(notes[0]!.body.DATA_EXTRACTION, 'IN_PROGRESS');
      assert.ok(notes.some((n) => n.body.TRAINING === 'IN_PROGRESS'));
      assert.ok(notes.length >= 4, `${notes.length} notifications`);
      assert.ok(Object.values(notes.at(-1)!.body).every((s) => s === 'FINISHED'));

      const status = await t.app.inject({ url: `${V1}/training-jobs/${job.id}/status` });
      assert.deepEqual(status.json(), notes.at(-1)!.body);
      const got = (await t.app.inject({ url: `${V1}/training-jobs/${job.id}` })).json() as Json;
      assert.equal(got.modelId.artifactversion, '1.0.0');
      assert.match(got.model_url, /\/model\/iris_model\/1\/1\.0\.0\/Model\.zip$/);
      const zip = await t.app.inject({ url: '/model/iris_model/1/1.0.0/Model.zip' });
      assert.equal(zip.statusCode, 200, zip.body);
      assert.equal(zip.headers['content-type'], 'application/zip');
      const files = await unzip(zip.rawPayload);
      assert.ok(files.has('model.myd'), [...files.keys()].join(','));

      // The job's model id was new: it is now an MME registration.
      const info = await t.app.inject({ url: '/ai-ml-model-registration/v1/getModelInfo/iris_model' });
      assert.equal((info.json() as Json[]).length, 1);

      // Retraining: artifact version is no longer 0.0.0 → the retraining pipeline; 1.0.0 → 1.1.0.
      const again = await t.app.inject({
        method: 'POST',
        url: `${V1}/training-jobs`,
        payload: snakeJob('iris_model', '', 'no.such.pipeline'),
      });
      assert.equal(again.statusCode, 201, again.body);
      const id2 = (again.json() as Json).id as number;
      assert.equal(id2, job.id + 1);
      await until(
        'retraining',
        async () =>
          ((await t.app.inject({ url: `${V1}/training-jobs/${id2}/status` })).json() as Json).TRAINED_MODEL,
        (s) => s === 'FINISHED' || s === 'FAILED',
      );
      const byModel = (await t.app.inject({ url: `${V1}/training-jobs/iris_model/1` })).json() as Json[];
      assert.deepEqual(
        byModel.map((j) => j.id),
        [job.id, id2],
      );
      assert.equal(byModel[1]!.modelId.artifactversion, '1.1.0');
      const list = await t.app.inject({ url: `${V1}/training-jobs/` });
      assert.equal((list.json() as Json[]).length, 2);

      // Model metrics: arbitrary JSON in, the same out; {} by default.
      assert.deepEqual(
        (await t.app.inject({ url: `${V1}/training-jobs/get-model-metrics/${id2}` })).json(),
        {},
      );
      const up = await t.app.inject({
        method: 'POST',
        url: `${V1}/training-jobs/update-model-metrics/${id2}`,
        payload: { accuracy: 0.97, per_class: [1, 0.9] },
      });
      assert.equal(up.statusCode, 200);
      assert.deepEqual(up.json(), {});
      assert.deepEqual((await t.app.inject({ url: `${V1}/training-jobs/get-model-metrics/${id2}` })).json(), {
        accuracy: 0.97,
        per_class: [1, 0.9],
      });

      // Delete: 204, then 404 ProblemDetails (where the TM would answer 500).
      assert.equal(
        (await t.app.inject({ method: 'DELETE', url: `${V1}/training-jobs/${id2}` })).statusCode,
        204,
      );
      const gone = await t.app.inject({ url: `${V1}/training-jobs/${id2}` });
      assert.equal(gone.statusCode, 404);
      assert.match(gone.headers['content-type'] as string, /^application\/problem\+json/);
      assert.equal((gone.json() as Json).title, 'Not Found');
      assert.equal(
        (await t.app.inject({ method: 'DELETE', url: `${V1}/training-jobs/${id2}` })).statusCode,
        404,
      );
    });

    test('camelCase request, uploaded pipeline (user code) with the injected arguments', async () => {
      const script = [
        'cat "$MODELYARD_CONFIG" > "$MODELYARD_OUTPUT_DIR/config-seen.json"',
        'echo \'{"metric":"score","value":0.5}\'',
        'echo trained > "$MODELYARD_OUTPUT_DIR/model.pkl"',
      ].join('\n');
      const up = await t.app.inject({
        method: 'POST',
        url: '/pipelines/my_pipe/upload',
        ...multipart({ description: 'shell trainer' }, { name: 'train.sh', content: script }),
      });
      assert.equal(up.statusCode, 200, up.body);
      assert.equal((up.json() as Json).version, '1');
      const pipes = (await t.app.inject({ url: '/pipelines' })).json() as Json;
      const names = (pipes.pipelines as Json[]).map((p) => p.pipeline_name);
      assert.ok(names.includes('builtin.gbdt') && names.includes('my_pipe'), names.join(','));

      const res = await t.app.inject({
        method: 'POST',
        url: `${V1}/training-jobs`,
        payload: {
          modelId: { modelName: 'shell_model', modelVersion: '2' },
          trainingConfig: {
            description: 'user code',
            dataPipeline: { feature_group_name: 'iris_fg', query_filter: '', arguments: { epochs: '1' } },
            trainingPipeline: { pipeline_name: 'my_pipe', pipeline_version: '1' },
          },
          notificationDestination: `${hookUrl}/notify/camel`,
          consumerRAppId: 'rapp-1',
        },
      });
      assert.equal(res.statusCode, 201, res.body);
      const job = res.json() as Json;
      assert.equal(job.consumer_rapp_id, 'rapp-1');
      await until(
        'camel notifications',
        () => received.filter((n) => n.url === '/notify/camel').map((n) => n.body.TRAINED_MODEL as string),
        (s) => s.includes('FINISHED') || s.includes('FAILED'),
      );
      const status = (await t.app.inject({ url: `${V1}/training-jobs/${job.id}/status` })).json() as Json;
      assert.equal(status.TRAINED_MODEL, 'FINISHED', JSON.stringify(status));
      const cfg = await t.app.inject({ url: `/api/v1/runs/${job.run_id}/artifacts/config-seen.json` });
      assert.equal(cfg.statusCode, 200, cfg.body);
      const seen = cfg.json() as Json;
      assert.equal(seen.epochs ?? seen.params?.epochs, '1', cfg.body);
      assert.equal(seen.trainingjob_id ?? seen.params?.trainingjob_id, String(job.id), cfg.body);
    });

    test('bad input: ProblemDetails 400 / 404', async () => {
      const noConfig = await t.app.inject({
        method: 'POST',
        url: `${V1}/training-jobs`,
        payload: { model_id: { modelname: 'x', modelversion: '1' } },
      });
      assert.equal(noConfig.statusCode, 400);
      assert.match(noConfig.headers['content-type'] as string, /^application\/problem\+json/);
      assert.match((noConfig.json() as Json).detail, /trainingConfig/);
      const badPipe = await t.app.inject({
        method: 'POST',
        url: `${V1}/training-jobs`,
        payload: snakeJob('other_model', '', 'builtin.nope'),
      });
      assert.equal(badPipe.statusCode, 404, badPipe.body);
      // A registered model past 0.0.0 needs a retraining pipeline.
      const body = snakeJob('iris_model', '');
      body.training_config.trainingPipeline.retraining_pipeline_name = '';
      const noRetrain = await t.app.inject({ method: 'POST', url: `${V1}/training-jobs`, payload: body });
      assert.equal(noRetrain.statusCode, 400, noRetrain.body);
      assert.equal((noRetrain.json() as Json).detail, 'Provide retraining pipeline name and version');
      const noFg = snakeJob('x_model', '');
      noFg.training_config.dataPipeline.feature_group_name = 'missing_fg';
      assert.equal(
        (await t.app.inject({ method: 'POST', url: `${V1}/training-jobs`, payload: noFg })).statusCode,
        404,
      );
    });
  });
}
