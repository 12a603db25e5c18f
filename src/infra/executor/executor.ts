import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { AppError } from '../../errors.js';

/** Why an execution ended. */
export type ExitReason = 'exited' | 'timeout' | 'cancelled' | 'failed_to_start';

export interface ExecutionResult {
  reason: ExitReason;
  /** Exit status when the program ended by itself (0 = success); null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the program, e.g. `SIGTERM` after a cancel. */
  signal: NodeJS.Signals | null;
  /** Why it could not start, or the message a built-in task threw. */
  error?: string;
  /** What a built-in task returned (thread executor only). */
  value?: unknown;
  /** Wall time from start to end, pauses included. */
  durationMs: number;
}

/** One line of output. Lines longer than the executor's limit arrive in pieces marked `partial`. */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** Without the line break. */
  text: string;
  /** When the bytes were read (ms since epoch). */
  timeMs: number;
  /** More of the same line follows in the next piece. */
  partial?: boolean;
}

/** What every kind of execution accepts. */
export interface ExecutionSpecBase {
  /** Variables added to the program's environment (the server's own are not passed on). */
  env?: Record<string, string>;
  /** Running time after which the execution is killed with reason `timeout`; paused time does not count. */
  timeoutMs?: number;
  /** Called for each output line, in order within a stream. */
  onLog?: (line: LogLine) => void;
  /** Called once with the result, before wait() resolves. */
  onExit?: (result: ExecutionResult) => void;
}

/** A running (or finished) program. */
export interface Execution {
  /** OS process id (process executor); null when it never started or runs in a thread. */
  readonly pid: number | null;
  /** Resolves once the program and everything it started have ended; never rejects. */
  wait(): Promise<ExecutionResult>;
  /** Ends the execution with reason `cancelled` and resolves when it has ended; no-op once ended. */
  cancel(): Promise<void>;
  /** Suspends the execution (a process group stops at once; a task at its next checkpoint). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  readonly paused: boolean;
}

/** A file handed to the program, placed at `path` (relative) in its working directory. */
export interface InputFile {
  path: string;
  content: string | Uint8Array | (() => Promise<Readable>);
  /** Unix permission bits, e.g. 0o755 for a script. */
  mode?: number;
}

/** Limits applied where the OS allows; unset means unlimited. */
export interface ResourceLimits {
  /** Virtual memory of each process (ulimit -v). */
  addressSpaceBytes?: number;
  /** CPU time of each process (ulimit -t); the kernel sends SIGXCPU then SIGKILL. */
  cpuSeconds?: number;
  /** Open file descriptors per process (ulimit -n). */
  openFiles?: number;
}

/**
 * User code as an OS program. Nothing here names a path on the server: inputs are contents, and
 * outputs are read back through the execution, so an executor may run the program elsewhere
 * (a container, a Kubernetes Job) as long as it materialises the same layout.
 */
export interface ProcessSpec extends ExecutionSpecBase {
  /** argv (no shell) or a shell command line run by `/bin/sh -c`. */
  command: string[] | string;
  /** Files written into the working directory before start. */
  inputs?: InputFile[];
  /** Directory (relative to the working directory) whose files are the outputs; default `output`. */
  outputDir?: string;
  limits?: ResourceLimits;
}

/** A file the program left in its output directory. */
export interface OutputFile {
  /** Relative to the output directory, `/`-separated. */
  path: string;
  sizeBytes: number;
  open(): Readable;
}

export interface ProcessExecution extends Execution {
  /** Files in the output directory (call after wait()). */
  outputs(): Promise<OutputFile[]>;
  /** Deletes the working directory (cancels the program first if it still runs). */
  dispose(): Promise<void>;
}

/** Starts user programs. */
export interface ProcessExecutor {
  /** Rejects only for an invalid spec; a program that cannot start ends with `failed_to_start`. */
  start(spec: ProcessSpec): Promise<ProcessExecution>;
  describe(): string;
}

/** Variables every process execution gets (see docs/queue-and-executors.md). */
export const EXECUTION_ENV = {
  /** Absolute path of the working directory (also the cwd). */
  workDir: 'MODELYARD_WORK_DIR',
  /** Absolute path of the output directory. */
  outputDir: 'MODELYARD_OUTPUT_DIR',
} as const;

/** Rejects input/output paths that could leave the working directory. */
export function assertRelativePath(field: string, path: string): void {
  const parts = path.split('/');
  if (
    path === '' ||
    path.startsWith('/') ||
    path.includes('\\') ||
    parts.some((p) => p === '..' || p === '')
  ) {
    throw new AppError('invalid', `${field} '${path}' must be a relative path inside the working directory`, {
      reason: 'invalid_execution_spec',
      errors: [{ field, message: 'must be a relative path without .. or empty segments' }],
    });
  }
}

/**
 * Turns a byte stream into lines: decodes UTF-8 across chunk borders, drops `\r\n` endings, and
 * cuts lines longer than maxLineChars into pieces so one runaway line cannot exhaust memory.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly stream: LogLine['stream'],
    private readonly maxLineChars: number,
    private readonly emit: (line: LogLine) => void,
  ) {}

  push(chunk: Buffer | string): void {
    const timeMs = Date.now();
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.line(this.pending.slice(0, nl).replace(/\r$/, ''), timeMs);
      this.pending = this.pending.slice(nl + 1);
    }
    while (this.pending.length > this.maxLineChars) {
      this.emit({
        stream: this.stream,
        text: this.pending.slice(0, this.maxLineChars),
        timeMs,
        partial: true,
      });
      this.pending = this.pending.slice(this.maxLineChars);
    }
  }

  /** Flushes a last line that had no line break. */
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') this.line(this.pending, Date.now());
    this.pending = '';
  }

  private line(text: string, timeMs: number) {
    let rest = text;
    while (rest.length > this.maxLineChars) {
      this.emit({ stream: this.stream, text: rest.slice(0, this.maxLineChars), timeMs, partial: true });
      rest = rest.slice(this.maxLineChars);
    }
    this.emit({ stream: this.stream, text: rest, timeMs });
  }
}

