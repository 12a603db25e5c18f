import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { childEnv } from '../../config.js';
import { AppError } from '../../errors.js';
import {
  assertRelativePath,
  EXECUTION_ENV,
  safely,
  type ExecutionResult,
  type InputFile,
  type OutputFile,
  type ProcessExecution,
  type ProcessExecutor,
  type ProcessSpec,
  type ResourceLimits,
} from './executor.js';
import { launch } from './process-launcher.js';

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

/**
 * Runs user programs as local child processes, each in its own process group and working
 * directory. Cancel, timeout, the end of the main process and the death of this process (through
 * a watchdog, see process-launcher.ts) all end the whole group, so nothing the program started
 * outlives it (processes that left the group are found by the run token they inherit, see
 * process-watchdog.mjs). This file prepares each run: the working
 * directory and its inputs, the environment, the program's path and its resource limits.
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
