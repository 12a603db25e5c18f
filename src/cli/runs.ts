/**
 * `modelyard train <learner>` and `modelyard runs …`: submit built-in or user-code runs, follow
 * their metrics and logs live, and control them. The commands that look at runs are in
 * runs-view.ts; `modelyard worker`, registered from here, is in worker.ts.
 */
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, createClient, type Client, type GlobalOptions } from './client.js';
import { printObject } from './output.js';
import { registerRunArtifacts, registerRunViews, sparkline } from './runs-view.js';
import { registerWorker } from './worker.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const collect = (v: string, acc: string[] = []) => [...acc, v];
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** `k=v` pairs: values parsed as JSON when they parse (numbers, booleans, arrays), else strings. */
export function parseParams(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`--param '${p}' must be name=value, e.g. max_depth=4`);
    const raw = p.slice(i + 1);
    try {
      out[p.slice(0, i)] = JSON.parse(raw);
    } catch {
      out[p.slice(0, i)] = raw;
    }
  }
  return out;
}

interface RunOptions {
  dataset?: string;
  featureGroup?: string;
  target?: string;
  param: string[];
  name?: string;
  model?: string;
  timeout?: string;
  retries?: string;
  priority?: string;
  queue?: string;
  follow?: boolean;
}

function runBody(o: RunOptions): Json {
  const int = (flag: string, v?: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a whole number (got '${v}')`);
    return n;
  };
  const body: Json = {
    name: o.name,
    dataset: o.dataset,
    featureGroup: o.featureGroup,
    target: o.target,
    params: parseParams(o.param),
    modelName: o.model,
    timeoutMs: o.timeout === undefined ? undefined : int('--timeout', o.timeout)! * 1000,
    retries: int('--retries', o.retries),
    priority: int('--priority', o.priority),
    queue: o.queue,
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function runOptions(cmd: Command): Command {
  return cmd
    .option('--dataset <name[@version]>', 'dataset version (default latest)')
    .option('--feature-group <name>', 'feature group (extracted at submit)')
    .option('--target <column>', "target column (default: the dataset's)")
    .option('--param <name=value>', 'hyperparameter (repeatable)', collect, [])
    .option('--name <name>', 'run name')
    .option('--model <name>', 'registry model name')
    .option('--timeout <seconds>', 'kill after this running time')
    .option('--retries <n>', 'extra attempts after a failure')
    .option('--priority <n>', 'lower runs sooner')
    .option('--queue <name>', 'run queue (default `default`)')
    .option('-f, --follow', 'show live metrics and logs until the run ends');
}

/** Polls the run, printing new log lines and a live line per metric, until it ends. */
async function follow(c: Client, id: string, asJson: boolean): Promise<Json> {
  let after = 0;
  const series = new Map<string, number[]>();
  let lastState = '';
  for (;;) {
    const run = await c.json<Json>(`/api/v1/runs/${id}`);
    const logs = await c.json<{ lines: Json[] }>(`/api/v1/runs/${id}/logs`, { query: { after } });
    for (const l of logs.lines) {
      if (!asJson && !l.text.startsWith('{'))
        process.stdout.write(`${l.stream === 'stderr' ? '! ' : '  '}${l.text}\n`);
      after = l.seq;
    }
    const points = await c.json<Json[]>(`/api/v1/runs/${id}/metrics`);
    const fresh = new Map<string, number[]>();
    for (const p of points) fresh.set(p.name, [...(fresh.get(p.name) ?? []), p.value]);
    for (const [name, values] of fresh) {
      if ((series.get(name)?.length ?? 0) === values.length) continue;
      series.set(name, values);
      if (!asJson)
        process.stdout.write(
          `  ${name.padEnd(22)} step ${String(values.length).padStart(4)}  ${values.at(-1)!.toPrecision(5).padStart(10)}  ${sparkline(values)}\n`,
        );
    }
    if (run.state !== lastState) {
      lastState = run.state;
      if (!asJson) process.stdout.write(`[${run.state}${run.reason ? `: ${run.reason}` : ''}]\n`);
    }
    if (TERMINAL.includes(run.state)) return run;
    await sleep(500);
  }
}

async function finish(c: Client, run: Json, o: { follow?: boolean; json?: boolean }) {
  if (!o.follow) {
    if (o.json) printObject(run, true);
    else process.stdout.write(`run ${run.id} ${run.state}\n`);
    return;
  }
  const end = await follow(c, run.id, !!o.json);
  if (o.json) printObject(end, true);
  else {
    process.stdout.write(`run ${end.id} ${end.state}${end.message ? ` (${end.message})` : ''}\n`);
    if (end.modelVersionId) process.stdout.write(`model version ${end.modelVersionId}\n`);
  }
  if (end.state !== 'succeeded') throw new CliError(`run ${end.id} ${end.state}: ${end.reason ?? ''}`, 1);
}

export async function uploadCode(c: Client, path: string): Promise<Json> {
  const full = resolve(path);
  const st = statSync(full, { throwIfNoEntry: false });
  if (!st) throw new CliError(`--code '${path}' does not exist`);
  const body = st.isDirectory()
    ? execFileSync('tar', ['-czf', '-', '-C', full, '.'], { maxBuffer: 2 ** 31 })
    : readFileSync(full);
  const fileName = st.isDirectory() ? `${basename(full)}.tar.gz` : basename(full);
  return c.json<Json>('/api/v1/runs/code', {
    method: 'POST',
    query: { fileName },
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
}

export function registerRuns(program: Command): void {
  runOptions(
    program
      .command('train <learner>')
      .description(
        'train a built-in learner on a dataset (e.g. modelyard train gbdt --dataset breast-cancer --param max_depth=4 -f)',
      ),
  ).action(async (learner: string, o: RunOptions, cmd: Command) => {
    const c = createClient(globals(cmd));
    const run = await c.json<Json>('/api/v1/runs', { method: 'POST', json: { learner, ...runBody(o) } });
    if (!globals(cmd).json)
      process.stdout.write(
        `submitted run ${run.id} (${learner} on ${run.dataset?.name}@${run.dataset?.version}, target ${run.target})\n`,
      );
    await finish(c, run, { follow: o.follow, json: globals(cmd).json });
  });

  const runs = program
    .command('runs')
    .description('training runs: submit, list, show, logs, metrics, control');
  runOptions(
    runs
      .command('submit')
      .description('run user code: --code <dir|archive|file> --command "python3 train.py"')
      .requiredOption('--code <path>', 'directory (packed as tar.gz), .tar(.gz)/.zip archive, or one file')
      .requiredOption('--command <cmd>', 'shell command run in the working directory'),
  ).action(async (o: RunOptions & { code: string; command: string }, cmd: Command) => {
    const c = createClient(globals(cmd));
    const code = await uploadCode(c, o.code);
    const run = await c.json<Json>('/api/v1/runs', {
      method: 'POST',
      json: { codeId: code.id, command: o.command, ...runBody(o) },
    });
    if (!globals(cmd).json) process.stdout.write(`submitted run ${run.id} (${code.files.length} files)\n`);
    await finish(c, run, { follow: o.follow, json: globals(cmd).json });
  });

  // The order of registration is the order `runs --help` lists the subcommands in.
  registerRunViews(runs);

  for (const action of ['cancel', 'pause', 'resume'] as const) {
    runs.command(`${action} <id>`).action(async (id: string, _o: unknown, cmd: Command) => {
      const c = createClient(globals(cmd));
      const run = await c.json<Json>(`/api/v1/runs/${id}/${action}`, { method: 'POST' });
      process.stdout.write(`run ${run.id}: ${action} requested (state ${run.state})\n`);
    });
  }
  registerRunArtifacts(runs);

  registerWorker(program);
}
