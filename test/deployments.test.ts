/** Deployments: native API, /deployments/{name}/ protocols, alias following, canary, restart, in-use deletes. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.js';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { registerLinear } from './helpers/deployments.js';

const API = '/api/v1/deployments';
const ROW = 'a,b\n1,1\n';

for (const dialect of dialectsUnderTest()) {
  describe(`deployments (${dialect})`, () => {
    let t: TestApp;
    let v1: string;
    let v2: string;
    before(async () => {
      t = await createTestApp(dialect);
      v1 = await registerLinear(t.services, 'lin', 1);
      v2 = await registerLinear(t.services, 'lin', 10);
      await t.services.registry.setAlias(v1, 'production');
    });
    after(() => t.close());

    const predictCsv = async (name: string) => {
      const r = await t.app.inject({
        method: 'POST',
        url: `/deployments/${name}/predict/`,
        payload: ROW,
        headers: { 'content-type': 'text/csv' },
      });
      return r;
    };
    const value = (body: string) => (JSON.parse(body) as { predictions: number[] }).predictions[0]!;

    test('create from an alias, predict through DRUM, KServe V2 and MLflow routes', async () => {
      const c = await t.app.inject({
        method: 'POST',
        url: API,
        payload: { name: 'lin-prod', model: 'lin@production', replicas: 2, readme: '# Linear' },
      });
      assert.equal(c.statusCode, 201, c.body);
      const d = c.json();
      assert.equal(d.status, 'running');
      assert.equal(d.followsAlias, true);
      assert.deepEqual(d.version, { id: v1, name: 'lin', version: 1 });
      assert.equal(d.url, '/deployments/lin-prod/');
      assert.equal(d.readme, '# Linear');

      const p = await predictCsv('lin-prod');
      assert.equal(p.statusCode, 200, p.body);
      assert.ok(Math.abs(value(p.body) - 2) < 0.1, p.body);
      assert.equal(p.headers['x-modelyard-model'], 'lin/1');

      const v2r = await t.app.inject({
        method: 'POST',
        url: '/deployments/lin-prod/v2/models/lin-prod/infer',
        payload: {
          inputs: [
            { name: 'a', shape: [1], datatype: 'FP64', data: [1] },
            { name: 'b', shape: [1], datatype: 'FP64', data: [1] },
          ],
        },
      });
      assert.equal(v2r.statusCode, 200, v2r.body);
      const out = v2r.json().outputs[0].data[0] as number;
      assert.ok(Math.abs(out - 2) < 0.1, v2r.body);

      const ml = await t.app.inject({
        method: 'POST',
        url: '/deployments/lin-prod/invocations',
        payload: { dataframe_split: { columns: ['a', 'b'], data: [[1, 1]] } },
      });
      assert.equal(ml.statusCode, 200, ml.body);
      assert.ok(Math.abs((ml.json().predictions[0] as number) - 2) < 0.1, ml.body);

      const health = await t.app.inject({ url: '/deployments/lin-prod/health/' });
      assert.equal(health.statusCode, 200);

      // Round-robin over the two replicas, measured in the view.
      const view = (await t.app.inject({ url: `${API}/lin-prod` })).json();
      assert.equal(view.serving.replicaRequests.length, 2);
      const counts = view.serving.replicaRequests as number[];
      assert.ok(Math.abs(counts[0]! - counts[1]!) <= 1, JSON.stringify(counts));
    });

    test('moving the alias re-points the deployment with no failed request during the swap', async () => {
      const inFlight: Array<Promise<{ status: number; v: number }>> = [];
      let stop = false;
      const fire = async () => {
        while (!stop) {
          const r = await predictCsv('lin-prod');
          inFlight.push(
            Promise.resolve({ status: r.statusCode, v: r.statusCode === 200 ? value(r.body) : NaN }),
          );
        }
      };
      const loops = [fire(), fire(), fire(), fire()];
      try {
        await new Promise((r) => setTimeout(r, 20));
        await t.services.registry.setAlias(v2, 'production');
        // The background follower may move it first; either way it is on v2 afterwards.
        await t.services.deployments.syncAliases();
        await new Promise((r) => setTimeout(r, 20));
      } finally {
        stop = true;
        await Promise.all(loops);
      }
      const results = await Promise.all(inFlight);
      assert.ok(results.length > 10, `requests fired: ${results.length}`);
      assert.deepEqual(
        results.filter((r) => r.status !== 200),
        [],
      );
      const values = new Set(results.map((r) => Math.round(r.v)));
      assert.ok(
        [...values].every((v) => v === 2 || v === 20),
        [...values].join(),
      );
      const after = await predictCsv('lin-prod');
      assert.ok(Math.abs(value(after.body) - 20) < 0.1, after.body);
      assert.equal(after.headers['x-modelyard-model'], 'lin/2');
      const view = (await t.app.inject({ url: `${API}/lin-prod` })).json();
      assert.equal(view.version.version, 2);
      // The old version is released, the new one is in use.
      assert.deepEqual(await t.services.registry.referrers(v1), []);
      assert.equal((await t.services.registry.referrers(v2)).length, 1);
    });

    test('deleting a model version in use answers 409 unless forced', async () => {
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/models/${v2}` });
      assert.equal(del.statusCode, 409, del.body);
      assert.match(del.body, /deployment/);
    });

    test('canary: a deterministic traffic split, counted', async () => {
      const u = await t.app.inject({
        method: 'PATCH',
        url: `${API}/lin-prod`,
        payload: { model: 'lin/1', canary: { model: 'lin/2', weight: 25 } },
      });
      assert.equal(u.statusCode, 200, u.body);
      assert.equal(u.json().followsAlias, false);
      let canary = 0;
      for (let i = 0; i < 200; i++) {
        const r = await predictCsv('lin-prod');
        assert.equal(r.statusCode, 200);
        if (r.headers['x-modelyard-model'] === 'lin/2') canary++;
      }
      assert.equal(canary, 50);
      const off = await t.app.inject({ method: 'PATCH', url: `${API}/lin-prod`, payload: { canary: null } });
      assert.equal(off.json().canary, null);
      assert.ok(Math.abs(value((await predictCsv('lin-prod')).body) - 2) < 0.1);
    });

    test('stop answers 503, start serves again', async () => {
      const s = await t.app.inject({ method: 'POST', url: `${API}/lin-prod/stop` });
      assert.equal(s.json().status, 'stopped');
      const p = await predictCsv('lin-prod');
      assert.equal(p.statusCode, 503);
      assert.match(p.json().message, /stopped/);
      const st = await t.app.inject({ method: 'POST', url: `${API}/lin-prod/start` });
      assert.equal(st.json().status, 'running');
      assert.equal((await predictCsv('lin-prod')).statusCode, 200);
      const logs = (await t.app.inject({ url: `${API}/lin-prod/logs` })).json().items as Array<{
        message: string;
      }>;
      assert.ok(logs.some((l) => /stopped/.test(l.message)));
    });

    test('bad inputs: unknown model 404, bad replicas 400 naming the field, duplicate 409', async () => {
      const unknown = await t.app.inject({
        method: 'POST',
        url: API,
        payload: { name: 'x', model: 'nope@production' },
      });
      assert.equal(unknown.statusCode, 404, unknown.body);
      assert.match(unknown.body, /model/);
      const noAlias = await t.app.inject({
        method: 'POST',
        url: API,
        payload: { name: 'x', model: 'lin@staging' },
      });
      assert.equal(noAlias.statusCode, 404);
      for (const [payload, field] of [
        [{ replicas: 0 }, 'replicas'],
        [{ replicas: 100 }, 'replicas'],
        [{ replicas: 3, maxInstances: 2 }, 'replicas'],
        [{ minInstances: 3, maxInstances: 2 }, 'maxInstances'],
        [{ canary: { model: 'lin/2', weight: 101 } }, 'canary.weight'],
        [{ name: 'bad name!' }, 'name'],
      ] as const) {
        const r = await t.app.inject({
          method: 'POST',
          url: API,
          payload: { name: 'x', model: 'lin/1', ...payload },
        });
        assert.equal(r.statusCode, 400, `${JSON.stringify(payload)} → ${r.body}`);
        assert.match(r.body, new RegExp(field.replace('.', '\\.')));
      }
      const dup = await t.app.inject({
        method: 'POST',
        url: API,
        payload: { name: 'lin-prod', model: 'lin/1' },
      });
      assert.equal(dup.statusCode, 409);
      assert.equal((await t.app.inject({ url: `${API}/nope` })).statusCode, 404);
      assert.equal((await predictCsv('nope')).statusCode, 404);
      assert.equal((await t.app.inject({ url: API })).json().items.length, 1);
    });

    test('state survives a restart: running deployments come back up, stopped ones stay stopped', async () => {
      await t.app.inject({
        method: 'POST',
        url: API,
        payload: { name: 'lin-off', model: 'lin/2', start: false },
      });
      await t.app.close();
      const again = await buildApp(t.deps);
      try {
        await again.app.ready();
        const p = await again.app.inject({
          method: 'POST',
          url: '/deployments/lin-prod/predict/',
          payload: ROW,
          headers: { 'content-type': 'text/csv' },
        });
        assert.equal(p.statusCode, 200, p.body);
        const off = await again.app.inject({
          method: 'POST',
          url: '/deployments/lin-off/predict/',
          payload: ROW,
        });
        assert.equal(off.statusCode, 503);
        const d = await again.app.inject({ method: 'DELETE', url: `${API}/lin-prod` });
        assert.equal(d.statusCode, 200);
        assert.deepEqual(await again.services.registry.referrers(v1), []);
        const freed = await again.app.inject({ method: 'DELETE', url: `/api/v1/models/${v1}` });
        assert.equal(freed.statusCode, 200, freed.body);
      } finally {
        await again.app.close();
      }
    });
  });
}
