/**
 * A worker that stops after another server has claimed its run again must not settle the newer
 * attempt. Two in-process servers share one store: B starts while A still trains the run (as a
 * restarted server sees an orphan), re-queues it and claims attempt 2; then A stops with its
 * attempt 1 aborted. Before attempts were checked, A's "worker stopped" handling moved B's
 * attempt 2 back to the queue or failed it, and the run never ended.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialectsUnderTest, freshStore } from './helpers/db.js';
import { startServer, until, type TuningServer } from './tuning-helpers.js';

const breast = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'));

for (const dialect of dialectsUnderTest()) {
  describe(`a stale attempt leaves the newer one alone (${dialect})`, () => {
    test('A stops after B claimed attempt 2: the run ends succeeded on B, attempt 2', async () => {
      const store = await freshStore(dialect);
      const a = await startServer(store);
      let b: TuningServer | undefined;
      try {
        const res = await a.app.inject({
          method: 'POST',
          url: '/api/v1/datasets?name=bc&target=target&seed=1',
          headers: { 'content-type': 'text/csv' },
          payload: breast,
        });
        assert.equal(res.statusCode, 201, res.body);
        const run = await a.services.runs.submit(
          {
            name: 'long',
            learner: 'gbdt',
            dataset: 'bc',
            // Long enough that A is still training when B has claimed the run again.
            params: { n_estimators: 4000, max_depth: 3, learning_rate: 0.01 },
            retries: 1,
          },
          'local',
        );
        await until('attempt 1 running on A', async () => {
          const r = await a.services.runs.get(run.id);
          return r.state === 'running' && r.attempt === 1;
        });

        b = await startServer(store); // its recovery re-queues the run, its worker claims attempt 2
        await until('attempt 2 running on B', async () => {
          const r = await b!.services.runs.get(run.id);
          return r.state === 'running' && r.attempt === 2;
        });
        await a.stop(0); // aborts A's attempt 1, which must not touch attempt 2

        const done = await until('run end', async () => {
          const r = await b!.services.runs.get(run.id);
          return ['succeeded', 'failed', 'cancelled'].includes(r.state) && r;
        });
        assert.equal(done.state, 'succeeded', `${done.reason}: ${done.message}`);
        assert.equal(done.attempt, 2);
        const events = await b.services.runs.events(run.id);
        const states = events.filter((e) => e.kind === 'state').map((e) => `${e.name}/${e.attempt}`);
        assert.deepEqual(
          states,
          ['queued/0', 'running/1', 'queued/1', 'running/2', 'succeeded/2'],
          states.join(),
        );
      } finally {
        await a.stop(0).catch(() => {});
        await b?.stop();
        await store.close();
      }
    });
  });
}
