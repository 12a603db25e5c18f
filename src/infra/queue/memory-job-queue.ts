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

/** Where a consumer callback's own failure is reported (a pino logger fits). */
export interface QueueErrorLogger {
  error(obj: object, msg: string): void;
}

interface Entry {
  spec: Required<Pick<JobSpec, 'id' | 'name' | 'priority' | 'attempts' | 'backoffMs'>>;
  /** JSON of data: every delivery gets a fresh copy, as if it had crossed a network. */
  json: string;
  state: 'waiting' | 'delayed' | 'active';
  /** Deliveries so far. */
  attemptsMade: number;
  /** Order among equal priorities (FIFO); renewed when the job re-enters the waiting list. */
  seq: number;
  timer?: NodeJS.Timeout;
}

interface ConsumerState {
  handler: JobHandler<unknown>;
  options: ProcessOptions<unknown>;
  active: Map<Promise<void>, AbortController>;
  closing: boolean;
}

interface QueueState {
  jobs: Map<string, Entry>;
  /** Waiting jobs sorted by (priority, seq). */
  ready: Entry[];
  consumers: Set<ConsumerState>;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/**
 * In-process queue (the default): jobs live in this process's memory and are lost with it, which
 * is why run state lives in the database and a restarted server re-adds its queued runs.
 */
export function createMemoryJobQueue(options: { logger?: QueueErrorLogger } = {}): JobQueue {
  const queues = new Map<string, QueueState>();
  const consumers = new Set<Consumer>();
  let seq = 0;
  let closed = false;
  const logger = options.logger ?? { error: (obj, msg) => console.error(msg, obj) };

  const stateOf = (name: string): QueueState => {
    let q = queues.get(name);
    if (!q) {
      q = { jobs: new Map(), ready: [], consumers: new Set() };
      queues.set(name, q);
    }
    return q;
  };

  const enqueueReady = (q: QueueState, e: Entry) => {
    e.state = 'waiting';
    e.seq = seq++;
    // Binary search for the first entry that sorts after e.
    let lo = 0;
    let hi = q.ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = q.ready[mid]!;
      if (m.spec.priority < e.spec.priority || (m.spec.priority === e.spec.priority && m.seq < e.seq)) {
        lo = mid + 1;
      } else hi = mid;
    }
    q.ready.splice(lo, 0, e);
  };

  const delay = (queue: string, q: QueueState, e: Entry, ms: number) => {
    e.state = 'delayed';
    e.timer = setTimeout(() => {
      e.timer = undefined;
      enqueueReady(q, e);
      dispatch(queue, q);
    }, ms);
  };

  const report = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      logger.error({ err: e }, `job queue ${what} callback threw`);
    }
  };

  const run = (queue: string, q: QueueState, c: ConsumerState, e: Entry) => {
    e.state = 'active';
    e.attemptsMade += 1;
    const controller = new AbortController();
    const job: QueueJob<unknown> = {
      queue,
      id: e.spec.id,
      name: e.spec.name,
      data: JSON.parse(e.json),
      attempt: e.attemptsMade,
      attempts: e.spec.attempts,
      signal: controller.signal,
    };
    const settle = async () => {
      try {
        await c.handler(job);
        q.jobs.delete(e.spec.id);
        if (c.options.onCompleted) report('onCompleted', () => c.options.onCompleted!(job));
      } catch (thrown) {
        const err = asError(thrown);
        if (err instanceof NonRetryableError || e.attemptsMade >= e.spec.attempts) {
          q.jobs.delete(e.spec.id);
          if (c.options.onFailed) report('onFailed', () => c.options.onFailed!(job, err));
        } else {
          const waitMs = backoffDelayMs(e.spec.backoffMs, e.attemptsMade);
          if (waitMs > 0 && !closed) delay(queue, q, e, waitMs);
          else enqueueReady(q, e);
          if (c.options.onRetrying) report('onRetrying', () => c.options.onRetrying!(job, err, waitMs));
        }
      }
    };
    const p = Promise.resolve()
      .then(settle)
      .finally(() => {
        c.active.delete(p);
        dispatch(queue, q);
      });
    c.active.set(p, controller);
  };

  const dispatch = (queue: string, q: QueueState) => {
    if (closed) return;
    for (const c of q.consumers) {
      while (!c.closing && c.active.size < c.options.concurrency && q.ready.length > 0) {
        run(queue, q, c, q.ready.shift()!);
      }
    }
  };

  return {
    async add<T>(queue: string, spec: JobSpec<T>): Promise<boolean> {
      validateJob(queue, spec);
      if (closed) throw new Error('job queue is closed');
      const q = stateOf(queue);
      if (q.jobs.has(spec.id)) return false;
      const e: Entry = {
        spec: {
          id: spec.id,
          name: spec.name,
          priority: spec.priority ?? 0,
          attempts: spec.attempts ?? 1,
          backoffMs: spec.backoffMs ?? 0,
        },
        json: JSON.stringify(spec.data ?? null),
        state: 'waiting',
        attemptsMade: 0,
        seq: 0,
      };
      q.jobs.set(spec.id, e);
      if (spec.delayMs) delay(queue, q, e, spec.delayMs);
      else enqueueReady(q, e);
      // Deliver on a later tick, like a networked queue would: add() never runs a handler inline.
      setImmediate(() => dispatch(queue, q));
      return true;
    },

    process<T>(queue: string, handler: JobHandler<T>, options: ProcessOptions<T>): Consumer {
      validateQueueName(queue);
      validateConcurrency(options.concurrency);
      if (closed) throw new Error('job queue is closed');
      const q = stateOf(queue);
      const c: ConsumerState = {
        handler: handler as JobHandler<unknown>,
        options: options as ProcessOptions<unknown>,
        active: new Map(),
        closing: false,
      };
      q.consumers.add(c);
      setImmediate(() => dispatch(queue, q));
      const consumer: Consumer = {
        async close({ timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS } = {}) {
          c.closing = true;
          await waitForActive(c, timeoutMs);
          q.consumers.delete(c);
          consumers.delete(consumer);
        },
      };
      consumers.add(consumer);
      return consumer;
    },

    async remove(queue: string, id: string): Promise<boolean> {
      const q = queues.get(queue);
      const e = q?.jobs.get(id);
      if (!q || !e || e.state === 'active') return false;
      if (e.timer) clearTimeout(e.timer);
      const i = q.ready.indexOf(e);
      if (i >= 0) q.ready.splice(i, 1);
      q.jobs.delete(id);
      return true;
    },

    async counts(queue: string): Promise<JobCounts> {
      const counts = { waiting: 0, delayed: 0, active: 0 };
      for (const e of queues.get(queue)?.jobs.values() ?? []) counts[e.state] += 1;
      return counts;
    },

    describe: () => 'memory',
    ping: async () => {},

    async close(options) {
      if (closed) return;
      await Promise.all([...consumers].map((c) => c.close(options)));
      closed = true;
      for (const q of queues.values()) {
        for (const e of q.jobs.values()) if (e.timer) clearTimeout(e.timer);
      }
    },
  };
}

/** Resolves when the consumer's handlers settled, or at timeout after aborting their signals. */
async function waitForActive(c: ConsumerState, timeoutMs: number): Promise<void> {
  if (c.active.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([Promise.allSettled(c.active.keys()), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') for (const controller of c.active.values()) controller.abort();
}
