/**
 * The O-RAN TM's legacy (≤ 2024) trainingjobs API on every dialect: create (not started) → start
 * → steps_state to FINISHED (notifications on a real listener) → record, latest, metadata, the
 * legacy Model.zip → retraining makes version 2 → edit in place → bulk delete → 404s; bad inputs
 * answer the legacy `{"Exception"}` envelope.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { unzip } from './helpers/unzip.js';
import { setUpOran, until, V1, type Notification, type OranSetup } from './oran-helpers.js';
import { type Json, type RunsTestApp } from './runs-helpers.js';

const legacyJob = (notificationUrl: string, extra: Json = {}) => ({
  description: 'iris legacy',
  featuregroup_name: 'iris_fg',
  pipeline_name: 'builtin.gbdt',
  pipeline_version: '1',
  experiment_name: 'Default',
  arguments: { n_estimators: '5', max_depth: '2' },
  query_filter: '',
  enable_versioning: true,
  datalake_source: 'Dataset',
  is_mme: false,
  model_name: '',
  notification_url: notificationUrl,
  ...extra,
});

for (const dialect of dialectsUnderTest()) {
  describe(`O-RAN legacy trainingjobs (${dialect})`, () => {
    let t: RunsTestApp;
    let setup: OranSetup;
    let hookUrl: string;
    let received: Notification[];
    const get = async (url: string) => {
      const res = await t.app.inject({ url });
      return { status: res.statusCode, body: res.json() as Json, type: res.headers['content-type'] };
    };
    const finished = (name: string, version: number) =>
      until(
        `${name}/${version} steps`,
        async () => (await get(`/trainingjobs/${name}/${version}/steps_state`)).body,
        (s) => s.TRAINED_MODEL === 'FINISHED' || Object.values(s).includes('FAILED'),
      );

    before(async () => {
      setup = await setUpOran(dialect, { featureGroup: 'iris_fg', enableDme: false });
      ({ t, hookUrl, received } = setup);
    });
    after(() => setup.close());

    test('create → train → FINISHED → record, latest, metadata → retrain v2 → edit → delete → 404', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/trainingjobs/iris_job',
        payload: legacyJob(`${hookUrl}/legacy`),
      });
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json(), { result: 'Information stored in database.' });
      // Created, not started.
      const idle = await get('/trainingjobs/iris_job/1/steps_state');
      assert.equal(idle.status, 200);
      assert.ok(
        Object.values(idle.body).every((s) => s === 'NOT_STARTED'),
        JSON.stringify(idle.body),
      );
      assert.deepEqual((await get('/trainingjobs/latest')).body, {
        trainingjobs: [{ trainingjob_name: 'iris_job', version: 1, overall_status: 'NOT_STARTED' }],
      });
      const dup = await t.app.inject({
        method: 'POST',
        url: '/trainingjobs/iris_job',
        payload: legacyJob(''),
      });
      assert.equal(dup.statusCode, 409);
      assert.match((dup.json() as Json).Exception, /already present/);

      const started = await t.app.inject({ method: 'POST', url: '/trainingjobs/iris_job/training' });
      assert.equal(started.statusCode, 200, started.body);
      assert.equal((started.json() as Json).trainingjob_name, 'iris_job');
      const again = await t.app.inject({ method: 'POST', url: '/trainingjobs/iris_job/training' });
      assert.equal(again.statusCode, 400);
      assert.match((again.json() as Json).Exception, /already started/);

      const steps = await finished('iris_job', 1);
      assert.ok(
        Object.values(steps).every((s) => s === 'FINISHED'),
        JSON.stringify(steps),
      );
      // The step progression, as notified: DATA_EXTRACTION IN_PROGRESS first, all FINISHED last.
      const notes = await until(
        'notifications',
        () => received.filter((n) => n.url === '/legacy').map((n) => n.body),
        (b) => b.length > 0 && Object.values(b.at(-1)!).every((s) => s === 'FINISHED'),
      );
      assert.equal(notes[0]!.DATA_EXTRACTION, 'IN_PROGRESS');
      assert.ok(notes.some((n) => n.TRAINING === 'IN_PROGRESS'));

      const rec = await get('/trainingjobs/iris_job/1');
      assert.equal(rec.status, 200);
      const job = rec.body.trainingjob as Json;
      assert.equal(job.trainingjob_name, 'iris_job');
      assert.equal(job.version, 1);
      assert.equal(job.featuregroup_name, 'iris_fg');
      assert.equal(job.pipeline_name, 'builtin.gbdt');
      assert.deepEqual(job.arguments, { n_estimators: '5', max_depth: '2' });
      assert.equal(job.overall_status, 'FINISHED');
      assert.deepEqual(job.steps_state, steps);
      assert.match(job.model_url, /\/model\/iris_job\/1\/Model\.zip$/);
      assert.equal(typeof job.accuracy, 'object', JSON.stringify(job.accuracy));
      // The mapping: a current-API job for model id (iris_job, "1").
      const current = await get(`${V1}/training-jobs/${job.training_job_id}`);
      assert.equal(current.body.modelId.modelname, 'iris_job');
      assert.equal(current.body.modelId.modelversion, '1');
      assert.equal(current.body.run_id, job.run_id);
      const zip = await t.app.inject({ url: '/model/iris_job/1/Model.zip' });
      assert.equal(zip.statusCode, 200, zip.body);
      assert.ok((await unzip(zip.rawPayload)).has('model.myd'));

      assert.deepEqual((await get('/trainingjobs/latest')).body.trainingjobs, [
        { trainingjob_name: 'iris_job', version: 1, overall_status: 'FINISHED' },
      ]);
      const meta = (await get('/trainingjobs/metadata/iris_job')).body.Successed_metadata as Json[];
      assert.equal(meta.length, 1);
      assert.equal(meta[0]!.version, 1);
      assert.deepEqual(meta[0]!.accuracy, job.accuracy);
      assert.match(meta[0]!.url, /\/model\/iris_job\/1\/Model\.zip$/);

      // Retraining a versioned job: version 2 trains; version 1 stays.
      const retrain = await t.app.inject({
        method: 'POST',
        url: '/trainingjobs/retraining',
        payload: {
          trainingjobs_list: [{ trainingjob_name: 'iris_job' }, { trainingjob_name: 'no_such_job' }],
        },
      });
      assert.equal(retrain.statusCode, 200, retrain.body);
      const rt = retrain.json() as Json;
      assert.equal(rt['success count'], 1);
      assert.equal(rt['failure count'], 1);
      assert.equal(rt.failures[0].trainingjob_name, 'no_such_job');
      assert.equal((await get('/trainingjobs/latest')).body.trainingjobs[0].version, 2);
      assert.ok(Object.values(await finished('iris_job', 2)).every((s) => s === 'FINISHED'));
      const meta2 = (await get('/trainingjobs/metadata/iris_job')).body.Successed_metadata as Json[];
      assert.deepEqual(
        meta2.map((m) => m.version),
        [1, 2],
      );
      assert.equal((await t.app.inject({ url: '/model/iris_job/2/Model.zip' })).statusCode, 200);

      // Edit in place (enable_versioning false): version 2 is reset, no version 3.
      const put = await t.app.inject({
        method: 'PUT',
        url: '/trainingjobs/iris_job',
        payload: legacyJob('', { enable_versioning: false, description: 'edited' }),
      });
      assert.equal(put.statusCode, 200, put.body);
      assert.deepEqual(put.json(), { result: 'Information updated in database.' });
      const v2 = (await get('/trainingjobs/iris_job/2')).body.trainingjob as Json;
      assert.equal(v2.description, 'edited');
      assert.equal(v2.overall_status, 'NOT_STARTED');
      assert.equal(v2.model_url, '');
      assert.equal((await get('/trainingjobs/iris_job/3')).status, 404);
      assert.deepEqual(
        ((await get('/trainingjobs/metadata/iris_job')).body.Successed_metadata as Json[]).map(
          (m) => m.version,
        ),
        [1],
      );

      const del = await t.app.inject({
        method: 'DELETE',
        url: '/trainingjobs',
        payload: {
          list: [
            { trainingjob_name: 'iris_job', version: 1 },
            { trainingjob_name: 'iris_job', version: 2 },
            { trainingjob_name: 'iris_job', version: 7 },
          ],
        },
      });
      assert.equal(del.statusCode, 200, del.body);
      const d = del.json() as Json;
      assert.equal(d['success count'], 2);
      assert.equal(d['failure count'], 1);
      assert.equal(d.failures[0].version, 7);
      for (const url of [
        '/trainingjobs/iris_job/1',
        '/trainingjobs/iris_job/2/steps_state',
        '/trainingjobs/metadata/iris_job',
      ]) {
        const r = await get(url);
        assert.equal(r.status, 404, url);
        assert.equal(typeof r.body.Exception, 'string');
      }
      assert.equal((await t.app.inject({ url: '/model/iris_job/1/Model.zip' })).statusCode, 404);
      assert.equal((await get(`${V1}/training-jobs/${job.training_job_id}`)).status, 404);
      assert.deepEqual((await get('/trainingjobs/latest')).body, { trainingjobs: [] });
    });

    test('bad inputs answer the legacy {"Exception"} envelope', async () => {
      const post = (url: string, payload: Json, method: 'POST' | 'PUT' | 'DELETE' = 'POST') =>
        t.app.inject({ method, url, payload });
      const cases: Array<[Promise<{ statusCode: number; body: string }>, number, RegExp]> = [
        [post('/trainingjobs/ab', legacyJob('')), 400, /trainingjob_name is not correct/],
        [post('/trainingjobs/bad-name', legacyJob('')), 400, /trainingjob_name is not correct/],
        [post('/trainingjobs/no_pipe', legacyJob('', { pipeline_name: undefined })), 400, /pipeline_name/],
        [post('/trainingjobs/no_args', legacyJob('', { arguments: [1] })), 400, /arguments/],
        [post('/trainingjobs/no_fg', legacyJob('', { featuregroup_name: 'ghost_fg' })), 404, /ghost_fg/],
        [post('/trainingjobs/bad_url', legacyJob('ftp://x')), 400, /notification_url/],
        [post('/trainingjobs/ghost_job', legacyJob(''), 'PUT'), 404, /ghost_job/],
        [post('/trainingjobs/ghost_job/training', {}), 404, /ghost_job/],
        [post('/trainingjobs/retraining', { trainingjobs_list: 'x' }), 400, /trainingjobs_list/],
        [post('/trainingjobs', { list: {} }, 'DELETE'), 400, /list/],
      ];
      for (const [res, status, msg] of cases) {
        const r = await res;
        assert.equal(r.statusCode, status, r.body);
        assert.match((JSON.parse(r.body) as Json).Exception, msg);
      }
      for (const [url, status] of [
        ['/trainingjobs/iris_job/abc', 400],
        ['/trainingjobs/ghost_job/1', 404],
        ['/trainingjobs/ghost_job/1/steps_state', 404],
        ['/trainingjobs/metadata/ghost_job', 404],
      ] as const) {
        const r = await get(url);
        assert.equal(r.status, status, url);
        assert.match(String(r.type), /application\/json/);
        assert.equal(typeof r.body.Exception, 'string');
      }
      // Nothing was stored by the refused creates.
      assert.deepEqual((await get('/trainingjobs/latest')).body, { trainingjobs: [] });
    });
  });
}
