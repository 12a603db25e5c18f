/**
 * bench/runs: submit→running latency of a local process run, and how fast tiny jobs drain through
 * the in-process queue and through BullMQ with 1 and 2 worker processes; and how jobs that wait on
 * a timer (no CPU) scale over 1, 2 and 4 worker processes, which isolates the queue from the CPU.
 * Writes bench/results/runs.json. Needs REDIS_URL for the BullMQ figures (skipped otherwise).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { bullmqDrain, type DrainResult } from './bullmq-drain.js';

const ROOT = join(import.meta.dirname, '../..');
const LATENCY_RUNS = Number(process.env.BENCH_RUNS_LATENCY_N ?? 60);
const JOBS = Number(process.env.BENCH_RUNS_JOBS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_RUNS_CONCURRENCY ?? 8);
const REPEATS = Number(process.env.BENCH_RUNS_REPEATS ?? 5);
const SCALE_JOBS = Number(process.env.BENCH_RUNS_SCALE_JOBS ?? 1200);
const SCALE_SLEEP_MS = Number(process.env.BENCH_RUNS_SCALE_SLEEP_MS ?? 20);
const SCALE_CONCURRENCY = Number(process.env.BENCH_RUNS_SCALE_CONCURRENCY ?? 4);
const SCALE_REPEATS = Number(process.env.BENCH_RUNS_SCALE_REPEATS ?? 3);

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
const loadavgAtStart = loadavg().map((x) => +x.toFixed(1));
type Detail = DrainResult & { allJobsPerS: number[] };
/** Runs every case `repeats` times, interleaved so drifting load hits each alike; keeps each case's median. */
async function medians(cases: Record<string, () => Promise<DrainResult>>, repeats: number) {
  const runs: Record<string, DrainResult[]> = Object.fromEntries(Object.keys(cases).map((c) => [c, []]));
  for (let r = 0; r < repeats; r++)
    for (const [c, drain] of Object.entries(cases)) runs[c]!.push(await drain());
  return Object.fromEntries(
    Object.keys(cases).map((c) => {
      const sorted = [...runs[c]!].sort((a, b) => a.jobsPerS - b.jobsPerS);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      return [c, { ...median, allJobsPerS: runs[c]!.map((x) => Math.round(x.jobsPerS)) }];
    }),
  ) as Record<string, Detail>;
}
let bullmqDetail: Record<string, Detail> | null = null;
let scalingDetail: Record<string, Detail> | null = null;
const url = process.env.REDIS_URL;
if (url) {
  // One drain lasts about a second, so a load spike on a shared machine swings it by 2×: repeat.
  const tiny = (workers: number, mode: 'live' | 'backlog') => () =>
    bullmqDrain({ url, workers, mode, jobs: JOBS, concurrency: CONCURRENCY, sleepMs: 0 });
  bullmqDetail = await medians(
    {
      live_1: tiny(1, 'live'),
      live_2: tiny(2, 'live'),
      backlog_1: tiny(1, 'backlog'),
      backlog_2: tiny(2, 'backlog'),
    },
    REPEATS,
  );
  const rate = (c: string) => bullmqDetail![c]!.jobsPerS;
  result.jobs_per_s_bullmq_1 = Math.round(rate('live_1'));
  result.jobs_per_s_bullmq_2 = Math.round(rate('live_2'));
  result.bullmq_2_over_1 = +(rate('live_2') / rate('live_1')).toFixed(2);
  result.jobs_per_s_bullmq_backlog_1 = Math.round(rate('backlog_1'));
  result.jobs_per_s_bullmq_backlog_2 = Math.round(rate('backlog_2'));
  result.bullmq_backlog_2_over_1 = +(rate('backlog_2') / rate('backlog_1')).toFixed(2);
  result.worker_cpu_ms_per_job_tiny = bullmqDetail.backlog_1!.workerCpuMsPerJob;

  // Scaling with the CPU taken out: each job waits SCALE_SLEEP_MS on a timer, so a consumer of
  // concurrency C can finish at most C·1000/SCALE_SLEEP_MS jobs/s whatever the CPU, and N
  // consumers N times that — if the queue hands the work out evenly and fast enough.
  const sleepy = (workers: number) => () =>
    bullmqDrain({
      url,
      workers,
      mode: 'backlog',
      jobs: SCALE_JOBS,
      concurrency: SCALE_CONCURRENCY,
      sleepMs: SCALE_SLEEP_MS,
    });
  scalingDetail = await medians({ wait_1: sleepy(1), wait_2: sleepy(2), wait_4: sleepy(4) }, SCALE_REPEATS);
  const wait = (n: number) => scalingDetail![`wait_${n}`]!.jobsPerS;
  for (const n of [1, 2, 4]) result[`jobs_per_s_wait_${n}`] = Math.round(wait(n));
  result.wait_2_over_1 = +(wait(2) / wait(1)).toFixed(2);
  result.wait_4_over_1 = +(wait(4) / wait(1)).toFixed(2);
  result.wait_ideal_jobs_per_s_1 = (SCALE_CONCURRENCY * 1000) / SCALE_SLEEP_MS;
  result.worker_cpu_ms_per_job_wait = scalingDetail.wait_1!.workerCpuMsPerJob;
}
const out = {
  ...result,
  bullmq_detail: bullmqDetail,
  scaling_detail: scalingDetail,
  protocol: {
    latency: `${LATENCY_RUNS} user-code runs ('true' via sh) submitted one at a time through the runs service on SQLite; time from submit() to the 'running' state event (the worker claimed it), and to the 'training started' phase (the process was spawned with its inputs written); first 5 dropped as warm-up`,
    drain: `${JOBS} tiny jobs (handler serialises its data) drained by consumers of concurrency ${CONCURRENCY}; BullMQ consumers are separate node processes; median of ${REPEATS} interleaved repeats per case. jobs_per_s_bullmq_*: jobs added (pipelined, through the port) once every consumer is up, clock from the first add; *_backlog_*: jobs added while the queue is paused, clock from resume. These jobs are CPU-bound: producer, consumers and Redis share the machine's cores, so the 2/1 ratio shows the CPU left, not the queue`,
    scaling: `${SCALE_JOBS} jobs that each wait ${SCALE_SLEEP_MS} ms on a timer (no CPU, like I/O), added while the queue is paused, drained by 1, 2 and 4 consumer processes of concurrency ${SCALE_CONCURRENCY} each, clock from resume to the last job done; median of ${SCALE_REPEATS} interleaved repeats. Ideal: ${(SCALE_CONCURRENCY * 1000) / SCALE_SLEEP_MS} jobs/s per consumer, ratios 2 and 4`,
    cpu: 'bullmq_detail / scaling_detail: share of one core used by Redis and by each consumer process during the drain (/proc and INFO cpu), consumer and Redis CPU per job, and the 1-minute load average: when nothing is near 1.0 the drain waits on scheduling and round trips, not on Redis or consumer CPU',
  },
  goals: { submit_to_running_p50_ms: '≤ 50', jobs_per_s: '≥ 200', scaling: '~linear (2/1 ≈ 2)' },
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    node: process.version,
    loadavg_at_start: loadavgAtStart,
    loadavg_at_end: loadavg().map((x) => +x.toFixed(1)),
  },
  measuredAt: new Date().toISOString(),
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/runs.json'), `${JSON.stringify(out, null, 2)}\n`);
console.table(result);
process.exit(0);
