/**
 * bench/runs: submit→running latency of a local process run, and how fast tiny jobs drain through
 * the in-process queue and through BullMQ with 1 and 2 worker processes.
 * Writes bench/results/runs.json. Needs REDIS_URL for the BullMQ figures (skipped otherwise).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { createLocalBlobStore } from '../../src/infra/blobs/local-blob-store.js';
import { createProcessExecutor } from '../../src/infra/executor/process-executor.js';
import { createThreadExecutor } from '../../src/infra/executor/thread-executor.js';
import { openDb } from '../../src/infra/db/kysely.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { createMemoryJobQueue } from '../../src/infra/queue/memory-job-queue.js';
import { startRunWorker } from '../../src/modules/runs/index.js';

const ROOT = join(import.meta.dirname, '../..');
const LATENCY_RUNS = Number(process.env.BENCH_RUNS_LATENCY_N ?? 60);
const JOBS = Number(process.env.BENCH_RUNS_JOBS ?? 1000);
const CONCURRENCY = 8;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function latency(): Promise<{ times: number[]; spawned: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-runs-'));
  const handle = await openDb({ databaseUrl: '', sqlitePath: join(dir, 'modelyard.db') });
  await migrateToLatest(handle.db);
  const config = loadConfig({ dataDir: dir, logLevel: 'silent' }, {});
  const deps: Deps = {
    config,
    db: handle.db,
    dialect: handle.dialect,
    blobs: createLocalBlobStore(join(dir, 'blobs')),
    queue: createMemoryJobQueue(),
    logger: pino({ level: 'silent' }),
    close: () => handle.close(),
  };
  const { app, services } = await buildApp(deps);
  const worker = startRunWorker({
    deps,
    runs: services.runs,
    datasets: services.datasets,
    registry: services.registry,
    tokens: services.tokens,
    executors: {
      process: createProcessExecutor({ workRoot: join(dir, 'work') }),
      task: createThreadExecutor(),
    },
    apiUrl: 'http://127.0.0.1:1',
    queues: { default: 4 },
  });
  const code = await services.runs.uploadCode('job.sh', new TextEncoder().encode('true\n'));
  const times: number[] = [];
  const spawned: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    let started = 0;
    const waitFor = (match: (e: { kind: string; name: string; status: string }) => boolean) =>
      new Promise<number>((resolve) => {
        const off = services.runs.onChange((_run, e) => {
          if (match(e)) {
            off();
            resolve(performance.now());
          }
        });
      });
    const running = waitFor((e) => e.kind === 'state' && e.name === 'running');
    const training = waitFor((e) => e.kind === 'phase' && e.name === 'training' && e.status === 'started');
    started = performance.now();
    const run = await services.runs.submit({ codeId: code.id, command: 'sh job.sh' }, null);
    times.push((await running) - started);
    spawned.push((await training) - started);
    for (;;) {
      const r = await services.runs.get(run.id);
      if (['succeeded', 'failed', 'cancelled'].includes(r.state)) break;
      await new Promise((res) => setTimeout(res, 5));
    }
  }
  await worker.close();
  services.runs.close();
  await app.close();
  await deps.queue.close();
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
  // The first runs warm up the code paths.
  return { times: times.slice(5), spawned: spawned.slice(5) };
}

async function memoryDrain(): Promise<number> {
  const queue = createMemoryJobQueue();
  for (let n = 0; n < JOBS; n++) await queue.add('bench', { id: `job-${n}`, name: 'tiny', data: { n } });
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    queue.process<{ n: number }>(
      'bench',
      async (job) => {
        JSON.stringify(job.data);
        if (++done === JOBS) resolve();
      },
      { concurrency: CONCURRENCY },
    );
  });
  const s = (performance.now() - t0) / 1000;
  await queue.close();
  return JOBS / s;
}

async function bullmqDrain(workers: number): Promise<number> {
  const url = process.env.REDIS_URL!;
  const { createBullmqJobQueue } = await import('../../src/infra/queue/bullmq-job-queue.js');
  const prefix = `bench-runs-${process.pid}-${workers}-${Date.now()}`;
  const producer = await createBullmqJobQueue({ url, prefix, logger: pino({ level: 'silent' }) });
  const children: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  for (let w = 0; w < workers; w++) {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'bench/runs/bullmq-worker.ts'),
        url,
        prefix,
        'bench',
        String(CONCURRENCY),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    ready.push(new Promise((r) => lines.once('line', () => r())));
    let last = 0;
    lines.on('line', (l) => {
      const m = /^done (\d+)$/.exec(l);
      if (!m) return;
      done += Number(m[1]) - last;
      last = Number(m[1]);
      if (done >= JOBS) finish();
    });
  }
  // Every worker is up first; the clock runs from the first add (pipelined) to the last job done.
  await Promise.all(ready);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: JOBS }, (_, n) =>
      producer.add('bench', { id: `job-${n}`, name: 'tiny', data: { n } }),
    ),
  );
  await finished;
  const s = (performance.now() - t0) / 1000;
  for (const c of children) c.kill('SIGTERM');
  await producer.close();
  return JOBS / s;
}

const { times, spawned } = await latency();
const result: Record<string, unknown> = {
  submit_to_running_p50_ms: +pct(times, 50).toFixed(1),
  submit_to_running_p99_ms: +pct(times, 99).toFixed(1),
  submit_to_process_started_p50_ms: +pct(spawned, 50).toFixed(1),
  submit_to_process_started_p99_ms: +pct(spawned, 99).toFixed(1),
  jobs_per_s_memory: Math.round(await memoryDrain()),
  jobs_per_s_bullmq_1: null as number | null,
  jobs_per_s_bullmq_2: null as number | null,
};
if (process.env.REDIS_URL) {
  result.jobs_per_s_bullmq_1 = Math.round(await bullmqDrain(1));
  result.jobs_per_s_bullmq_2 = Math.round(await bullmqDrain(2));
  result.bullmq_2_over_1 = +(
    (result.jobs_per_s_bullmq_2 as number) / (result.jobs_per_s_bullmq_1 as number)
  ).toFixed(2);
}
const out = {
  ...result,
  protocol: {
    latency: `${LATENCY_RUNS} user-code runs ('true' via sh) submitted one at a time through the runs service on SQLite; time from submit() to the 'running' state event (the worker claimed it), and to the 'training started' phase (the process was spawned with its inputs written); first 5 dropped as warm-up`,
    drain: `${JOBS} tiny jobs (handler serialises its data) added (pipelined) once every consumer is up, then drained by consumers of concurrency ${CONCURRENCY}; BullMQ consumers are separate node processes`,
  },
  goals: { submit_to_running_p50_ms: '≤ 50', jobs_per_s: '≥ 200', scaling: '~linear (2/1 ≈ 2)' },
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  measuredAt: new Date().toISOString(),
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/runs.json'), `${JSON.stringify(out, null, 2)}\n`);
console.table(result);
process.exit(0);
