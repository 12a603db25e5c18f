/**
 * Restart safety with a real server process: kill -9 it while runs are queued and running, start it
 * again on the same data, and every run ends in a true state — queued runs still run, running runs
 * are re-queued when retries remain or fail with reason server_restarted — with nothing lost.
 * A built-in run paused when the server dies stays paused, and resume continues it from the
 * checkpoint saved at the pause rather than from iteration 1.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectsUnderTest, freshStore, type TestStore } from './helpers/db.js';
import { alive, type Json } from './runs-helpers.js';

const ROOT = join(import.meta.dirname, '..');

async function startServer(store: TestStore): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/runs-restart-server.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MODELYARD_DATA_DIR: store.dataDir,
      DATABASE_URL: store.databaseUrl,
      MODELYARD_RUN_QUEUES: 'default=2',
      MODELYARD_QUEUE: 'memory',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (l) => resolve((JSON.parse(l) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, url };
}

async function api(url: string, path: string, init: RequestInit = {}): Promise<Json> {
  const res = await fetch(url + path, init);
  const body = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${body}`);
  return JSON.parse(body) as Json;
}

async function submitScript(url: string, script: string, extra: Json): Promise<string> {
  const code = await api(url, '/api/v1/runs/code?fileName=job.sh', {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: script,
  });
  const run = await api(url, '/api/v1/runs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ codeId: code.id, command: 'sh job.sh', ...extra }),
  });
  return run.id as string;
}

async function waitState(url: string, id: string, ok: (r: Json) => boolean): Promise<Json> {
  for (let i = 0; i < 600; i++) {
    const r = await api(url, `/api/v1/runs/${id}`);
    if (ok(r)) return r;
    await sleep(50);
  }
  throw new Error(`run ${id} never reached the expected state`);
}

const childPid = async (url: string, id: string): Promise<number> => {
  for (let i = 0; i < 200; i++) {
    const lines = (await api(url, `/api/v1/runs/${id}/logs`)).lines as Json[];
    const hit = lines.find((l) => /^pid \d+$/.test(l.text));
    if (hit) return Number(hit.text.slice(4));
    await sleep(50);
  }
  throw new Error('no pid line');
};

// The dialects run side by side: each case is mostly waiting for a server process to start.
describe('runs survive kill -9 of the server', { concurrency: 2 }, () => {
  for (const dialect of dialectsUnderTest()) {
    describe(`${dialect}`, () => {
      const leftovers: number[] = [];
      let store: TestStore;
      let pausedStore: TestStore;
      after(async () => {
        for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
        await store?.close();
        await pausedStore?.close();
      });

      test('a paused built-in run stays paused over kill -9 and resumes from its checkpoint', async () => {
        pausedStore = await freshStore(dialect);
        let server = await startServer(pausedStore);
        // Long enough that the pause lands before the last round even on a loaded machine.
        const N = 3000;
        /** Submits a long GBDT run, pauses it once it iterates, and waits for its saved checkpoint. */
        const startPaused = async (url: string) => {
          const run = await api(url, '/api/v1/runs', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              learner: 'gbdt',
              dataset: 'bc',
              params: { n_estimators: N, max_depth: 2, learning_rate: 0.01 },
            }),
          });
          const runId = run.id as string;
          await waitState(url, runId, (r) => r.state === 'running');
          for (let i = 0; i < 600; i++) {
            if (
              ((await api(url, `/api/v1/runs/${runId}/metrics?name=train_loss`)) as unknown as Json[]).length
            )
              break;
            await sleep(25);
          }
          await api(url, `/api/v1/runs/${runId}/pause`, { method: 'POST' });
          await waitState(url, runId, (r) => r.state === 'paused');
          for (let i = 0; i < 600; i++) {
            const lines = (await api(url, `/api/v1/runs/${runId}/logs`)).lines as Json[];
            const saved = lines.find((l) => /^checkpoint saved at iteration \d+$/.test(l.text));
            if (saved) return { runId, at: Number(/\d+$/.exec(saved.text)![0]) };
            await sleep(50);
          }
          throw new Error(`run ${runId} saved no checkpoint`);
        };
        let id = '';
        let checkpointAt = 0;
        let other = '';
        try {
          await api(server.url, '/api/v1/datasets?name=bc&target=target&seed=1', {
            method: 'POST',
            headers: { 'content-type': 'text/csv' },
            body: readFileSync(join(ROOT, 'test/fixtures/datasets/breast_cancer.csv')),
          });
          ({ runId: id, at: checkpointAt } = await startPaused(server.url));
          assert.ok(checkpointAt > 0 && checkpointAt < N, `checkpoint at ${checkpointAt}`);
          other = (await startPaused(server.url)).runId;
        } finally {
          server.child.kill('SIGKILL');
          await new Promise((r) => server.child.once('exit', r));
        }
        const killedAt = new Date().toISOString();

        server = await startServer(pausedStore);
        try {
          const paused = await api(server.url, `/api/v1/runs/${id}`);
          assert.equal(paused.state, 'paused', 'a paused run stays paused over a restart');
          assert.equal(paused.reason, 'server_restarted');
          // Cancelling a paused run no process holds ends it at once.
          const cancelled = await api(server.url, `/api/v1/runs/${other}/cancel`, { method: 'POST' });
          assert.equal(cancelled.state, 'cancelled');
          assert.equal(cancelled.reason, 'cancelled_by_user');
          const before = (await api(
            server.url,
            `/api/v1/runs/${id}/metrics?name=train_loss`,
          )) as unknown as Json[];
          assert.deepEqual(
            before.map((m) => m.step),
            Array.from({ length: checkpointAt }, (_, i) => i + 1),
            'the points up to the checkpoint are kept',
          );
          await api(server.url, `/api/v1/runs/${id}/resume`, { method: 'POST' });
          const done = await waitState(
            server.url,
            id,
            (r) => !['queued', 'running', 'paused'].includes(r.state),
          );
          assert.equal(done.state, 'succeeded', `${done.reason}: ${done.message}`);
          assert.equal(done.attempt, 1, 'resuming continues the attempt, it is not a retry');
          const loss = (await api(
            server.url,
            `/api/v1/runs/${id}/metrics?name=train_loss`,
          )) as unknown as Json[];
          assert.deepEqual(
            loss.map((m) => m.step),
            Array.from({ length: N }, (_, i) => i + 1),
            'each iteration once, 1 to N',
          );
          // Iterations up to the checkpoint were computed before the kill, the rest after: training
          // continued from the checkpoint instead of starting over.
          for (const m of loss) {
            if (m.step <= checkpointAt) assert.ok(m.at < killedAt, `step ${m.step} before the kill`);
            else assert.ok(m.at > killedAt, `step ${m.step} after the restart`);
          }
          const lines = ((await api(server.url, `/api/v1/runs/${id}/logs`)).lines as Json[]).map(
            (l) => l.text,
          );
          assert.ok(lines.includes(`resuming from the checkpoint at iteration ${checkpointAt}`));
          const states = ((await api(server.url, `/api/v1/runs/${id}/events`)) as unknown as Json[])
            .filter((e) => e.kind === 'state')
            .map((e) => `${e.name}/${e.reason}`);
          assert.deepEqual(states, [
            'queued/submitted',
            'running/started',
            'paused/paused_by_user',
            'paused/server_restarted',
            'queued/resumed_by_user',
            'running/resumed',
            'succeeded/completed',
          ]);
        } finally {
          server.child.kill('SIGTERM');
          await new Promise((r) => server.child.once('exit', r));
        }
      });

      test('queued runs still run; running runs are re-queued or failed with server_restarted', async () => {
        store = await freshStore(dialect);
        let server = await startServer(store);
        const long =
          'echo "pid $$"\n[ "$MODELYARD_ATTEMPT" -ge 2 ] && { echo "second life"; exit 0; }\nexec sleep 300\n';
        const noRetry = await submitScript(server.url, long, { name: 'no-retry' });
        const withRetry = await submitScript(server.url, long, {
          name: 'with-retry',
          retries: 1,
          backoffMs: 10,
        });
        await waitState(server.url, noRetry, (r) => r.state === 'running');
        await waitState(server.url, withRetry, (r) => r.state === 'running');
        leftovers.push(await childPid(server.url, noRetry), await childPid(server.url, withRetry));
        // Both slots are busy: these two stay queued.
        const queued = await submitScript(server.url, 'echo "queued ran"\n', { name: 'queued' });
        const delayed = await submitScript(server.url, 'echo "delayed ran"\n', { name: 'low', priority: 5 });
        assert.equal((await api(server.url, `/api/v1/runs/${queued}`)).state, 'queued');

        server.child.kill('SIGKILL');
        await new Promise((r) => server.child.once('exit', r));
        server = await startServer(store);
        try {
          const failed = await waitState(server.url, noRetry, (r) => r.state !== 'running');
          assert.equal(failed.state, 'failed');
          assert.equal(failed.reason, 'server_restarted');
          const again = await waitState(server.url, withRetry, (r) => r.state === 'succeeded');
          assert.equal(again.attempt, 2);
          const states = ((await api(server.url, `/api/v1/runs/${withRetry}/events`)) as unknown as Json[])
            .filter((e) => e.kind === 'state')
            .map((e) => `${e.name}/${e.reason}`);
          assert.deepEqual(states, [
            'queued/submitted',
            'running/started',
            'queued/server_restarted',
            'running/retry',
            'succeeded/completed',
          ]);
          for (const id of [queued, delayed]) {
            const r = await waitState(server.url, id, (x) => x.state === 'succeeded');
            assert.equal(r.attempt, 1);
          }
          const logs = (await api(server.url, `/api/v1/runs/${withRetry}/logs`)).lines as Json[];
          assert.ok(
            logs.some((l) => l.text.startsWith('pid ')),
            'logs of the killed attempt are kept',
          );
          assert.ok(logs.some((l) => l.text === 'second life'));
          const all = (await api(server.url, '/api/v1/runs')) as unknown as Json[];
          assert.equal(all.length, 4, 'no run lost');
        } finally {
          server.child.kill('SIGTERM');
          await new Promise((r) => server.child.once('exit', r));
        }
      });
    });
  }
});
