/**
 * Training progress (MISTK's update_status(payload)), on every dialect: while an instance trains,
 * its payload reports the iteration, the iterations asked for and the iteration's metrics; each
 * report is a change a watch stream sees (resourceVersion up by one or more), and the final train
 * payload keeps the last metrics.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { http, jsonLines, mistk, prepare, type Json, mistkSuite } from './mistk-helpers.js';

/** Enough rounds to train for a few seconds: the first report is written at once, later ones each second. */
const ROUNDS = 10000;

for (const dialect of dialectsUnderTest()) {
  describe(`MISTK training progress on ${dialect}`, () => {
    const fx = mistkSuite(dialect, 'mistk-progress-');

    test('a watch stream sees the iterations of a training, then the final metrics', async () => {
      await http(`${fx.server.url}/api/v1/model-instances`, 'POST', { name: 'bc' });
      const base = `${fx.server.url}/model-instances/bc/v1/mistk`;
      const m = mistk(base);
      await prepare(m, fx.data, { hyperparameters: { n_estimators: ROUNDS, max_depth: 5 } });
      const from = (await m.status()).objectInfo as { resourceVersion: number };
      const watch = await fetch(`${base}/status?watch=true&resourceVersion=${from.resourceVersion}`);
      assert.equal(watch.status, 200);
      await m.ok('/train');
      const seen: Json[] = [];
      for await (const event of jsonLines(watch)) {
        const status = event.payload as Json;
        seen.push(status);
        if (status.state === 'ready' || status.state === 'failed') break;
      }
      const versionOf = (s: Json) => (s.objectInfo as { resourceVersion: number }).resourceVersion;
      const versions = seen.map(versionOf);
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
      );
      assert.equal(new Set(versions).size, versions.length, 'each event a new version');

      type Progress = { iteration: number; of: number; metrics: Record<string, number> };
      const reports = seen
        .filter((s) => s.state === 'training' && (s.payload as Json).progress)
        .map((s) => (s.payload as { progress: Progress }).progress);
      assert.ok(reports.length >= 1, `no progress among ${JSON.stringify(seen.map((s) => s.state))}`);
      for (let i = 1; i < reports.length; i++)
        assert.ok(reports[i]!.iteration > reports[i - 1]!.iteration, 'iterations increase');
      for (const r of reports) {
        assert.equal(r.of, ROUNDS);
        assert.ok(r.iteration >= 1 && r.iteration <= ROUNDS);
        assert.equal(typeof r.metrics.train_loss, 'number');
      }

      const final = seen.at(-1)!;
      assert.equal(final.state, 'ready');
      const payload = final.payload as { metrics: Record<string, number>; progress: Progress };
      assert.equal(payload.progress.iteration, ROUNDS);
      assert.equal(typeof payload.metrics.train_loss, 'number');
      assert.ok(payload.metrics.train_loss! <= reports[0]!.metrics.train_loss!, 'the loss went down');
    });
  });
}
