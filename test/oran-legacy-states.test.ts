/**
 * Legacy O-RAN trainingjobs state rules on every dialect: a running version (user code held at a
 * gate file) refuses edit, retraining and delete; user code gets the legacy name and version and
 * its metrics are the `accuracy`; a FAILED version is excluded from metadata and can be edited in
 * place and trained again; a never-started version can be deleted; reserved names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialectsUnderTest } from './helpers/db.js';
import { setUpOran, until, uploadPipeline, type OranSetup } from './oran-helpers.js';
import { type Json, type RunsTestApp } from './runs-helpers.js';

const body = (pipeline: string, extra: Json = {}) => ({
  featuregroup_name: 'legacy_fg',
  pipeline_name: pipeline,
  pipeline_version: pipeline.startsWith('builtin.') ? '1' : '',
  arguments: pipeline.startsWith('builtin.') ? { n_estimators: '3' } : { epochs: '1' },
  enable_versioning: false,
  ...extra,
});

for (const dialect of dialectsUnderTest()) {
  describe(`O-RAN legacy trainingjob states (${dialect})`, () => {
    let t: RunsTestApp;
    let setup: OranSetup;
    let dir: string;
    const get = async (url: string) => {
      const res = await t.app.inject({ url });
      return { status: res.statusCode, body: res.json() as Json };
    };
    const send = async (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: Json) => {
      const res = await t.app.inject({ method, url, ...(payload ? { payload } : {}) });
      return { status: res.statusCode, body: res.json() as Json };
    };
    const steps = (name: string, v: number, ok: (s: Json) => boolean) =>
      until(`${name}/${v}`, async () => (await get(`/trainingjobs/${name}/${v}/steps_state`)).body, ok);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'oran-legacy-'));
      setup = await setUpOran(dialect, { featureGroup: 'legacy_fg', enableDme: false });
      t = setup.t;
      const gate = [
        'cat "$MODELYARD_CONFIG" > "$MODELYARD_OUTPUT_DIR/config-seen.json"',
        `while [ ! -f "${dir}/gate" ]; do sleep 0.05; done`,
        'echo \'{"metric":"accuracy","value":0.75}\'',
        'echo trained > "$MODELYARD_OUTPUT_DIR/model.pkl"',
      ].join('\n');
      assert.equal((await t.app.inject(uploadPipeline('gate_pipe', gate))).statusCode, 200);
      assert.equal(
        (await t.app.inject(uploadPipeline('bad_pipe', 'echo broken >&2; exit 3'))).statusCode,
        200,
      );
    });
    after(async () => {
      writeFileSync(join(dir, 'gate'), '');
      await setup.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a running version refuses edit, retraining and delete; user code gets name and version', async () => {
      assert.equal((await send('POST', '/trainingjobs/gated_job', body('gate_pipe'))).status, 201);
      assert.equal((await send('POST', '/trainingjobs/gated_job/training')).status, 200);
      await steps('gated_job', 1, (s) => s.TRAINING === 'IN_PROGRESS');

      const put = await send('PUT', '/trainingjobs/gated_job', body('builtin.gbdt'));
      assert.equal(put.status, 400);
      assert.match(put.body.Exception, /IN_PROGRESS/);
      const retrain = await send('POST', '/trainingjobs/retraining', {
        trainingjobs_list: [{ trainingjob_name: 'gated_job' }],
      });
      assert.equal(retrain.body['failure count'], 1);
      assert.match(retrain.body.failures[0].reason, /IN_PROGRESS/);
      const del = await send('DELETE', '/trainingjobs', {
        list: [{ trainingjob_name: 'gated_job', version: 1 }],
      });
      assert.equal(del.body['success count'], 0);
      assert.match(del.body.failures[0].reason, /IN_PROGRESS/);
      const latest = (await get('/trainingjobs/latest')).body.trainingjobs as Json[];
      assert.equal(latest.find((j) => j.trainingjob_name === 'gated_job')?.overall_status, 'IN_PROGRESS');
      assert.deepEqual((await get('/trainingjobs/metadata/gated_job')).body, { Successed_metadata: [] });

      writeFileSync(join(dir, 'gate'), '');
      const done = await steps(
        'gated_job',
        1,
        (s) => s.TRAINED_MODEL !== 'NOT_STARTED' && s.TRAINED_MODEL !== 'IN_PROGRESS',
      );
      assert.equal(done.TRAINED_MODEL, 'FINISHED', JSON.stringify(done));
      const rec = (await get('/trainingjobs/gated_job/1')).body.trainingjob as Json;
      assert.deepEqual(rec.accuracy, { accuracy: 0.75 });
      const cfg = await t.app.inject({ url: `/api/v1/runs/${rec.run_id}/artifacts/config-seen.json` });
      assert.equal(cfg.statusCode, 200, cfg.body);
      const seen = cfg.json() as Json;
      const params = (seen.params ?? seen) as Json;
      assert.equal(params.trainingjob_name, 'gated_job');
      assert.equal(params.version, '1');
      assert.equal(params.epochs, '1');
    });

    test('a FAILED version: no metadata, edited in place, trained again to FINISHED', async () => {
      assert.equal((await send('POST', '/trainingjobs/broken_job', body('bad_pipe'))).status, 201);
      assert.equal((await send('POST', '/trainingjobs/broken_job/training')).status, 200);
      const failed = await steps('broken_job', 1, (s) => Object.values(s).includes('FAILED'));
      assert.equal(failed.TRAINING, 'FAILED');
      const rec = (await get('/trainingjobs/broken_job/1')).body.trainingjob as Json;
      assert.equal(rec.overall_status, 'FAILED');
      assert.equal(rec.model_url, '');
      assert.deepEqual((await get('/trainingjobs/metadata/broken_job')).body, { Successed_metadata: [] });

      const put = await send('PUT', '/trainingjobs/broken_job', body('builtin.gbdt'));
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const reset = (await get('/trainingjobs/broken_job/1')).body.trainingjob as Json;
      assert.equal(reset.overall_status, 'NOT_STARTED');
      assert.equal(reset.pipeline_name, 'builtin.gbdt');
      assert.equal((await send('POST', '/trainingjobs/broken_job/training')).status, 200);
      const ok = await steps(
        'broken_job',
        1,
        (s) => s.TRAINED_MODEL === 'FINISHED' || Object.values(s).includes('FAILED'),
      );
      assert.equal(ok.TRAINED_MODEL, 'FINISHED', JSON.stringify(ok));
      const meta = (await get('/trainingjobs/metadata/broken_job')).body.Successed_metadata as Json[];
      assert.deepEqual(
        meta.map((m) => m.version),
        [1],
      );
      assert.equal((await get('/trainingjobs/broken_job/2')).status, 404);
    });

    test('never-started versions can be deleted; reserved names; TM datalake_source object', async () => {
      const made = await send(
        'POST',
        '/trainingjobs/idle_job',
        body('builtin.gbdt', { datalake_source: { InfluxSource: {} } }),
      );
      assert.equal(made.status, 201);
      const rec = (await get('/trainingjobs/idle_job/1')).body.trainingjob as Json;
      assert.equal(rec.datalake_source, 'InfluxSource');
      assert.equal(rec.accuracy, 'No data available');
      assert.equal(rec.run_id, '');
      const del = await send('DELETE', '/trainingjobs', {
        list: [{ trainingjob_name: 'idle_job', version: '1' }],
      });
      assert.equal(del.body['success count'], 1, JSON.stringify(del.body));
      assert.equal((await get('/trainingjobs/idle_job/1')).status, 404);
      const reserved = await send('POST', '/trainingjobs/latest', body('builtin.gbdt'));
      assert.equal(reserved.status, 400);
      assert.match(reserved.body.Exception, /reserved/);
    });
  });
}
