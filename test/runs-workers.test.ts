/**
 * Separate `modelyard worker` processes against Redis: the server (bundled CLI, PostgreSQL + Redis
 * + S3 through s3rver, MODELYARD_RUN_WORKER=off) only enqueues; two worker processes with their own
 * data directories take the runs from Redis and complete them, and logs, metrics, artifacts and the
 * registered model are visible through the server's API. Then one worker is killed with SIGKILL
 * mid-run: the run is delivered again once its lock expires and the other worker completes it.
 *
 * Needs REDIS_URL and DATABASE_URL; skipped without them unless MODELYARD_REQUIRE_REDIS=1 (CI),
 * which makes their absence a failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { testEnv } from '../src/config.js';
import { cliArgs } from './helpers/cli.js';
import { freshStore, type TestStore } from './helpers/db.js';
import { startLocalS3, type LocalS3Server } from './helpers/s3.js';
import { alive, type Json } from './runs-helpers.js';

const env = testEnv();
if (env.requireRedis && (env.redisUrl === '' || env.databaseUrl === ''))
  throw new Error('MODELYARD_REQUIRE_REDIS=1 but REDIS_URL or DATABASE_URL is not set');
const skip = env.redisUrl === '' || env.databaseUrl === '' ? 'REDIS_URL and DATABASE_URL are needed' : false;

const breast = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'));

/** User code: logs, a metric on stdout and one over HTTP, a model file and a plain artifact. */
const TRAIN_SH = `
echo "training on $(wc -l < "$MODELYARD_DATA_TRAIN") lines"
echo '{"metric":"loss","value":0.5,"step":1}'
echo '{"metric":"loss","value":0.25,"step":2}'
node -e "const h = { 'content-type': 'application/json' }; if (process.env.MODELYARD_TOKEN) h.authorization = 'Bearer ' + process.env.MODELYARD_TOKEN; fetch(process.env.MODELYARD_API_URL + '/api/v1/runs/' + process.env.MODELYARD_RUN_ID + '/metrics', { method: 'POST', headers: h, body: JSON.stringify([{ metric: 'http_auc', value: 0.875 }]) }).then((r) => { if (!r.ok) process.exit(3); })"
printf 'weights' > "$MODELYARD_OUTPUT_DIR/model.bin"
printf 'notes from %s' "$HOSTNAME" > "$MODELYARD_OUTPUT_DIR/notes.txt"
`;

/** Long on its first attempt (so a worker can be killed under it), quick on the second. */
const LONG_SH = `
echo "pid $$"
if [ "$MODELYARD_ATTEMPT" -ge 2 ]; then echo "second life"; echo '{"metric":"done","value":1}'; exit 0; fi
exec sleep 300
`;

interface Proc {
  child: ChildProcess;
  lines: string[];
}

/** Starts the bundled CLI with a clean environment plus `extra`; resolves once a line matches `ready`. */
async function startCli(args: string[], extra: Record<string, string>, ready: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, cliArgs(...args), {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const input = createInterface({ input: child.stdout! });
  const errors = createInterface({ input: child.stderr! });
  errors.on('line', (l) => lines.push(l));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args.join(' ')} did not start:\n${lines.join('\n')}`)),
      60_000,
    );
    input.on('line', (l) => {
      lines.push(l);
      if (ready.test(l)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${lines.join('\n')}`));
    });
  });
  return { child, lines };
}

async function stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill(signal);
  await exited;
}

