/** WMLA elastic distributed inference (EDI) services on deployments: flows, validation, codes, auth. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { gbdtModelBytes, gbdtRowsCsv, linearModelBytes, registerLinear } from './helpers/deployments.js';

const EDI = '/platform/rest/deeplearning/v1/edimodels';
const ias = (name: string, modelPath: string) => ({
  name,
  edi_py: 'kernel.py',
  modelPath,
  weightPath: '/weights',
  runtime: 'dlipy3',
});

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA EDI (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
      const v = await registerLinear(t.services, 'edi-lin', 3);
      await t.services.registry.setAlias(v, 'production');
    });
    after(() => t.close());

    test('create → stopped; start; inference; instance; readme; streaming; stop; delete (409 while started)', async () => {
      const c = await t.app.inject({
        method: 'POST',
        url: `${EDI}/new`,
        payload: ias('svc1', 'edi-lin@production'),
      });
      assert.equal(c.statusCode, 201, c.body);
      assert.equal(c.json().state, 'Stopped');
      assert.equal(c.json().kernel_path, 'kernel.py');
      assert.equal(
        (await t.app.inject({ method: 'POST', url: `${EDI}/new`, payload: ias('svc1', 'edi-lin/1') }))
          .statusCode,
        409,
      );
      const missing = await t.app.inject({
        method: 'POST',
        url: `${EDI}/new`,
        payload: { name: 'x', modelPath: 'edi-lin/1' },
      });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json().message, /edi_py/);
      const unknown = await t.app.inject({ method: 'POST', url: `${EDI}/new`, payload: ias('x', 'nope/1') });
      assert.equal(unknown.statusCode, 404);

      const infer = (payload: Record<string, unknown>) =>
        t.app.inject({ method: 'POST', url: `${EDI}/svc1/inference`, payload });
      const body = {
        action_type: 'Regression',
        data_type: 'text:csv',
        data_value: [{ key: 's1', value: 'a,b\n1,1\n' }],
      };
      assert.equal((await infer(body)).statusCode, 503, 'stopped service does not infer');

      const s = await t.app.inject({ method: 'PUT', url: `${EDI}/svc1/operation/start` });
      assert.equal(s.statusCode, 200, s.body);
      assert.equal(s.json().state, 'Started');
      const r = await infer(body);
      assert.equal(r.statusCode, 200, r.body);
      const res = r.json();
      assert.equal(res.modelName, 'svc1');
      const v = res.results[0].regressionResults[0];
      assert.equal(v.sampleId, 's1');
      assert.ok(Math.abs(v.results[0].prob - 6) < 0.2, r.body);
      assert.equal((await infer({ ...body, data_type: 'image:raw_data' })).statusCode, 400);
      assert.equal((await infer({ ...body, action_type: 'Object Detection' })).statusCode, 400);
      assert.equal((await infer({ action_type: 'Regression', data_type: 'text:csv' })).statusCode, 400);

      const inst = (await t.app.inject({ url: `${EDI}/svc1/instance` })).json();
      assert.equal(inst.state, 'Started');
      assert.equal(inst.instance.instances[0].isd_container.length, 1);
      assert.ok(inst.instance.instances[0].isd_container[0].total_task >= 1);

      await t.app.inject({ method: 'PUT', url: `${EDI}/svc1/readme`, payload: { readme: 'How to call' } });
      assert.deepEqual((await t.app.inject({ url: `${EDI}/svc1/readme` })).json(), {
        name: 'svc1',
        readme: 'How to call',
      });
      const uri = (await t.app.inject({ url: `${EDI}/svc1/streaming` })).json();
      assert.match(uri, /\/deployments\/svc1\/$/);
      // The streaming URI serves the DRUM/KServe/MLflow protocols.
      const p = await t.app.inject({
        method: 'POST',
        url: '/deployments/svc1/predict/',
        payload: 'a,b\n1,1\n',
        headers: { 'content-type': 'text/csv' },
      });
      assert.equal(p.statusCode, 200, p.body);

      const list = (await t.app.inject({ url: EDI })).json();
      assert.deepEqual(
        list.map((x: { name: string }) => x.name),
        ['svc1'],
      );

      assert.equal((await t.app.inject({ method: 'DELETE', url: `${EDI}/svc1` })).statusCode, 409);
      assert.equal(
        (await t.app.inject({ method: 'PUT', url: `${EDI}/svc1/operation/stop` })).json().state,
        'Stopped',
      );
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${EDI}/svc1` })).statusCode, 200);
      assert.equal((await t.app.inject({ url: `${EDI}/svc1` })).statusCode, 404);
    });

    test('app profile: get/put with WMLA rules (stopped only, kernel_min/max, delay release)', async () => {
      await t.app.inject({ method: 'POST', url: `${EDI}/new`, payload: ias('svc2', 'edi-lin/1') });
      const g = (await t.app.inject({ url: `${EDI}/svc2/appprofile` })).json();
      assert.equal(g.policy.kernel_min, 1);
      assert.equal(g.policy.kernel_max, -1);
      const put = (policy: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        t.app.inject({ method: 'PUT', url: `${EDI}/svc2/appprofile`, payload: { ...extra, policy } });
      for (const [policy, field] of [
        [{ kernel_delay_release_time: 0 }, 'kernel_delay_release_time'],
        [{ kernel_min: 0 }, 'kernel_min'],
        [{ kernel_min: 1000 }, 'kernel_min'],
        [{ kernel_min: 3, kernel_max: 2 }, 'kernel_max'],
      ] as const) {
        const r = await put(policy);
        assert.equal(r.statusCode, 400, `${JSON.stringify(policy)} → ${r.body}`);
        assert.match(r.json().message, new RegExp(field));
      }
      assert.equal((await put({}, { kernel: { gpu: 'many' } })).statusCode, 400);
      const ok = await put(
        { kernel_min: 2, kernel_max: 4, kernel_delay_release_time: 30 },
        { kernel: { gpu: 'no' } },
      );
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().policy.kernel_min, 2);
      assert.equal(ok.json().replica, 2);
      await t.app.inject({ method: 'PUT', url: `${EDI}/svc2/operation/start` });
      const inst = (await t.app.inject({ url: `${EDI}/svc2/instance` })).json();
      assert.equal(inst.instance.instances[0].isd_container.length, 2, 'kernel_min replicas started');
      const running = await put({ kernel_min: 1 });
      assert.equal(running.statusCode, 400);
      assert.match(running.json().message, /stop/);
      assert.equal(
        (await t.app.inject({ url: `${EDI}/svc2/appprofile` })).json().policy.kernel_delay_release_time,
        30,
      );
    });

    test('publish from a WMLA model and update the service', async () => {
      const m = await t.services.registry.create(
        { name: 'dli-model', project: 'wmla', framework: 'PyTorch' },
        'test',
      );
      await t.services.registry.putArtifact(m.id, 'model.myd', linearModelBytes(5));
      // No body at all, or an empty one with content-type application/json: all defaults.
      const pub = await t.app.inject({ method: 'POST', url: `${EDI}/dli-model` });
      assert.equal(pub.statusCode, 201, pub.body);
      assert.equal(pub.json().name, 'dli-model');
      const again = await t.app.inject({
        method: 'POST',
        url: `${EDI}/dli-model`,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(again.statusCode, 409, again.body);
      assert.equal(
        (await t.app.inject({ method: 'POST', url: `${EDI}/no-such`, payload: {} })).statusCode,
        404,
      );
      const up = await t.app.inject({
        method: 'PUT',
        url: `${EDI}/dli-model`,
        payload: { modelPath: 'edi-lin/1', runtime: 'r2' },
      });
      assert.equal(up.statusCode, 200, up.body);
      assert.equal(up.json().model_path, 'edi-lin/1');
      assert.equal(up.json().runtime, 'r2');
      assert.equal(up.json().kernel_path, '');
    });

    test('classification: labels by probability, cut at attributes threshold; a bad threshold is 400', async () => {
      const v = await t.services.registry.create({ name: 'edi-clf', framework: 'modelyard' }, 'test');
      await t.services.registry.putArtifact(v.id, 'model.myd', gbdtModelBytes());
      const c = await t.app.inject({ method: 'POST', url: `${EDI}/new`, payload: ias('clf', 'edi-clf/1') });
      assert.equal(c.statusCode, 201, c.body);
      assert.equal(
        (await t.app.inject({ method: 'PUT', url: `${EDI}/clf/operation/start` })).statusCode,
        200,
      );
      const infer = (attributes?: unknown) =>
        t.app.inject({
          method: 'POST',
          url: `${EDI}/clf/inference`,
          payload: {
            action_type: 'Classification',
            data_type: 'text:csv',
            data_value: [{ key: 'rows', value: gbdtRowsCsv(5, 1) }],
            ...(attributes !== undefined ? { attributes } : {}),
          },
        });
      const all = await infer();
      assert.equal(all.statusCode, 200, all.body);
      const samples = all.json().results[0].classificationResults as Array<{
        results: Array<{ label: string; prob: number }>;
      }>;
      assert.equal(samples.length, 5);
      for (const s of samples) {
        assert.equal(s.results.length, 2);
        assert.ok(s.results[0]!.prob >= s.results[1]!.prob);
      }
      for (const attributes of [[{ key: 'threshold', value: '0.5' }], { threshold: 0.5 }]) {
        const cut = await infer(attributes);
        assert.equal(cut.statusCode, 200, cut.body);
        const got = cut.json().results[0].classificationResults as typeof samples;
        got.forEach((s, i) => {
          assert.deepEqual(
            s.results,
            samples[i]!.results.filter((r) => r.prob >= 0.5),
          );
        });
      }
      const bad = await infer([{ key: 'threshold', value: 'high' }]);
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().message, /attributes\.threshold/);
      assert.equal((await t.app.inject({ method: 'PUT', url: `${EDI}/clf/operation/stop` })).statusCode, 200);
    });

    test('auth: a token is required once tokens exist; viewers cannot manage', async () => {
      const admin = (await t.services.tokens.create({ name: 'a', role: 'admin' })).token;
      const viewer = (await t.services.tokens.create({ name: 'v', role: 'viewer' })).token;
      assert.equal((await t.app.inject({ url: EDI })).statusCode, 401);
      assert.equal(
        (await t.app.inject({ url: EDI, headers: { authorization: `Bearer ${viewer}` } })).statusCode,
        200,
      );
      const denied = await t.app.inject({
        method: 'PUT',
        url: `${EDI}/svc2/operation/stop`,
        headers: { authorization: `Bearer ${viewer}` },
      });
      assert.equal(denied.statusCode, 403);
      assert.equal((await t.app.inject({ url: '/api/v1/deployments' })).statusCode, 401);
      const pred = (auth?: string) =>
        t.app.inject({
          method: 'POST',
          url: '/deployments/svc2/predict/',
          payload: 'a,b\n1,1\n',
          headers: { 'content-type': 'text/csv', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
        });
      const noToken = await pred();
      assert.equal(noToken.statusCode, 401);
      assert.match(noToken.json().message, /^ERROR: /);
      assert.equal((await pred(viewer)).statusCode, 200);
      assert.equal(
        (await t.app.inject({ url: '/api/v1/deployments', headers: { authorization: `Bearer ${admin}` } }))
          .statusCode,
        200,
      );
    });
  });
}
