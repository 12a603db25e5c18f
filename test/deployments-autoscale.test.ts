/** The autoscaler under real HTTP load: up to max while loaded, back to min once idle, logged. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApp, type TestApp } from './helpers/app.js';
import { gbdtModelBytes, gbdtRowsCsv } from './helpers/deployments.js';

const API = '/api/v1/deployments';
const DEADLINE_MS = 120_000;

describe('deployment autoscaling (sqlite)', () => {
  let t: TestApp;
  let base: string;
  before(async () => {
    t = await createTestApp('sqlite');
    const v = await t.services.registry.create({ name: 'gb', framework: 'modelyard' }, 'test');
    await t.services.registry.putArtifact(v.id, 'model.myd', gbdtModelBytes());
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => t.close());

  const create = async (payload: Record<string, unknown>) => {
    const r = await fetch(`${base}${API}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gb/1', ...payload }),
    });
    assert.equal(r.status, 201, await r.text());
  };
  const serving = async (name: string) =>
    ((await (await fetch(`${base}${API}/${name}`)).json()) as { serving: { replicas: number; mode: string } })
      .serving;
  const waitFor = async (what: string, ok: () => Promise<boolean>) => {
    const until = Date.now() + DEADLINE_MS;
    while (!(await ok())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };

  test('scales up under load, down after the delay, only where min < max', async () => {
    await create({ name: 'auto', replicas: 1, minInstances: 1, maxInstances: 2, scaleDownDelaySeconds: 1 });
    await create({ name: 'fixed', replicas: 1, minInstances: 1, maxInstances: 1 });
    const body = gbdtRowsCsv(1000, 3);
    const statuses = new Map<number, number>();
    let stop = false;
    const loop = async (name: string) => {
      while (!stop) {
        const r = await fetch(`${base}/deployments/${name}/predict/`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv' },
          body,
        });
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    const loops = [
      ...Array.from({ length: 16 }, () => loop('auto')),
      ...Array.from({ length: 4 }, () => loop('fixed')),
    ];
    try {
      await waitFor('a scale up to 2 replicas', async () => (await serving('auto')).replicas === 2);
      assert.equal((await serving('auto')).mode, 'threads');
      // Keep the load on while the new replicas answer.
      await sleep(500);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    assert.deepEqual([...statuses.keys()], [200], JSON.stringify([...statuses]));
    await waitFor('a scale down to 1 replica', async () => (await serving('auto')).replicas === 1);
    assert.equal((await serving('auto')).mode, 'in-process');

    // The log line is written after the swap; poll for it rather than race it.
    const logged = async (re: RegExp) =>
      (await t.services.deployments.logs('auto')).some((e) => re.test(e.message));
    await waitFor('the scale-down log line', () => logged(/^scaled down from 2 to 1 replicas/));
    const logs = await t.services.deployments.logs('auto');
    const messages = logs.map((e) => e.message);
    assert.ok(
      messages.some((m) => /^scaled up from 1 to 2 replicas/.test(m)),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => /^scaled down from 2 to 1 replicas/.test(m)),
      messages.join('\n'),
    );
    assert.equal((await serving('fixed')).replicas, 1);
    const fixedLogs = await t.services.deployments.logs('fixed');
    assert.ok(!fixedLogs.some((e) => /scaled/.test(e.message)), JSON.stringify(fixedLogs));
    // The view's configured replicas stay as created; the serving count is what runs.
    const view = (await (await fetch(`${base}${API}/auto`)).json()) as { replicas: number };
    assert.equal(view.replicas, 1);
  });
});
