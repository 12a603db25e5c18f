/**
 * One timed drain of jobs through BullMQ by N consumer processes (bench/runs/bullmq-worker.ts),
 * with the CPU each process and Redis used meanwhile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';

const ROOT = join(import.meta.dirname, '../..');

/** CPU seconds a process has used (Linux /proc; null elsewhere). */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return null;
  }
}

/** Redis server CPU seconds (user + sys) from INFO. */
async function redisCpuSeconds(url: string): Promise<number> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url);
  try {
    const info = await r.info('cpu');
    const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
    return get('used_cpu_user') + get('used_cpu_sys');
  } finally {
    r.disconnect();
  }
}

export interface DrainOptions {
  url: string;
  workers: number;
  /**
   * `live`: every worker is up, then the clock runs from the first add (pipelined through the
   * port) to the last job done, so the adds are part of it. `backlog`: the jobs are added while
   * the queue is paused, the workers start, and the clock runs from resume to the last job done:
   * the consumers' own drain rate.
   */
  mode: 'live' | 'backlog';
  jobs: number;
  /** Handlers each consumer process runs at once. */
  concurrency: number;
  /** Wall time each job waits on a timer (no CPU); 0 = a tiny CPU-only job. */
  sleepMs: number;
}

export interface DrainResult {
  jobsPerS: number;
  /** Share of one core each process used during the drain: what is (not) the bottleneck. */
  redisCpuShare: number;
  workerCpuShare: Array<number | null>;
  /** Consumer processes' CPU (user + sys) per job, all consumers together. */
  workerCpuMsPerJob: number | null;
  /** Redis server CPU per job. */
  redisCpuMsPerJob: number;
  loadavg1m: number;
}

export async function bullmqDrain(o: DrainOptions): Promise<DrainResult> {
  const { createBullmqJobQueue } = await import('../../src/infra/queue/bullmq-job-queue.js');
  const { Queue } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const prefix = `bench-runs-${process.pid}-${o.workers}-${Date.now()}`;
  const producer = await createBullmqJobQueue({ url: o.url, prefix, logger: pino({ level: 'silent' }) });
  const adds = () =>
    Promise.all(
      Array.from({ length: o.jobs }, (_, n) =>
        producer.add('bench', { id: `job-${n}`, name: 'tiny', data: { n } }),
      ),
    );
  const control = new Redis(o.url, { maxRetriesPerRequest: null });
  const raw = new Queue('bench', { connection: control, prefix });
  if (o.mode === 'backlog') {
    await raw.pause();
    await adds();
  }
  const children: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  for (let w = 0; w < o.workers; w++) {
    const args = [o.url, prefix, 'bench', String(o.concurrency), String(o.sleepMs)];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench/runs/bullmq-worker.ts'), ...args],
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
      if (done >= o.jobs) finish();
    });
  }
  await Promise.all(ready);
  const redis0 = await redisCpuSeconds(o.url);
  const cpu0 = children.map((c) => cpuSeconds(c.pid!));
  const t0 = performance.now();
  if (o.mode === 'backlog') await raw.resume();
  else await adds();
  await finished;
  const s = (performance.now() - t0) / 1000;
  const used = children.map((c, i) => {
    const now = cpuSeconds(c.pid!);
    return now === null || cpu0[i] === null ? null : now - cpu0[i]!;
  });
  const redisUsed = (await redisCpuSeconds(o.url)) - redis0;
  for (const c of children) c.kill('SIGTERM');
  await producer.close();
  await raw.obliterate({ force: true }).catch(() => undefined);
  await raw.close();
  control.disconnect();
  const known = used.every((u) => u !== null);
  return {
    jobsPerS: o.jobs / s,
    redisCpuShare: +(redisUsed / s).toFixed(2),
    workerCpuShare: used.map((u) => (u === null ? null : +(u / s).toFixed(2))),
    workerCpuMsPerJob: known ? +((used.reduce((a, u) => a! + u!, 0)! / o.jobs) * 1000).toFixed(3) : null,
    redisCpuMsPerJob: +((redisUsed / o.jobs) * 1000).toFixed(3),
    loadavg1m: +loadavg()[0]!.toFixed(1),
  };
}
