/** Built-in replicas on worker threads: the same answers as in-process, crash replacement, clean stop. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ReplicaPool } from '../src/modules/deployments/replica-pool.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { dialectsUnderTest } from './helpers/db.js';
import { gbdtModelBytes as gbdtBytes, gbdtRowsCsv as rowsCsv } from './helpers/deployments.js';

const API = '/api/v1/deployments';

for (const dialect of dialectsUnderTest()) {
  describe(`deployment replica threads (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
      const v = await t.services.registry.create({ name: 'gb', framework: 'modelyard' }, 'test');
      await t.services.registry.putArtifact(v.id, 'model.myd', gbdtBytes());
      for (const [name, replicas] of [
        ['gb-one', 1],
        ['gb-two', 2],
      ] as const) {
        const c = await t.app.inject({
          method: 'POST',
          url: API,
          payload: { name, model: 'gb/1', replicas },
        });
        assert.equal(c.statusCode, 201, c.body);
      }
    });
    after(() => t.close());

    const pool = (name: string): ReplicaPool => t.services.deployments.router(name)!.primary;
    const predict = (name: string, body: string) =>
      t.app.inject({
        method: 'POST',
        url: `/deployments/${name}/predict/`,
        payload: body,
        headers: { 'content-type': 'text/csv' },
      });

    test('two threaded replicas answer exactly what one in-process replica answers', async () => {
      assert.equal(pool('gb-one').mode, 'in-process');
      assert.equal(pool('gb-two').mode, 'threads');
      assert.equal(pool('gb-two').threads!.live(), 2);
      // 16 rows exactly fill a pooled parse buffer, which is then transferred to the thread (and
      // must not be reused afterwards).
      const bodies = Array.from({ length: 36 }, (_, i) => rowsCsv([100, 1, 16][i % 3]!, i));
      const [one, two] = await Promise.all([
        Promise.all(bodies.map((b) => predict('gb-one', b))),
        Promise.all(bodies.map((b) => predict('gb-two', b))),
      ]);
      for (let i = 0; i < bodies.length; i++) {
        assert.equal(one[i]!.statusCode, 200, one[i]!.body);
        assert.equal(two[i]!.statusCode, 200, two[i]!.body);
        assert.equal(two[i]!.body, one[i]!.body, `request ${i}`);
      }
      const rows = (JSON.parse(one[0]!.body) as { predictions: unknown[] }).predictions.length;
      assert.equal(rows, 100);
      const serving = (await t.app.inject({ url: `${API}/gb-two` })).json().serving;
      assert.equal(serving.mode, 'threads');
      assert.equal(serving.replicas, 2);
      // Both replicas took requests (round-robin in front of the threads).
      const counts = serving.replicaRequests as number[];
      assert.ok(
        counts.every((c) => c > 0),
        JSON.stringify(counts),
      );
    });

    test('a replica thread that dies mid-call is replaced and the call answers 503', async () => {
      const threads = pool('gb-two').threads!;
      let failed: { statusCode: number; body: string } | null = null;
      for (let attempt = 0; attempt < 8 && !failed; attempt++) {
        const big = rowsCsv(20_000 * (attempt + 1), attempt);
        const answer = predict('gb-two', big);
        let settled = false;
        void answer.then(() => (settled = true));
        // Kill the thread the moment it holds the call.
        while (!settled) {
          const busy = threads.pending().findIndex((n) => n > 0);
          if (busy >= 0) {
            await threads.kill(busy);
            break;
          }
          await new Promise((r) => setImmediate(r));
        }
        const r = await answer;
        if (r.statusCode !== 200) failed = r;
      }
      assert.ok(failed, 'no call was caught in flight');
      assert.equal(failed.statusCode, 503, failed.body);
      assert.match(failed.body, /replica/);
      assert.ok(threads.replaced() >= 1);
      // The replacement answers, with the same answers as before.
      const ok = await Promise.all([predict('gb-two', rowsCsv(100, 5)), predict('gb-one', rowsCsv(100, 5))]);
      assert.equal(ok[0].statusCode, 200, ok[0].body);
      assert.equal(ok[0].body, ok[1].body);
      assert.equal(threads.live(), 2);
      const logs = await t.services.deployments.logs('gb-two');
      assert.ok(
        logs.some((e) => /replica thread \d ended/.test(e.message)),
        JSON.stringify(logs),
      );
    });

    test('a swap and a stop terminate the threads', async () => {
      const old = pool('gb-two').threads!;
      const u = await t.app.inject({ method: 'PATCH', url: `${API}/gb-two`, payload: { replicas: 3 } });
      assert.equal(u.statusCode, 200, u.body);
      assert.equal(old.live(), 0);
      const now = pool('gb-two').threads!;
      assert.equal(now.live(), 3);
      const r = await predict('gb-two', rowsCsv(10, 1));
      assert.equal(r.statusCode, 200, r.body);
      const s = await t.app.inject({ method: 'POST', url: `${API}/gb-two/stop` });
      assert.equal(s.statusCode, 200, s.body);
      assert.equal(now.live(), 0);
      assert.equal((await predict('gb-two', rowsCsv(1, 1))).statusCode, 503);
    });
  });
}