describe('modelyard worker processes on Redis', { skip }, () => {
  let store: TestStore;
  let s3: LocalS3Server;
  let server: Proc;
  let url = '';
  const workers: Proc[] = [];
  const dirs: string[] = [];
  const strays: number[] = [];
  const prefix = `mytest-${randomBytes(6).toString('hex')}`;
  let shared: Record<string, string>;

  const api = async (path: string, init: RequestInit = {}): Promise<Json> => {
    const res = await fetch(url + path, init);
    const body = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${body}`);
    return (body ? JSON.parse(body) : {}) as Json;
  };
  const post = (path: string, body: unknown) =>
    api(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const waitRun = async (id: string, ok: (r: Json) => boolean, timeoutMs = 180_000): Promise<Json> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await api(`/api/v1/runs/${id}`);
      if (ok(r)) return r;
      if (Date.now() > end) throw new Error(`run ${id} still ${r.state} (${r.reason}: ${r.message})`);
      await sleep(200);
    }
  };
  const logText = async (id: string) =>
    ((await api(`/api/v1/runs/${id}/logs`)).lines as Json[]).map((l) => l.text as string);
  const submitScript = async (script: string, extra: Json) => {
    const code = await api('/api/v1/runs/code?fileName=job.sh', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: script,
    });
    return (await post('/api/v1/runs', { codeId: code.id, command: 'sh job.sh', ...extra })).id as string;
  };
  const startWorker = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-worker-'));
    dirs.push(dataDir);
    const w = await startCli(
      ['--url', url, 'worker', '--queue', 'default=2'],
      { ...shared, MODELYARD_DATA_DIR: dataDir },
      /^worker \S+ consuming default×2/,
    );
    workers.push(w);
    return { proc: w, id: /^worker (\S+)/.exec(w.lines.find((l) => l.startsWith('worker '))!)![1]! };
  };

  before(async () => {
    store = await freshStore('postgres');
    s3 = await startLocalS3();
    const s3c = s3.config(`${prefix}/`);
    shared = {
      DATABASE_URL: store.databaseUrl,
      REDIS_URL: env.redisUrl,
      MODELYARD_QUEUE_PREFIX: prefix,
      MODELYARD_S3_BUCKET: s3c.bucket,
      MODELYARD_S3_ENDPOINT: s3c.endpoint,
      MODELYARD_S3_ACCESS_KEY_ID: s3c.accessKeyId,
      MODELYARD_S3_SECRET_ACCESS_KEY: s3c.secretAccessKey,
      MODELYARD_S3_PREFIX: s3c.prefix,
      MODELYARD_LOG_LEVEL: 'warn',
    };
    const serverDir = mkdtempSync(join(tmpdir(), 'modelyard-server-'));
    dirs.push(serverDir);
    server = await startCli(
      ['up', '--port', '0'],
      { ...shared, MODELYARD_DATA_DIR: serverDir, MODELYARD_RUN_WORKER: 'off' },
      /is up at http/,
    );
    url = /is up at (http\S+)/.exec(server.lines.find((l) => /is up at http/.test(l))!)![1]!;
  });

  after(async () => {
    for (const w of workers) await stop(w);
    await stop(server);
    for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await s3?.stop();
    await store?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (env.redisUrl) {
      const redis = new Redis(env.redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    }
  });

  test('the server only enqueues; two workers complete a built-in and a user-code run', async () => {
    const ds = await api('/api/v1/datasets?name=bc&target=target&seed=1', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: breast,
    });
    assert.equal(ds.name, 'bc');
    const gbdt = (await post('/api/v1/runs', {
      learner: 'gbdt',
      dataset: 'bc',
      params: { n_estimators: 8, max_depth: 3 },
      modelName: 'bc-gbdt-workers',
    })) as Json;
    const code = await submitScript(TRAIN_SH, { dataset: 'bc', modelName: 'bc-code-workers' });
    // No worker yet: the server does not execute runs, so both wait in the queue.
    await sleep(1500);
    assert.equal((await api(`/api/v1/runs/${gbdt.id}`)).state, 'queued');
    assert.equal((await api(`/api/v1/runs/${code}`)).state, 'queued');

    const w1 = await startWorker();
    const w2 = await startWorker();
    const ids = new Set([w1.id, w2.id]);

    const g = await waitRun(gbdt.id, (r) => ['succeeded', 'failed', 'cancelled'].includes(r.state));
    assert.equal(g.state, 'succeeded', `${g.reason}: ${g.message}`);
    assert.ok(g.modelVersionId);
    const gMetrics = (await api(`/api/v1/runs/${gbdt.id}/metrics`)) as unknown as Json[];
    const trainLoss = gMetrics.filter((m) => m.name === 'train_loss');
    assert.equal(trainLoss.length, 8, 'one train_loss point per boosting round');
    assert.ok(gMetrics.some((m) => m.name === 'validation_accuracy' && m.value > 0.85));
    const gArtifacts = (await api(`/api/v1/runs/${gbdt.id}/artifacts`)) as unknown as Json[];
    assert.deepEqual(
      gArtifacts.map((a) => a.path),
      ['model.myd'],
    );
    const gLogs = await logText(gbdt.id);
    const gWorker = /\(worker (\S+)\)/.exec(gLogs.find((l) => l.includes('(worker '))!)![1]!;
    assert.ok(ids.has(gWorker), `executed by one of the worker processes, not ${gWorker}`);

    const c = await waitRun(code, (r) => ['succeeded', 'failed', 'cancelled'].includes(r.state));
    assert.equal(c.state, 'succeeded', `${c.reason}: ${c.message}\n${(await logText(code)).join('\n')}`);
    assert.ok(c.modelVersionId, 'model.bin registers a model');
    const cLogs = await logText(code);
    assert.ok(cLogs.some((l) => /^training on \d+ lines$/.test(l)));
    assert.ok(ids.has(/\(worker (\S+)\)/.exec(cLogs.find((l) => l.includes('(worker '))!)![1]!));
    const cMetrics = (await api(`/api/v1/runs/${code}/metrics`)) as unknown as Json[];
    assert.deepEqual(
      cMetrics.filter((m) => m.name === 'loss').map((m) => [m.step, m.value]),
      [
        [1, 0.5],
        [2, 0.25],
      ],
    );
    assert.equal(cMetrics.find((m) => m.name === 'http_auc')?.value, 0.875);
    const cArtifacts = ((await api(`/api/v1/runs/${code}/artifacts`)) as unknown as Json[])
      .map((a) => a.path)
      .sort();
    assert.deepEqual(cArtifacts, ['model.bin', 'notes.txt']);
    // Stored by the worker in S3, read back by the server.
    const model = await fetch(`${url}/api/v1/runs/${code}/artifacts/model.bin`);
    assert.equal(model.status, 200);
    assert.equal(await model.text(), 'weights');
    const registered = await api(`/api/v1/models/${c.modelVersionId}`);
    assert.equal(registered.lineage.sourceRunId, code);
  });

  test('kill -9 of a worker mid-run: the other worker completes the run on its second attempt', async () => {
    if (workers.length < 2) {
      await startWorker();
      await startWorker();
    }
    const id = await submitScript(LONG_SH, { name: 'long', retries: 1, backoffMs: 10 });
    await waitRun(id, (r) => r.state === 'running');
    let pidLine: string | undefined;
    let workerLine: string | undefined;
    for (let i = 0; i < 300 && !(pidLine && workerLine); i++) {
      const lines = await logText(id);
      pidLine = lines.find((l) => /^pid \d+$/.test(l));
      workerLine = lines.find((l) => l.includes('(worker '));
      if (!(pidLine && workerLine)) await sleep(200);
    }
    assert.ok(pidLine && workerLine, 'the first attempt logged its pid and worker');
    strays.push(Number(pidLine.slice(4)));
    const victimId = /\(worker (\S+)\)/.exec(workerLine)![1]!;
    const victim = workers.find((w) => w.lines.some((l) => l.startsWith(`worker ${victimId} `)))!;
    assert.ok(victim, 'the run is on one of our workers');
    await stop(victim, 'SIGKILL');
    // The user program dies with its worker (the executor's watchdog ends its process group).
    const userPid = Number(pidLine.slice(4));
    for (let i = 0; i < 100 && alive(userPid); i++) await sleep(100);
    assert.ok(!alive(userPid), 'the killed worker left its user program running');

    // BullMQ delivers the job again once the dead worker's lock expires (30 s) and a stalled check
    // runs; the survivor sees a stale heartbeat, re-queues the run, and runs attempt 2.
    const done = await waitRun(id, (r) => ['succeeded', 'failed', 'cancelled'].includes(r.state), 240_000);
    assert.equal(done.state, 'succeeded', `${done.reason}: ${done.message}`);
    assert.equal(done.attempt, 2);
    const states = ((await api(`/api/v1/runs/${id}/events`)) as unknown as Json[])
      .filter((e) => e.kind === 'state')
      .map((e) => `${e.name}/${e.reason}`);
    assert.deepEqual(states, [
      'queued/submitted',
      'running/started',
      'queued/worker_lost',
      'running/retry',
      'succeeded/completed',
    ]);
    const lines = await logText(id);
    assert.ok(lines.includes('second life'));
    const second = lines.filter((l) => l.includes('(worker ')).map((l) => /\(worker (\S+)\)/.exec(l)![1]);
    assert.equal(second.length, 2);
    assert.notEqual(second[1], victimId, 'attempt 2 ran on the surviving worker');
  });
});
