/**
 * `modelyard serve --workers N`: N processes share the listening port through node:cluster. The
 * primary only supervises — it loads no model and answers no request: it forks the workers (each
 * re-runs the same command line and loads the model itself), announces the address once all are
 * up, replaces a worker that dies, and on SIGTERM/SIGINT stops them all before it exits.
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AppError } from '../errors.js';
import { createProcessSampler, statsBody } from '../modules/serving/stats.js';
import type { StatsPart } from '../modules/serving/stats.js';
import { CliError } from './client.js';

/**
 * Messages a worker sends its primary over the cluster IPC channel. For /stats/ the worker that got
 * the request sends `stats-request`; every ready worker answers the primary's `stats-collect` with
 * `stats-part` (null when it has no model loaded).
 */
export type WorkerMessage =
  | { type: 'ready'; line: string }
  | { type: 'failed'; message: string }
  | { type: 'stats-request'; id: number }
  | { type: 'stats-part'; id: number; part: StatsPart | null };

/** Messages the primary sends a worker; `id` is the asker's for a response, the primary's for a collect. */
export type PrimaryMessage =
  | { type: 'stats-collect'; id: number }
  | { type: 'stats-response'; id: number; body: Record<string, unknown> };

/** How long the primary waits for a worker's figures before leaving it out of /stats/. */
export const STATS_COLLECT_TIMEOUT_MS = 1000;

/** Header naming the worker process that answered, set on every response under `--workers`. */
export const WORKER_HEADER = 'x-modelyard-worker';

/**
 * `--workers` / DRUM's `--max-workers`: a positive integer, or `0`/`auto` for one per core.
 * Both flags name the same setting; giving both with different values is an error.
 */
export function parseWorkers(workers?: string, maxWorkers?: string): number {
  if (workers !== undefined && maxWorkers !== undefined && workers !== maxWorkers)
    throw new CliError(`--workers and --max-workers disagree ('${workers}' vs '${maxWorkers}')`, 2);
  const v = (workers ?? maxWorkers ?? '1').trim().toLowerCase();
  if (v === 'auto' || v === '0') return availableParallelism();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1)
    throw new CliError(`--workers must be a positive integer, 0 or auto (got '${workers ?? maxWorkers}')`, 2);
  return n;
}

