/**
 * Restart safety with a real server process: kill -9 it while runs are queued and running, start it
 * again on the same data, and every run ends in a true state — queued runs still run, running runs
 * are re-queued when retries remain or fail with reason server_restarted — with nothing lost.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
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
      after(async () => {
        for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
        await store?.close();
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
