import { spawn } from 'node:child_process';
import { constants, createReadStream, createWriteStream, existsSync } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../../config.js';
import { AppError } from '../../errors.js';
import {
  assertRelativePath,
  EXECUTION_ENV,
  LineSplitter,
  PausableTimer,
  safely,
  type ExecutionResult,
  type ExitReason,
  type InputFile,
  type OutputFile,
  type ProcessExecution,
  type ProcessExecutor,
  type ProcessSpec,
  type ResourceLimits,
} from './executor.js';

export interface ProcessExecutorOptions {
  /** Each execution gets a fresh directory under this one (default `<tmpdir>/modelyard-exec`). */
  workRoot?: string;
  /** Between SIGTERM and SIGKILL on cancel or timeout (default 5 s). */
  killGraceMs?: number;
  /** Longer output lines are split into pieces (default 8,192 characters). */
  maxLineChars?: number;
  /** Server variables the program inherits (default PATH, HOME, LANG, LC_ALL, TZ, TMPDIR, USER). */
  passEnv?: string[];
}

const DEFAULT_PASS_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];
/** After the main process exits, how long stdout/stderr may stay open (held by an escaped process). */
const DRAIN_TIMEOUT_MS = 2000;

/**
 * Runs user programs as local child processes, each in its own process group and working
 * directory. Cancel, timeout, the end of the main process and the death of this process (through
 * a watchdog, see launch) all end the whole group, so nothing the program started outlives it
 * (unless it left the group with setsid).
 */
export function createProcessExecutor(options: ProcessExecutorOptions = {}): ProcessExecutor {
  const workRoot = resolve(options.workRoot ?? join(tmpdir(), 'modelyard-exec'));
  const killGraceMs = options.killGraceMs ?? 5000;
  const maxLineChars = options.maxLineChars ?? 8192;
  const passEnv = options.passEnv ?? DEFAULT_PASS_ENV;

  return {
    describe: () => `process:${workRoot}`,

    async start(spec: ProcessSpec): Promise<ProcessExecution> {
      const argv = typeof spec.command === 'string' ? ['/bin/sh', '-c', spec.command] : [...spec.command];
      if (
        argv.length === 0 ||
        argv[0] === '' ||
        (typeof spec.command === 'string' && spec.command.trim() === '')
      ) {
        throw new AppError('invalid', 'command must not be empty', {
          reason: 'invalid_execution_spec',
          errors: [{ field: 'command', message: 'must not be empty' }],
        });
      }
      const outputRel = spec.outputDir ?? 'output';
      assertRelativePath('outputDir', outputRel);
      for (const f of spec.inputs ?? []) assertRelativePath('inputs.path', f.path);

      await mkdir(workRoot, { recursive: true });
      const workDir = await mkdtemp(join(workRoot, 'exec-'));
      const outputDir = join(workDir, outputRel);
      try {
        await writeInputs(workDir, spec.inputs ?? []);
        await mkdir(outputDir, { recursive: true });
      } catch (e) {
        await rm(workDir, { recursive: true, force: true });
        throw e;
      }
      const env: Record<string, string> = { PYTHONUNBUFFERED: '1', ...childEnv(passEnv) };
      Object.assign(env, spec.env, {
        [EXECUTION_ENV.workDir]: workDir,
        [EXECUTION_ENV.outputDir]: outputDir,
      });

      const program = await resolveProgram(argv[0]!, env.PATH ?? '', workDir);
      const common = {
        async outputs() {
          return listOutputs(outputDir);
        },
      };
      if ('error' in program) {
        const result: ExecutionResult = {
          reason: 'failed_to_start',
          exitCode: null,
          signal: null,
          error: program.error,
          durationMs: 0,
        };
        safely(() => spec.onExit?.(result));
        return {
          ...common,
          pid: null,
          paused: false,
          wait: async () => result,
          cancel: async () => {},
          pause: async () => {},
          resume: async () => {},
          dispose: () => rm(workDir, { recursive: true, force: true }),
        };
      }
      argv[0] = program.path;
      const execution = await launch(withLimits(argv, spec.limits), {
        spec,
        workDir,
        env,
        killGraceMs,
        maxLineChars,
      });
      return {
        pid: execution.pid,
        get paused() {
          return execution.paused;
        },
        wait: execution.wait,
        cancel: execution.cancel,
        pause: execution.pause,
        resume: execution.resume,
        ...common,
        async dispose() {
          await execution.cancel();
          await rm(workDir, { recursive: true, force: true });
        },
      };
    },
  };
}

interface LaunchContext {
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
async function launch(
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

/** Finds the program the way a shell would, so a missing one is reported before spawning. */
async function resolveProgram(
  name: string,
  path: string,
  cwd: string,
): Promise<{ path: string } | { error: string }> {
  const executable = async (p: string) => {
    try {
      await access(p, constants.X_OK);
      return (await stat(p)).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) {
    const p = resolve(cwd, name);
    return (await executable(p))
      ? { path: p }
      : { error: `program '${name}' does not exist or is not executable` };
  }
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    if (await executable(p)) return { path: p };
  }
  return { error: `program '${name}' was not found on PATH (${path || 'empty'})` };
}

/** Wraps argv in a shell that lowers its own limits and then becomes the program. */
function withLimits(argv: string[], limits: ResourceLimits | undefined): string[] {
  if (!limits) return argv;
  const steps: string[] = [];
  if (limits.addressSpaceBytes)
    steps.push(`ulimit -v ${Math.max(1, Math.floor(limits.addressSpaceBytes / 1024))}`);
  if (limits.cpuSeconds) steps.push(`ulimit -t ${Math.max(1, Math.ceil(limits.cpuSeconds))}`);
  if (limits.openFiles) steps.push(`ulimit -n ${Math.max(3, Math.floor(limits.openFiles))}`);
  if (steps.length === 0) return argv;
  return ['/bin/sh', '-c', `${steps.join(' && ')} && exec "$@"`, 'modelyard-limits', ...argv];
}

async function writeInputs(workDir: string, inputs: InputFile[]): Promise<void> {
  for (const f of inputs) {
    const target = join(workDir, f.path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof f.content === 'function') await pipeline(await f.content(), createWriteStream(target));
    else await writeFile(target, f.content);
    if (f.mode !== undefined) await chmod(target, f.mode);
  }
}

async function listOutputs(outputDir: string): Promise<OutputFile[]> {
  const entries = await readdir(outputDir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: OutputFile[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    files.push({
      path: relative(outputDir, full).split(sep).join('/'),
      sizeBytes: (await stat(full)).size,
      open: () => createReadStream(full),
    });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
