/**
 * A worker whose run was claimed again elsewhere must neither settle the newer attempt nor keep
 * training. Two in-process servers share one store: B starts while A still runs it (as a
 * restarted server sees an orphan), re-queues it and claims attempt 2. Then either A stops with
 * its attempt 1 aborted, or A's heartbeat notices the newer attempt and stops its own program. Before
 * attempts were checked, A's "worker stopped" handling moved B's attempt 2 back to the queue or
 * failed it, and the run never ended.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest, freshStore, type TestStore } from './helpers/db.js';
import { startServer, until, type TuningServer } from './tuning-helpers.js';

/** A on the store runs a user program (attempt 1); B starts on the same store and runs attempt 2. */
async function twoServersOneRun(store: TestStore) {
  const a = await startServer(store);
  const code = await a.app.inject({
    method: 'POST',
    url: '/api/v1/runs/code?fileName=job.sh',
    headers: { 'content-type': 'application/octet-stream' },
    payload: 'echo "attempt starts"; sleep 6; echo done\n',
  });
  assert.equal(code.statusCode, 201, code.body);
  // Long enough that A is still running it when B has claimed the run again.
  const run = await a.services.runs.submit(
    { name: 'long', codeId: (code.json() as { id: string }).id, command: 'sh job.sh', retries: 1 },
    'local',
  );
  await until('attempt 1 running on A', async () => {
    const r = await a.services.runs.get(run.id);
    return r.state === 'running' && r.attempt === 1;
  });
  const b = await startServer(store); // its recovery re-queues the run, its worker claims attempt 2
  await until('attempt 2 running on B', async () => {
    const r = await b.services.runs.get(run.id);
    return r.state === 'running' && r.attempt === 2;
  });
  return { a, b, runId: run.id };
}

/** The run ends succeeded with attempt 2, its states those of two attempts and nothing else. */
async function assertAttempt2Succeeds(b: TuningServer, runId: string) {
  const done = await until('run end', async () => {
    const r = await b.services.runs.get(runId);
    return ['succeeded', 'failed', 'cancelled'].includes(r.state) && r;
  });
  assert.equal(done.state, 'succeeded', `${done.reason}: ${done.message}`);
  assert.equal(done.attempt, 2);
  const events = await b.services.runs.events(runId);
  const states = events.filter((e) => e.kind === 'state').map((e) => `${e.name}/${e.attempt}`);
  assert.deepEqual(states, ['queued/0', 'running/1', 'queued/1', 'running/2', 'succeeded/2'], states.join());
}

for (const dialect of dialectsUnderTest()) {
  describe(`a stale attempt leaves the newer one alone (${dialect})`, () => {
    test('A stops after B claimed attempt 2: the run ends succeeded on B, attempt 2', async () => {
      const store = await freshStore(dialect);
      let servers: Awaited<ReturnType<typeof twoServersOneRun>> | undefined;
      try {
        servers = await twoServersOneRun(store);
        await servers.a.stop(0); // aborts A's attempt 1, which must not touch attempt 2
        await assertAttempt2Succeeds(servers.b, servers.runId);
      } finally {
        await servers?.a.stop(0).catch(() => {});
        await servers?.b.stop();
        await store.close();
      }
    });

    test("A's heartbeat sees attempt 2 and stops its own attempt, saying so in the log", async () => {
      const store = await freshStore(dialect);
      let servers: Awaited<ReturnType<typeof twoServersOneRun>> | undefined;
      try {
        servers = await twoServersOneRun(store);
        const { b, runId } = servers;
        await until('attempt 1 stopped by its worker', async () => {
          const lines = await b.services.runs.logs(runId);
          return lines.some((l) => l.attempt === 1 && /taken over elsewhere/.test(l.text));
        });
        await assertAttempt2Succeeds(b, runId);
        const lines = await b.services.runs.logs(runId);
        assert.ok(!lines.some((l) => l.attempt === 1 && l.text === 'done'), 'attempt 1 was stopped');
        assert.ok(lines.some((l) => l.attempt === 2 && l.text === 'done'));
      } finally {
        await servers?.a.stop(0).catch(() => {});
        await servers?.b.stop();
        await store.close();
      }
    });
  });
}