/** A pausable countdown: the timeout clock stops while an execution is paused. */
export class PausableTimer {
  private timer: NodeJS.Timeout | undefined;
  private remainingMs: number;
  private startedAt = 0;

  constructor(
    timeoutMs: number | undefined,
    private readonly fire: () => void,
  ) {
    this.remainingMs = timeoutMs ?? Infinity;
  }

  start(): void {
    if (this.remainingMs === Infinity || this.timer) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(this.fire, Math.max(0, this.remainingMs));
  }

  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remainingMs -= Date.now() - this.startedAt;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** What a task function gets besides its input. */
export interface TaskContext {
  /** Reports progress to the parent (any structured-cloneable value). */
  progress(value: unknown): void;
  /** Call often (e.g. once per boosting round): blocks here while the execution is paused. */
  checkpoint(): void;
  /**
   * True once a pause was requested and the task has not yet blocked in checkpoint(): a task
   * that can save its state does so first, so the state outlives the process if it dies paused.
   */
  pauseRequested(): boolean;
}

/** What a task module exports (as `task`, or as its default export). */
export type TaskFunction<I, O> = (input: I, ctx: TaskContext) => O | Promise<O>;

/**
 * Built-in work (learners) run on a worker thread of this process. The module is a `*.worker.ts`
 * file that exports a TaskFunction as `task` (or default) and has no other side effects on import
 * (see thread-executor.ts for the protocol).
 */
export interface TaskSpec<I = unknown> extends ExecutionSpecBase {
  /** The task module; get it from TaskExecutor.moduleUrl() so it resolves under tsx and in dist. */
  module: URL;
  /** Passed to the task function (structured-cloned). */
  input: I;
  /** Called with each value the task reports through ctx.progress(). */
  onProgress?: (progress: unknown) => void;
  /** Old-generation heap limit of the thread. */
  maxHeapBytes?: number;
}

/** Starts built-in tasks. */
export interface TaskExecutor {
  /** A task module that cannot be loaded ends with `failed_to_start`. */
  start(spec: TaskSpec): Promise<Execution>;
  /**
   * Where this executor loads the task module at `pathFromSrc` (its path under src/ without
   * extension, e.g. `modules/runs/builtin-train.worker`) from, so callers never locate files.
   */
  moduleUrl(pathFromSrc: string): URL;
  describe(): string;
}

/** Runs a caller's callback so that its exception neither hangs nor crashes the execution. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.error('executor callback threw', e);
  }
}
