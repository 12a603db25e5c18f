import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  asError,
  backoffDelayMs,
  NonRetryableError,
  validateConcurrency,
  validateJob,
  validateQueueName,
  type Consumer,
  type JobCounts,
  type JobHandler,
  type JobQueue,
  type JobSpec,
  type ProcessOptions,
  type QueueJob,
} from './job-queue.js';
import type { QueueErrorLogger } from './memory-job-queue.js';

export interface BullmqJobQueueOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Namespace of every Redis key (default `modelyard`); tests use a unique one each. */
  prefix?: string;
  /**
   * How long a consumer's claim on an active job lasts without renewal (default 30 s). A job whose
   * consumer died is delivered again once its lock expired and a stalled check ran.
   */
  lockDurationMs?: number;
  /** How often consumers look for jobs whose consumer died (default 30 s). */
  stalledIntervalMs?: number;
  /** Deliveries a job may lose to dead consumers before it fails (default 5). */
  maxStalledCount?: number;
  logger?: QueueErrorLogger;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/**
 * JobQueue on Redis through BullMQ, for several worker processes or machines. Jobs survive a
 * restart of any process; finished jobs are deleted at once (their outcome goes to the database
 * through the consumer's callbacks), which also frees their id for a later add.
 */
export function createBullmqJobQueue(options: BullmqJobQueueOptions): JobQueue {
  const prefix = options.prefix ?? 'modelyard';
  const logger = options.logger ?? { error: (obj, msg) => console.error(msg, obj) };
  // BullMQ requires maxRetriesPerRequest null so blocking commands survive reconnects.
  const connection = new Redis(options.url, { maxRetriesPerRequest: null, lazyConnect: false });
  connection.on('error', (err) => logger.error({ err }, 'redis connection error'));
  const queues = new Map<string, Queue>();
  const consumers = new Set<Consumer>();
  let closed = false;

  const queueOf = (name: string): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix });
      q.on('error', (err) => logger.error({ err, queue: name }, 'job queue error'));
      queues.set(name, q);
    }
    return q;
  };

  const report = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      logger.error({ err: e }, `job queue ${what} callback threw`);
    }
  };

  return {
    async add<T>(queue: string, spec: JobSpec<T>): Promise<boolean> {
      validateJob(queue, spec);
      if (closed) throw new Error('job queue is closed');
      const q = queueOf(queue);
      // BullMQ ignores an add whose id it holds; the lookup tells the caller. Two processes adding
      // the same id at once may both see true, but only one job exists. EXISTS on the job's hash
      // rather than getJob(): same answer without reading and parsing the whole job.
      if ((await connection.exists(q.toKey(spec.id))) === 1) return false;
      const attempts = spec.attempts ?? 1;
      await q.add(spec.name, spec.data ?? null, {
        jobId: spec.id,
        ...(spec.priority ? { priority: spec.priority } : {}),
        ...(spec.delayMs ? { delay: spec.delayMs } : {}),
        attempts,
        ...(spec.backoffMs ? { backoff: { type: 'exponential', delay: spec.backoffMs } } : {}),
        removeOnComplete: true,
        removeOnFail: true,
      });
      return true;
    },

    process<T>(queue: string, handler: JobHandler<T>, opts: ProcessOptions<T>): Consumer {
      validateQueueName(queue);
      validateConcurrency(opts.concurrency);
      if (closed) throw new Error('job queue is closed');
      const active = new Map<Promise<void>, AbortController>();

      const processor = async (job: Job) => {
        const controller = new AbortController();
        const attempts = job.opts.attempts ?? 1;
        const delivered: QueueJob<T> = {
          queue,
          id: job.id!,
          name: job.name,
          data: job.data as T,
          attempt: job.attemptsMade + 1,
          attempts,
          signal: controller.signal,
        };
        const run = (async () => {
          try {
            await handler(delivered);
          } catch (thrown) {
            const err = asError(thrown);
            const final = err instanceof NonRetryableError || delivered.attempt >= attempts;
            if (final) {
              if (opts.onFailed) report('onFailed', () => opts.onFailed!(delivered, err));
              throw new UnrecoverableError(err.message);
            }
            const waitMs = backoffDelayMs(job.opts.backoff ? backoffOf(job) : 0, delivered.attempt);
            if (opts.onRetrying) report('onRetrying', () => opts.onRetrying!(delivered, err, waitMs));
            throw err;
          }
          if (opts.onCompleted) report('onCompleted', () => opts.onCompleted!(delivered));
        })();
        active.set(run, controller);
        try {
          await run;
        } finally {
          active.delete(run);
        }
      };

      const worker = new Worker(queue, processor, {
        connection,
        prefix,
        concurrency: opts.concurrency,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: options.maxStalledCount ?? 5,
        // Without this the worker sleeps up to 5 s between polls of an empty queue's delayed set.
        drainDelay: 1,
      });
      worker.on('error', (err) => logger.error({ err, queue }, 'job queue worker error'));
      worker.on('failed', (job, err) => {
        // Our processor reports its own failures; this catches a job failed for stalling too often.
        if (!job && err) logger.error({ err, queue }, 'job failed outside its handler');
      });

      const consumer: Consumer = {
        async close({ timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS } = {}) {
          consumers.delete(consumer);
          await worker.pause(true);
          const settled = await settleWithin(active, timeoutMs);
          if (!settled) for (const c of active.values()) c.abort();
          // force: do not wait for handlers that outlived the grace period; their jobs stay
          // active in Redis and are delivered again once their locks expire.
          await worker.close(!settled);
        },
      };
      consumers.add(consumer);
      return consumer;
    },

    async remove(queue: string, id: string): Promise<boolean> {
      validateQueueName(queue);
      const q = queueOf(queue);
      const job = await q.getJob(id);
      if (!job) return false;
      const state = await job.getState();
      if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
      // 0 when the job is locked: it became active between the two calls.
      return (await q.remove(id)) === 1;
    },

    async counts(queue: string): Promise<JobCounts> {
      validateQueueName(queue);
      const c = await queueOf(queue).getJobCounts('wait', 'prioritized', 'delayed', 'active');
      return {
        waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
        delayed: c.delayed ?? 0,
        active: c.active ?? 0,
      };
    },

    describe: () => `bullmq:${redactUrl(options.url)}`,

    async ping() {
      await connection.ping();
    },

    async close(closeOptions) {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((c) => c.close(closeOptions)));
      await Promise.all([...queues.values()].map((q) => q.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

function backoffOf(job: Job): number {
  const b = job.opts.backoff;
  return typeof b === 'number' ? b : (b?.delay ?? 0);
}

async function settleWithin(active: Map<Promise<void>, AbortController>, timeoutMs: number) {
  if (active.size === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const all = Promise.allSettled(active.keys()).then(() => true as const);
  const result = await Promise.race([all, timedOut]);
  clearTimeout(timer);
  return result;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'redis';
  }
}
