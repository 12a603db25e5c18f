import { AppError } from '../../errors.js';

/** What a producer hands the queue. `data` must survive JSON (it may cross a network). */
export interface JobSpec<T = unknown> {
  /**
   * Caller-chosen id, unique within the queue (e.g. the run id). Adding an id that the queue still
   * holds (waiting, delayed, active or retrying) is a no-op; once the job finished, the id is free.
   * Letters, digits, `.`, `_` and `-`; not all digits (BullMQ reserves numeric ids).
   */
  id: string;
  /** Kind of work, for handlers that serve several kinds and for logs. */
  name: string;
  data: T;
  /** Lower is sooner; unset (0) comes before any explicit priority, as in BullMQ. 0 to 2,097,151. */
  priority?: number;
  /** Not delivered before this many milliseconds have passed. */
  delayMs?: number;
  /** Deliveries in all, including the first (default 1: no retry). */
  attempts?: number;
  /** Wait before retry n (n ≥ 1) is `backoffMs * 2^(n-1)`. Default 0. */
  backoffMs?: number;
}

/** A delivery of a job to a handler. */
export interface QueueJob<T = unknown> {
  queue: string;
  id: string;
  name: string;
  data: T;
  /** 1 for the first delivery, 2 for the first retry, … */
  attempt: number;
  /** The job's `attempts` setting. */
  attempts: number;
  /**
   * Aborted when the consumer shuts down and its grace period is over: the handler should stop its
   * work (e.g. cancel an execution). Whether the job is delivered again then depends on the adapter
   * (BullMQ: yes, after its lock expires; memory: the queue is gone with the process).
   */
  signal: AbortSignal;
}

export type JobHandler<T = unknown> = (job: QueueJob<T>) => Promise<void>;

/** How a consumer runs and what it reports. Callbacks run in the consumer's process. */
export interface ProcessOptions<T = unknown> {
  /** Handlers of this consumer running at once (≥ 1). */
  concurrency: number;
  /** The handler resolved. */
  onCompleted?: (job: QueueJob<T>) => void;
  /** The handler threw and the job will be delivered again after `delayMs`. */
  onRetrying?: (job: QueueJob<T>, error: Error, delayMs: number) => void;
  /** The handler threw on the last attempt (or threw NonRetryableError): the job is dropped. */
  onFailed?: (job: QueueJob<T>, error: Error) => void;
}

/** A running consumer of one queue. */
export interface Consumer {
  /** Stops taking jobs and waits (up to timeoutMs, default 10 s) for its active handlers. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** Jobs in a queue by state. Waiting includes prioritized jobs; delayed includes pending retries. */
export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
}

/**
 * Named work queues. The queue only moves work: the database holds each job's state and results,
 * so a job's outcome is reported through the consumer's callbacks and nothing is stored here.
 * Delivery is at least once: a job whose consumer dies may run again (BullMQ), so handlers must
 * check the database state before doing work.
 */
export interface JobQueue {
  /** Enqueues a job; returns false when a job with that id is already held (nothing changes). */
  add<T>(queue: string, job: JobSpec<T>): Promise<boolean>;
  /** Starts a consumer; jobs added before it started are delivered too. */
  process<T>(queue: string, handler: JobHandler<T>, options: ProcessOptions<T>): Consumer;
  /** Removes a waiting or delayed job; false when it is active or unknown. */
  remove(queue: string, id: string): Promise<boolean>;
  counts(queue: string): Promise<JobCounts>;
  /** Short description for logs and /readyz, e.g. `memory` or `bullmq:redis://host:6379`. */
  describe(): string;
  /** Readiness probe. */
  ping(): Promise<void>;
  /** Closes every consumer (see Consumer.close) and releases connections. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** Throw from a handler to fail the job at once, without the remaining retries. */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
}

const ID_RULE = /^[A-Za-z0-9._-]{1,200}$/;
const QUEUE_RULE = /^[A-Za-z0-9._-]{1,100}$/;
export const MAX_PRIORITY = 2_097_151;

function bad(field: string, rule: string): AppError {
  return new AppError('invalid', `job ${field} ${rule}`, {
    reason: 'invalid_job',
    errors: [{ field, message: rule }],
  });
}

/** Rejects names and options that either adapter would treat differently or refuse. */
export function validateJob(queue: string, job: JobSpec<unknown>): void {
  if (!QUEUE_RULE.test(queue)) throw bad('queue', 'must be 1–100 letters, digits, . _ -');
  if (!ID_RULE.test(job.id) || /^\d+$/.test(job.id)) {
    throw bad('id', 'must be 1–200 letters, digits, . _ - and not all digits');
  }
  if (typeof job.name !== 'string' || job.name === '') throw bad('name', 'must be a non-empty string');
  const ints: Array<[keyof JobSpec, number, number]> = [
    ['priority', 0, MAX_PRIORITY],
    ['delayMs', 0, 2 ** 31],
    ['attempts', 1, 1000],
    ['backoffMs', 0, 2 ** 31],
  ];
  for (const [field, min, max] of ints) {
    const v = job[field];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min || (v as number) > max)) {
      throw bad(field, `must be an integer from ${min} to ${max}`);
    }
  }
}

export function validateQueueName(queue: string): void {
  if (!QUEUE_RULE.test(queue)) throw bad('queue', 'must be 1–100 letters, digits, . _ -');
}

export function validateConcurrency(concurrency: number): void {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new AppError('invalid', 'concurrency must be an integer ≥ 1', { reason: 'invalid_job' });
  }
}

/** Wait before the retry that follows failed attempt `attempt` (1-based). */
export function backoffDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** (attempt - 1);
}

/** Anything a handler throws, as an Error. */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
