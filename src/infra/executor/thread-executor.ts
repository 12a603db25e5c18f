/**
 * Built-in tasks on worker threads, and the task side of the protocol.
 *
 * Protocol (parent ⇄ task thread):
 * - The parent starts a Worker on the task host (task-host.worker.ts), or takes an idle one started
 *   with the same options from the pool (task-thread-pool.ts), and posts it a RunTask
 *   `{ taskModule, input, control, endMark }`; `control` is an Int32Array over a SharedArrayBuffer
 *   (one per task) whose slot 0 is 0 (run) or 1 (paused) or 2 (cancelled: checkpoint() throws).
 * - The host imports the task module, which exports a plain task function (`task` or default),
 *   posts `{t:'started'}`, runs `fn(input, ctx)` and posts `{t:'done', value}` or
 *   `{t:'error', message}`. `ctx.progress(v)` posts `{t:'progress', value}`.
 *   Console output of the thread becomes the execution's log lines.
 * - After the result, the host writes `endMark` on stdout and stderr (stdio and messages travel
 *   on different ports, so the mark, not the result message, says where the task's output ends;
 *   anything printed later is not the task's). If the task left nothing running (`reusable`), the
 *   host waits for the next task: once the parent has the result and both marks, the execution
 *   ends and the thread goes back to the pool. Otherwise the thread is left to exit (and
 *   terminated after a grace period), as is a thread after a crash.
 * - Pause: the parent sets control to 1. The task sees it at its next `ctx.checkpoint()`, which
 *   blocks the thread (Atomics.wait) until the parent sets 0 and notifies (resume). A shared flag
 *   rather than a message, because a busy synchronous training loop never yields to the event loop
 *   to receive messages. A task that never calls checkpoint() cannot be paused.
 * - Cancel and timeout terminate the thread at once (Worker.terminate), checkpoint or not; that
 *   thread is not reused.
 */
import { randomUUID } from 'node:crypto';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { startModuleWorker, workerModuleUrl } from '../worker-threads.js';
import { childEnv } from '../../config.js';
import {
  LineSplitter,
  PausableTimer,
  safely,
  type Execution,
  type ExecutionResult,
  type ExitReason,
  type LogLine,
  type TaskExecutor,
  type TaskSpec,
} from './executor.js';
import { CANCELLED, PAUSED, RUN, type TaskHostData, type ToParent } from './task-protocol.js';
import {
  TaskThread,
  TaskThreadPool,
  type TaskThreadPoolOptions,
  type ThreadOccupant,
} from './task-thread-pool.js';

/** After a task reported its result, how long its thread may take to end its output (or exit). */
const EXIT_GRACE_MS = 1000;

export { workerModuleUrl };

function hostUrl(): URL {
  return workerModuleUrl('infra/executor/task-host.worker');
}

/** Starts a Worker on the task host (a `.ts` host or task needs tsx in the thread). */
function startWorker(needsTsx: boolean, options: WorkerOptions): Worker {
  return startModuleWorker(hostUrl(), options, needsTsx);
}

export interface ThreadExecutorOptions {
  /** Longer output lines are split into pieces (default 8,192 characters). */
  maxLineChars?: number;
  /**
   * Idle task threads kept warm for the next task. Unset: the process-wide pool (2 threads,
   * 60 s), shared by every thread executor without options of its own.
   */
  pool?: TaskThreadPoolOptions;
}

export interface ThreadExecutor extends TaskExecutor {
  /** Task threads waiting for a task. */
  idleThreads(): number;
  /** Ends the idle threads (running tasks go on; the executor stays usable). */
  close(): Promise<void>;
}

let sharedPool: TaskThreadPool | undefined;

/** Runs built-in tasks on worker threads of this process. */
export function createThreadExecutor(options: ThreadExecutorOptions = {}): ThreadExecutor {
  const maxLineChars = options.maxLineChars ?? 8192;
  const pool = options.pool ? new TaskThreadPool(options.pool) : (sharedPool ??= new TaskThreadPool());
  return {
    describe: () => 'thread',
    moduleUrl: workerModuleUrl,
    async start(spec: TaskSpec): Promise<Execution> {
      return launchTask(spec, maxLineChars, pool);
    },
    idleThreads: () => pool.idleCount,
    close: () => pool.close(),
  };
}

/** Threads are interchangeable only when started with the same options. */
function threadKey(needsTsx: boolean, spec: TaskSpec): string {
  const env = spec.env ? Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : 1)) : null;
  return JSON.stringify([needsTsx, spec.maxHeapBytes ?? 0, env]);
}

