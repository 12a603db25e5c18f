/**
 * Deployments: alias moves re-point at once through the registry's in-process event (no poll),
 * logs kept in the database across a restart, profile settings validated by the service, and
 * the X-Drum-Version header carrying the package version. Both dialects.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/app.js';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { registerLinear } from './helpers/deployments.js';

const API = '/api/v1/deployments';
const ROW = 'a,b\n1,1\n';
const PACKAGE_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

for (const dialect of dialectsUnderTest()) {
  describe(`deployments lifecycle (${dialect})`, () => {
    let t: TestApp;
    let v1: string;
    let v2: string;
    before(async () => {
      t = await createTestApp(dialect);
      await t.app.ready();
      v1 = await registerLinear(t.services, 'lin', 1);
      v2 = await registerLinear(t.services, 'lin', 10);
      await t.services.registry.setAlias(v1, 'production');
    });
    after(() => t.close());

    const predict = (name: string) =>
      t.app.inject({
        method: 'POST',
        url: `/deployments/${name}/predict/`,
        payload: ROW,
        headers: { 'content-type': 'text/csv' },
      });
    const value = (body: string) => (JSON.parse(body) as { predictions: number[] }).predictions[0]!;

    test('moving the alias through the API re-points at once (in-process event, no poll), no request fails', async () => {
      const c = await t.app.inject({
        method: 'POST',
        url: API,
        payload: { name: 'web', model: 'lin@production', replicas: 2 },
      });
      assert.equal(c.statusCode, 201, c.body);
      const statuses: number[] = [];
      let stop = false;
      const fire = async () => {
        while (!stop) statuses.push((await predict('web')).statusCode);
      };
      const loops = [fire(), fire(), fire()];
      try {
        while (statuses.length < 10) await new Promise((r) => setImmediate(r));
        // The native alias route; the deployment's poll is 30 s, far longer than this test waits.
        const moved = await t.app.inject({
          method: 'PUT',
          url: `/api/v1/models/${v2}/aliases/production`,
        });
        assert.ok(moved.statusCode < 300, moved.body);
        await t.services.deployments.aliasesSettled();
        const seen = statuses.length;
        while (statuses.length < seen + 10) await new Promise((r) => setImmediate(r));
      } finally {
        stop = true;
        await Promise.all(loops);
      }
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
      );
      const now = await predict('web');
      assert.equal(now.headers['x-modelyard-model'], 'lin/2');
      assert.ok(Math.abs(value(now.body) - 20) < 0.2, now.body);
      const logs = (await t.app.inject({ url: `${API}/web/logs` })).json().items as Array<{
        message: string;
      }>;
      assert.ok(
        logs.some((l) => /alias moved: now lin\/2/.test(l.message)),
        JSON.stringify(logs),
      );
    });

    test('a move made by another process (straight in the database) is caught by the poll', async () => {
      await t.deps.db
        .updateTable('model_aliases')
        .set({ version_id: v1 })
        .where('alias', '=', 'production')
        .execute();
      // Nothing was announced in this process: still the old version until the poll runs.
      assert.equal((await predict('web')).headers['x-modelyard-model'], 'lin/2');
      assert.deepEqual(await t.services.deployments.syncAliases(), ['web']);
      assert.equal((await predict('web')).headers['x-modelyard-model'], 'lin/1');
      await t.services.registry.setAlias(v2, 'production');
      await t.services.deployments.aliasesSettled();
      assert.equal((await predict('web')).headers['x-modelyard-model'], 'lin/2');
    });

    test('X-Drum-Version is the package version', async () => {
      const r = await predict('web');
      assert.equal(r.headers['x-drum-version'], PACKAGE_VERSION);
      assert.notEqual(PACKAGE_VERSION, 'dev');
      assert.equal((await t.app.inject({ url: '/healthz' })).json().version, PACKAGE_VERSION);
    });

    test('profile settings: validated by the service, shown in the view', async () => {
      for (const [payload, field] of [
        [{ scaleDownDelaySeconds: 0 }, 'scaleDownDelaySeconds'],
        [{ scaleDownDelaySeconds: -5 }, 'scaleDownDelaySeconds'],
        [{ gpu: 'many' }, 'gpu'],
        [{ minInstances: 3, maxInstances: 2 }, 'maxInstances'],
      ] as const) {
        const r = await t.app.inject({ method: 'PATCH', url: `${API}/web`, payload });
        assert.equal(r.statusCode, 400, `${JSON.stringify(payload)} → ${r.body}`);
        assert.equal(r.json().errors[0].field, field);
      }
      const ok = await t.app.inject({
        method: 'PATCH',
        url: `${API}/web`,
        payload: { scaleDownDelaySeconds: 30, gpu: 'shared', profile: { team: 'a' } },
      });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(ok.json().profile, {
        minInstances: 1,
        maxInstances: -1,
        scaleDownDelaySeconds: 30,
        gpu: 'shared',
        extra: { team: 'a' },
      });
      // A later change of other fields keeps them.
      const kept = await t.app.inject({ method: 'PATCH', url: `${API}/web`, payload: { readme: 'x' } });
      assert.equal(kept.json().profile.scaleDownDelaySeconds, 30);
      assert.equal(kept.json().profile.gpu, 'shared');
    });

    test('logs are kept in the database: they survive a restart; limit keeps the newest', async () => {
      await t.app.inject({ method: 'POST', url: `${API}/web/stop` });
      await t.app.inject({ method: 'POST', url: `${API}/web/start` });
      const before = (await t.app.inject({ url: `${API}/web/logs` })).json().items as Array<{
        message: string;
      }>;
      assert.ok(before.length >= 5, JSON.stringify(before));
      const rows = await t.deps.db
        .selectFrom('deployment_events')
        .select(['message'])
        .where('deployment_name', '=', 'web')
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        rows.map((r) => r.message),
        before.map((e) => e.message),
      );
      await t.app.close();
      const again = await buildApp(t.deps);
      try {
        await again.app.ready();
        const logs = (await again.app.inject({ url: `${API}/web/logs` })).json().items as Array<{
          message: string;
        }>;
        // Everything from before, then the restart's own "serving" line.
        assert.deepEqual(
          logs.slice(0, before.length).map((e) => e.message),
          before.map((e) => e.message),
        );
        assert.match(logs.at(-1)!.message, /^serving lin\/2/);
        const last2 = (await again.app.inject({ url: `${API}/web/logs?limit=2` })).json().items;
        assert.deepEqual(last2, logs.slice(-2));
        // Deleting the deployment deletes its log.
        assert.equal((await again.app.inject({ method: 'DELETE', url: `${API}/web` })).statusCode, 200);
        const left = await t.deps.db
          .selectFrom('deployment_events')
          .select('seq')
          .where('deployment_name', '=', 'web')
          .execute();
        assert.deepEqual(left, []);
      } finally {
        await again.app.close();
      }
    });
  });
}
