/**
 * Task threads kept warm between tasks (thread executor). A thread whose task ended normally goes
 * back to an idle pool, keyed by what the thread was started with (tsx or not, environment, heap
 * limit), and the next task with the same key runs on it: V8 has already compiled the task's hot
 * code, and learners' own per-thread pools (the GBDT histogram worker) survive too. Idle threads
 * are unref'd (they never keep the process alive) and end after an idle timeout, returning their
 * memory; only a few are kept.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Worker } from 'node:worker_threads';
import type { LogLine } from './executor.js';
import type { RunTask, ToParent } from './task-protocol.js';

type Stream = LogLine['stream'];

/** The task currently running on a thread: receives the thread's events. */
export interface ThreadOccupant {
  message(m: ToParent): void;
  /** Decoded output of the task. */
  output(stream: Stream, text: string): void;
  /** The host wrote the task's end mark on `stream`: nothing more of this task follows there. */
  outputEnded(stream: Stream): void;
  error(e: Error): void;
  exit(code: number): void;
}

/** One worker thread on the task host, serving one occupant at a time. */
export class TaskThread {
  occupant: ThreadOccupant | undefined;
  /** Set once the thread exited or is being terminated: never reused. */
  dead = false;
  idleTimer: NodeJS.Timeout | undefined;
  /** Called once the thread has exited (the pool forgets it). */
  onExit: (() => void) | undefined;
  private endMark = '';

  constructor(
    readonly key: string,
    readonly worker: Worker,
  ) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8');
      worker[stream].on('data', (b: Buffer) => this.route(stream, decoder.write(b)));
    }
    worker.on('message', (m: ToParent) => this.occupant?.message(m));
    // Always listened to: an error while idle must not become an unhandled 'error' event.
    worker.on('error', (e) => this.occupant?.error(e));
    worker.on('exit', (code) => {
      this.dead = true;
      this.occupant?.exit(code);
      this.onExit?.();
    });
  }

  /** Hands the task to the thread (throws if the input cannot be cloned). */
  run(occupant: ThreadOccupant, task: RunTask): void {
    this.worker.postMessage(task);
    this.endMark = task.endMark;
    this.occupant = occupant;
  }

  terminate(): void {
    this.dead = true;
    void this.worker.terminate();
  }

  private route(stream: Stream, text: string): void {
    const o = this.occupant;
    if (!o) return; // output between tasks belongs to none
    const at = this.endMark ? text.indexOf(this.endMark) : -1;
    if (at < 0) return o.output(stream, text);
    if (at > 0) o.output(stream, text.slice(0, at));
    o.outputEnded(stream);
  }
}

export interface TaskThreadPoolOptions {
  /** How many idle threads are kept (default 2); 0 ends every thread after its task. */
  maxIdle?: number;
  /** An idle thread ends after this long unused (default 60 s). */
  idleTimeoutMs?: number;
}

export class TaskThreadPool {
  private readonly idle: TaskThread[] = [];
  private readonly maxIdle: number;
  private readonly idleTimeoutMs: number;

  constructor(options: TaskThreadPoolOptions = {}) {
    this.maxIdle = options.maxIdle ?? 2;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  }

  /** The most recently used idle thread with this key, taken out of the pool and ref'd. */
  take(key: string): TaskThread | undefined {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const t = this.idle[i]!;
      if (t.key !== key || t.dead) continue;
      this.idle.splice(i, 1);
      clearTimeout(t.idleTimer);
      t.onExit = undefined;
      t.worker.ref();
      return t;
    }
    return undefined;
  }

  /** Takes back a thread whose task ended normally: idle (unref'd, with a timeout), or ended. */
  give(thread: TaskThread): void {
    thread.occupant = undefined;
    if (thread.dead) return;
    if (this.maxIdle <= 0) return thread.terminate();
    while (this.idle.length >= this.maxIdle) this.idle.shift()!.terminate();
    this.idle.push(thread);
    thread.worker.unref();
    thread.onExit = () => this.forget(thread);
    thread.idleTimer = setTimeout(() => {
      this.forget(thread);
      thread.terminate();
    }, this.idleTimeoutMs).unref();
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Ends every idle thread (the pool stays usable). */
  async close(): Promise<void> {
    const threads = this.idle.splice(0);
    await Promise.all(
      threads.map((t) => {
        clearTimeout(t.idleTimer);
        t.dead = true;
        return t.worker.terminate();
      }),
    );
  }

  private forget(thread: TaskThread): void {
    clearTimeout(thread.idleTimer);
    const i = this.idle.indexOf(thread);
    if (i >= 0) this.idle.splice(i, 1);
  }
}
