// Starting one user program under the process watchdog (process-watchdog.mjs) and driving it:
// its output as log lines, the timeout, cancel with a kill grace, pause and resume of its group.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  LineSplitter,
  PausableTimer,
  safely,
  type ExecutionResult,
  type ExitReason,
  type ProcessExecution,
  type ProcessSpec,
} from './executor.js';

/** After the main process exits, how long stdout/stderr may stay open (held by an escaped process). */
const DRAIN_TIMEOUT_MS = 2000;

export interface LaunchContext {
  spec: ProcessSpec;
  workDir: string;
  env: Record<string, string>;
  killGraceMs: number;
  maxLineChars: number;
}

/** What the watchdog reports on its fd 3 (see process-watchdog.mjs). */
type WatchdogReport =
  { pid: number } | { error: string } | { exitCode: number | null; signal: NodeJS.Signals | null };

/**
 * Starts the program under the watchdog (process-watchdog.mjs) and resolves once it runs or could
 * not start.
 *
 * Why a watchdog: the program must not outlive this process when it dies outright (kill -9, OOM),
 * or a re-queued attempt would run beside it. Linux offers nothing Node can use without an addon:
 * PR_SET_PDEATHSIG needs prctl() in the child and reaches one process, not a group; `setpriv
 * --pdeathsig` depends on the util-linux build and has the same reach. A pipe does: the kernel
 * closes our end of the watchdog's stdin whatever way we die, the watchdog reads end-of-file and
 * ends the program's group. The watchdog is a process of its own, outside the program's group, so
 * pause (SIGSTOP to the group) never stops it and the group signals below reach only the program.
 * It reports the program's pid, and how it ended, on a pipe rather than through its own exit
 * status: re-raising SIGSEGV or SIGXCPU on itself would dump a Node core.
 */
export async function launch(
  argv: string[],
  ctx: LaunchContext,
): Promise<Omit<ProcessExecution, 'outputs' | 'dispose'>> {
  const { spec } = ctx;
  const startedAt = Date.now();
  // detached: a session of its own, so a terminal's Ctrl-C meant for the server does not reach it.
  const watchdog = spawn(process.execPath, [watchdogPath()], {
    cwd: ctx.workDir,
    env: {},
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let pid: number | null = null;
  let startError: string | undefined;
  let ended: { exitCode: number | null; signal: NodeJS.Signals | null } | undefined;
  let endReason: ExitReason | undefined;
  let finished = false;
  let paused = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let resolveStarted!: () => void;
  const started = new Promise<void>((r) => (resolveStarted = r));
  let resolveDone!: (r: ExecutionResult) => void;
  const done = new Promise<ExecutionResult>((r) => (resolveDone = r));

  const signalGroup = (signal: NodeJS.Signals) => {
    if (pid === null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const finish = (result: Omit<ExecutionResult, 'durationMs'>) => {
    if (finished) return;
    finished = true;
    timer.stop();
    clearTimeout(graceTimer);
    const full = { ...result, durationMs: Date.now() - startedAt };
    safely(() => spec.onExit?.(full));
    resolveDone(full);
    resolveStarted();
  };
  const terminate = (reason: ExitReason) => {
    if (finished || endReason) return;
    endReason = reason;
    signalGroup('SIGTERM');
    // A stopped process keeps SIGTERM pending until it runs again.
    signalGroup('SIGCONT');
    graceTimer = setTimeout(() => signalGroup('SIGKILL'), ctx.killGraceMs);
  };
  const timer = new PausableTimer(spec.timeoutMs, () => terminate('timeout'));

  const emit = (line: Parameters<NonNullable<ProcessSpec['onLog']>>[0]) => safely(() => spec.onLog?.(line));
  const out = new LineSplitter('stdout', ctx.maxLineChars, emit);
  const err = new LineSplitter('stderr', ctx.maxLineChars, emit);
  watchdog.stdout!.on('data', (b: Buffer) => out.push(b));
  watchdog.stderr!.on('data', (b: Buffer) => err.push(b));

  const reports = watchdog.stdio[3] as Readable;
  let pending = '';
  reports.setEncoding('utf8');
  reports.on('data', (text: string) => {
    pending += text;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      let report: WatchdogReport;
      try {
        report = JSON.parse(line) as WatchdogReport;
      } catch {
        continue; // only the watchdog writes here; a bad line would be its bug, not the program's
      }
      if ('pid' in report) pid = report.pid;
      else if ('error' in report) startError = report.error;
      else ended = report;
      resolveStarted();
    }
  });
  // After the spec, our end of the watchdog's stdin stays open and silent for as long as we live.
  watchdog.stdin!.on('error', () => {});
  watchdog.stdin!.write(`${JSON.stringify({ argv, env: ctx.env, killGraceMs: ctx.killGraceMs })}\n`);

  watchdog.on('error', (e: NodeJS.ErrnoException) => {
    if (watchdog.pid === undefined) {
      finish({
        reason: 'failed_to_start',
        exitCode: null,
        signal: null,
        error: `cannot start '${argv[0]}': the process watchdog did not start: ${e.message}`,
      });
    }
  });
  watchdog.on('exit', () => {
    // The program is done (or the watchdog was killed): end whatever is left in its group, then
    // let the pipes drain.
    signalGroup('SIGKILL');
    setTimeout(() => {
      watchdog.stdout!.destroy();
      watchdog.stderr!.destroy();
      reports.destroy();
    }, DRAIN_TIMEOUT_MS).unref();
  });
  watchdog.on('close', (code, signal) => {
    out.end();
    err.end();
    if (pid === null) {
      finish({
        reason: 'failed_to_start',
        exitCode: null,
        signal: null,
        error: startError ?? `cannot start '${argv[0]}': the process watchdog ended (${signal ?? code})`,
      });
    } else {
      // Without a report the watchdog itself was killed, and its status is the best we know.
      finish({ reason: endReason ?? 'exited', ...(ended ?? { exitCode: code, signal }) });
    }
  });

  await started;
  if (pid !== null && !finished) timer.start();

  return {
    pid,
    get paused() {
      return paused;
    },
    wait: () => done,
    async cancel() {
      terminate('cancelled');
      await done;
    },
    async pause() {
      if (finished || paused || endReason) return;
      signalGroup('SIGSTOP');
      paused = true;
      timer.pause();
    },
    async resume() {
      if (finished || !paused) return;
      signalGroup('SIGCONT');
      paused = false;
      timer.start();
    },
  };
}

let watchdogFile: string | undefined;

/** The watchdog script: beside this file in the sources, under infra/executor/ in the bundle. */
function watchdogPath(): string {
  if (watchdogFile !== undefined) return watchdogFile;
  const here = dirname(fileURLToPath(import.meta.url));
  if (import.meta.url.endsWith('.ts')) return (watchdogFile = join(here, 'process-watchdog.mjs'));
  // Bundled code sits in dist/ or a subfolder of it, so the bundle root is searched upwards.
  let dir = here;
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, 'infra', 'executor', 'process-watchdog.mjs');
    if (existsSync(candidate)) return (watchdogFile = candidate);
    dir = dirname(dir);
  }
  throw new Error(`process-watchdog.mjs not found near ${here}`);
}