/** In a worker process: tells the primary how things went (resolves once the message is sent). */
export function reportToPrimary(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

/**
 * In a worker: answers the primary's collects with `local()` (which starts a new time window, as
 * a DRUM read does) and returns the function that asks the primary for the whole server's /stats/.
 */
export function clusterStats(local: () => StatsPart | null): () => Promise<Record<string, unknown>> {
  const asked = new Map<
    number,
    { resolve: (body: Record<string, unknown>) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 0;
  process.on('message', (message) => {
    if (typeof message !== 'object' || message === null) return;
    const m = message as PrimaryMessage;
    if (m.type === 'stats-collect') void reportToPrimary({ type: 'stats-part', id: m.id, part: local() });
    else if (m.type === 'stats-response') {
      const a = asked.get(m.id);
      asked.delete(m.id);
      clearTimeout(a?.timer);
      a?.resolve(m.body);
    }
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      // The primary answers within its collect timeout; past that it is gone or stuck.
      const timer = setTimeout(() => {
        asked.delete(id);
        reject(new AppError('unavailable', 'the primary process did not answer for the other workers'));
      }, STATS_COLLECT_TIMEOUT_MS + 2000);
      asked.set(id, { resolve, timer });
      void reportToPrimary({ type: 'stats-request', id });
    });
}

interface StatsCollect {
  asker: Worker;
  askerId: number;
  waiting: Set<Worker>;
  parts: StatsPart[];
  missing: number;
  timer: NodeJS.Timeout;
}

/**
 * In the primary: gathers every ready worker's figures for one /stats/ request and sends the
 * merged body (the primary's own process listed first) to the worker that asked. A worker that
 * does not answer in time, dies meanwhile, or has no model is counted in `workers_missing`.
 */
function createStatsGatherer(ready: ReadonlySet<Worker>) {
  const sampleSelf = createProcessSampler();
  const collects = new Map<number, StatsCollect>();
  let nextId = 0;
  const finish = (id: number) => {
    const c = collects.get(id);
    if (!c) return;
    collects.delete(id);
    clearTimeout(c.timer);
    const body = {
      ...statsBody(c.parts, [sampleSelf()]),
      workers: c.parts.length,
      workers_missing: c.missing + c.waiting.size,
    };
    if (c.asker.isConnected())
      c.asker.send({ type: 'stats-response', id: c.askerId, body } satisfies PrimaryMessage);
  };
  const drop = (id: number, w: Worker) => {
    const c = collects.get(id);
    if (!c?.waiting.delete(w)) return;
    c.missing++;
    if (c.waiting.size === 0) finish(id);
  };
  return {
    request(asker: Worker, askerId: number) {
      const id = ++nextId;
      const timer = setTimeout(() => finish(id), STATS_COLLECT_TIMEOUT_MS);
      timer.unref();
      const c: StatsCollect = { asker, askerId, waiting: new Set(ready), parts: [], missing: 0, timer };
      collects.set(id, c);
      for (const w of c.waiting) {
        if (!w.isConnected()) drop(id, w);
        else
          w.send({ type: 'stats-collect', id } satisfies PrimaryMessage, (e) => {
            if (e) drop(id, w);
          });
      }
      if (c.waiting.size === 0) finish(id);
    },
    part(from: Worker, id: number, part: StatsPart | null) {
      const c = collects.get(id);
      if (!part) return drop(id, from);
      if (!c?.waiting.delete(from)) return;
      c.parts.push(part);
      if (c.waiting.size === 0) finish(id);
    },
    /** A worker that exited answers no collect still waiting for it. */
    gone(w: Worker) {
      for (const id of [...collects.keys()]) drop(id, w);
    },
  };
}

/** A crash this soon after the previous one counts as part of a crash loop. */
const CRASH_LOOP_WINDOW_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * How long to wait before replacing a crashed worker: at once for an isolated crash, then 1 s,
 * 2 s, 4 s … (at most 30 s) while crashes keep coming within 10 s of each other, so a model that
 * dies on every request cannot spin the primary.
 */
export function restartDelayMs(crashesInARow: number): number {
  if (crashesInARow <= 1) return 0;
  return Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** (crashesInARow - 2));
}

/**
 * Runs the primary until it is told to stop (resolves after every worker has exited) or a worker
 * fails before it was ready — a model that does not load, at start or in a replacement — which
 * stops the others and rejects with the worker's reason.
 */
export function superviseWorkers(count: number): Promise<void> {
  const live = new Set<Worker>();
  const ready = new Set<Worker>();
  let announced = false;
  let stopping = false;
  let failure: CliError | null = null;
  let crashesInARow = 0;
  let lastCrashMs = -Infinity;
  const pendingRestarts = new Set<NodeJS.Timeout>();
  const stats = createStatsGatherer(ready);

  return new Promise<void>((resolve, reject) => {
    const finishIfDone = () => {
      if (live.size > 0) return;
      for (const t of pendingRestarts) clearTimeout(t);
      pendingRestarts.clear();
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      if (failure) reject(failure);
      else resolve();
    };
    function stop(): void {
      if (stopping) return;
      stopping = true;
      // SIGTERM runs each worker's own graceful close (open requests finish, runtimes shut down).
      for (const w of live) w.process.kill('SIGTERM');
      finishIfDone();
    }
    const fail = (message: string) => {
      failure ??= new CliError(message);
      stop();
    };
    const fork = () => {
      const w = cluster.fork();
      live.add(w);
      let reason = '';
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'stats-request') stats.request(w, m.id);
        else if (m.type === 'stats-part') stats.part(w, m.id, m.part);
        else if (m.type === 'failed') reason = m.message;
        else if (m.type === 'ready') {
          ready.add(w);
          if (!announced && ready.size === count) {
            announced = true;
            process.stderr.write(`${m.line} (${count} worker processes, primary pid ${process.pid})\n`);
          }
        }
      });
      w.on('exit', (code, signal) => {
        live.delete(w);
        const wasReady = ready.delete(w);
        stats.gone(w);
        if (stopping) return finishIfDone();
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!wasReady) return fail(reason || `a worker exited (${how}) before it was ready`);
        const now = Date.now();
        crashesInARow = now - lastCrashMs <= CRASH_LOOP_WINDOW_MS ? crashesInARow + 1 : 1;
        lastCrashMs = now;
        const delayMs = restartDelayMs(crashesInARow);
        process.stderr.write(
          `worker ${w.process.pid} exited (${how}); starting a replacement` +
            (delayMs > 0 ? ` in ${delayMs / 1000} s (${crashesInARow} crashes in a row)\n` : '\n'),
        );
        const t = setTimeout(() => {
          pendingRestarts.delete(t);
          if (!stopping) fork();
        }, delayMs);
        pendingRestarts.add(t);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    for (let i = 0; i < count; i++) fork();
  });
}
