/**
 * Built-in tasks on worker threads, and the task side of the protocol.
 *
 * Protocol (parent ⇄ task thread):
 * - The parent starts a Worker on the task host (task-host.worker.ts) with workerData
 *   `{ __modelyardTask, taskModule, input, control }`; `control` is an Int32Array over a
 *   SharedArrayBuffer whose slot 0 is 0 (run) or 1 (paused) or 2 (cancelled: checkpoint() throws).
 * - The host imports the task module, which exports a plain task function (`task` or default),
 *   posts `{t:'started'}`, runs `fn(input, ctx)` and posts `{t:'done', value}` or
 *   `{t:'error', message}`. `ctx.progress(v)` posts `{t:'progress', value}`.
 *   Console output of the thread becomes the execution's log lines.
 * - Pause: the parent sets control to 1. The task sees it at its next `ctx.checkpoint()`, which
 *   blocks the thread (Atomics.wait) until the parent sets 0 and notifies (resume). A shared flag
 *   rather than a message, because a busy synchronous training loop never yields to the event loop
 *   to receive messages. A task that never calls checkpoint() cannot be paused.
 * - Cancel and timeout terminate the thread at once (Worker.terminate), checkpoint or not.
 */
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
import { CANCELLED, PAUSED, RUN, type TaskWorkerData, type ToParent } from './task-protocol.js';

/** After a task reported its result, how long its thread may take to exit by itself. */
const EXIT_GRACE_MS = 1000;

export { workerModuleUrl };

/** Starts a Worker on the task host, which loads `task` (a `.ts` task needs tsx in the thread). */
function startWorker(task: URL, options: WorkerOptions): Worker {
  const host = workerModuleUrl('infra/executor/task-host.worker');
  return startModuleWorker(host, options, host.pathname.endsWith('.ts') || task.pathname.endsWith('.ts'));
}

export interface ThreadExecutorOptions {
  /** Longer output lines are split into pieces (default 8,192 characters). */
  maxLineChars?: number;
}

/** Runs built-in tasks on worker threads of this process. */
export function createThreadExecutor(options: ThreadExecutorOptions = {}): TaskExecutor {
  const maxLineChars = options.maxLineChars ?? 8192;
  return {
    describe: () => 'thread',
    moduleUrl: workerModuleUrl,
    async start(spec: TaskSpec): Promise<Execution> {
      return launchTask(spec, maxLineChars);
    },
  };
}

function launchTask(spec: TaskSpec, maxLineChars: number): Execution {
  const startedAt = Date.now();
  const control = new Int32Array(new SharedArrayBuffer(4));
  const data: TaskWorkerData = {
    __modelyardTask: true,
    taskModule: spec.module.href,
    input: spec.input,
    control,
  };
  let started = false;
  let ended = false;
  let paused = false;
  let endReason: ExitReason | undefined;
  let outcome: Pick<ExecutionResult, 'exitCode' | 'error' | 'value'> | undefined;
  let resolveDone!: (r: ExecutionResult) => void;
  const done = new Promise<ExecutionResult>((r) => (resolveDone = r));

  const finish = (result: Omit<ExecutionResult, 'durationMs' | 'signal'>) => {
    if (ended) return;
    ended = true;
    timer.stop();
    const full: ExecutionResult = { ...result, signal: null, durationMs: Date.now() - startedAt };
    safely(() => spec.onExit?.(full));
    resolveDone(full);
  };

  // Before the Worker exists: a start that throws finishes (and stops the timer) at once.
  const timer = new PausableTimer(spec.timeoutMs, () => stop('timeout'));
  let worker: Worker;
  try {
    worker = startWorker(spec.module, {
      workerData: data,
      // Our own code: it sees the server's environment (the default), plus spec.env.
      ...(spec.env ? { env: { ...childEnv(), ...spec.env } } : {}),
      stdout: true,
      stderr: true,
      ...(spec.maxHeapBytes
        ? { resourceLimits: { maxOldGenerationSizeMb: spec.maxHeapBytes / 2 ** 20 } }
        : {}),
    });
  } catch (e) {
    const error = `cannot start task ${spec.module.href}: ${(e as Error).message}`;
    finish({ reason: 'failed_to_start', exitCode: null, error });
    return {
      pid: null,
      paused: false,
      wait: () => done,
      cancel: async () => {},
      pause: async () => {},
      resume: async () => {},
    };
  }

  const stop = (reason: ExitReason) => {
    if (ended || endReason) return;
    endReason = reason;
    // Wake a task blocked at a paused checkpoint, so termination does not wait on it.
    Atomics.store(control, 0, CANCELLED);
    Atomics.notify(control, 0);
    void worker.terminate();
  };
  const emit = (line: LogLine) => safely(() => spec.onLog?.(line));
  const out = new LineSplitter('stdout', maxLineChars, emit);
  const err = new LineSplitter('stderr', maxLineChars, emit);
  worker.stdout.on('data', (b: Buffer) => out.push(b));
  worker.stderr.on('data', (b: Buffer) => err.push(b));

  worker.on('message', (m: ToParent) => {
    if (m.t === 'started') started = true;
    else if (m.t === 'progress') safely(() => spec.onProgress?.(m.value));
    else {
      outcome = m.t === 'done' ? { exitCode: 0, value: m.value } : { exitCode: 1, error: m.message };
      // A task that left timers or sockets open would keep its thread alive: end it.
      setTimeout(() => void worker.terminate(), EXIT_GRACE_MS).unref();
    }
  });
  worker.on('error', (e) => {
    if (!outcome) outcome = { exitCode: 1, error: e.message };
  });
  worker.on('exit', (code) => {
    out.end();
    err.end();
    // A result that arrived before a cancel or timeout stands; anything else ended by force.
    if (outcome?.exitCode === 0) return finish({ reason: 'exited', ...outcome });
    if (endReason) return finish({ reason: endReason, exitCode: null });
    if (!started) {
      const why = outcome?.error ?? `thread exited with code ${code}`;
      return finish({
        reason: 'failed_to_start',
        exitCode: null,
        error: `cannot start task ${spec.module.href}: ${why}`,
      });
    }
    finish({ reason: 'exited', ...(outcome ?? { exitCode: code, error: 'task ended without a result' }) });
  });
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