function launchTask(spec: TaskSpec, maxLineChars: number, pool: TaskThreadPool): Execution {
  const startedAt = Date.now();
  const control = new Int32Array(new SharedArrayBuffer(4));
  let started = false;
  let ended = false;
  let paused = false;
  let endReason: ExitReason | undefined;
  let outcome: Pick<ExecutionResult, 'exitCode' | 'error' | 'value'> | undefined;
  let reusable = false;
  let grace: NodeJS.Timeout | undefined;
  const endedStreams = new Set<LogLine['stream']>();
  let resolveDone!: (r: ExecutionResult) => void;
  const done = new Promise<ExecutionResult>((r) => (resolveDone = r));

  const finish = (result: Omit<ExecutionResult, 'durationMs' | 'signal'>) => {
    if (ended) return;
    ended = true;
    timer.stop();
    clearTimeout(grace);
    const full: ExecutionResult = { ...result, signal: null, durationMs: Date.now() - startedAt };
    safely(() => spec.onExit?.(full));
    resolveDone(full);
  };
  const cannotStart = (why: string) =>
    finish({
      reason: 'failed_to_start',
      exitCode: null,
      error: `cannot start task ${spec.module.href}: ${why}`,
    });

  const emit = (line: LogLine) => safely(() => spec.onLog?.(line));
  const splitters = {
    stdout: new LineSplitter('stdout', maxLineChars, emit),
    stderr: new LineSplitter('stderr', maxLineChars, emit),
  };

  // The task ended normally and all its output is in: end the execution, keep the thread warm.
  const complete = () => {
    if (!outcome || !reusable || endedStreams.size < 2 || endReason || ended) return;
    pool.give(thread);
    if (!started) return cannotStart(outcome.error ?? 'task module not loaded');
    finish({ reason: 'exited', ...outcome });
  };

  const occupant: ThreadOccupant = {
    message(m: ToParent) {
      if (m.t === 'started') started = true;
      else if (m.t === 'progress') safely(() => spec.onProgress?.(m.value));
      else {
        outcome = m.t === 'done' ? { exitCode: 0, value: m.value } : { exitCode: 1, error: m.message };
        reusable = m.reusable;
        // A task that left timers or sockets open would keep its thread alive: end it.
        grace = setTimeout(() => thread.terminate(), EXIT_GRACE_MS);
        grace.unref();
        complete();
      }
    },
    output(stream, text) {
      if (!endedStreams.has(stream)) splitters[stream].push(text);
    },
    outputEnded(stream) {
      if (endedStreams.has(stream)) return;
      endedStreams.add(stream);
      splitters[stream].end();
      complete();
    },
    error(e) {
      if (!outcome) outcome = { exitCode: 1, error: e.message };
    },
    exit(code) {
      splitters.stdout.end();
      splitters.stderr.end();
      // A result that arrived before a cancel or timeout stands; anything else ended by force.
      if (outcome?.exitCode === 0) return finish({ reason: 'exited', ...outcome });
      if (endReason) return finish({ reason: endReason, exitCode: null });
      if (!started) return cannotStart(outcome?.error ?? `thread exited with code ${code}`);
      finish({ reason: 'exited', ...(outcome ?? { exitCode: code, error: 'task ended without a result' }) });
    },
  };

  // Before the thread exists: a start that throws finishes (and stops the timer) at once.
  const timer = new PausableTimer(spec.timeoutMs, () => stop('timeout'));
  const needsTsx = hostUrl().pathname.endsWith('.ts') || spec.module.pathname.endsWith('.ts');
  const key = threadKey(needsTsx, spec);
  let thread: TaskThread;
  try {
    const workerData: TaskHostData = { __modelyardTask: true };
    thread =
      pool.take(key) ??
      new TaskThread(
        key,
        startWorker(needsTsx, {
          workerData,
          // Our own code: it sees the server's environment (the default), plus spec.env.
          ...(spec.env ? { env: { ...childEnv(), ...spec.env } } : {}),
          stdout: true,
          stderr: true,
          ...(spec.maxHeapBytes
            ? { resourceLimits: { maxOldGenerationSizeMb: spec.maxHeapBytes / 2 ** 20 } }
            : {}),
        }),
      );
  } catch (e) {
    cannotStart((e as Error).message);
    return endedExecution(done);
  }
  try {
    thread.run(occupant, {
      t: 'run',
      taskModule: spec.module.href,
      input: spec.input,
      control,
      endMark: randomUUID(),
    });
  } catch (e) {
    // The input cannot be sent: the thread never saw the task.
    pool.give(thread);
    cannotStart((e as Error).message);
    return endedExecution(done);
  }

  const stop = (reason: ExitReason) => {
    if (ended || endReason) return;
    endReason = reason;
    // Wake a task blocked at a paused checkpoint, so termination does not wait on it.
    Atomics.store(control, 0, CANCELLED);
    Atomics.notify(control, 0);
    thread.terminate();
  };
  timer.start();

  return {
    pid: null,
    get paused() {
      return paused;
    },
    wait: () => done,
    async cancel() {
      stop('cancelled');
      await done;
    },
    async pause() {
      if (ended || paused) return;
      Atomics.store(control, 0, PAUSED);
      paused = true;
      timer.pause();
    },
    async resume() {
      if (ended || !paused) return;
      Atomics.store(control, 0, RUN);
      Atomics.notify(control, 0);
      paused = false;
      timer.start();
    },
  };
}

/** An execution that never started. */
function endedExecution(done: Promise<ExecutionResult>): Execution {
  return {
    pid: null,
    paused: false,
    wait: () => done,
    cancel: async () => {},
    pause: async () => {},
    resume: async () => {},
  };
}
