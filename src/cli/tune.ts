/**
 * `modelyard tune <learner>` or `modelyard tune --code DIR --command CMD`: create a tuning job on
 * the server (each trial a training run of the learner, or of the uploaded code) and,
 * with -f, follow it with a progress bar and the best trial so far. The text search-space syntax
 * is defined here (docs/tuning.md, "Tuning jobs").
 */
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, createClient, type Client, type GlobalOptions } from './client.js';
import { printObject } from './output.js';
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseParams, uploadCode } from './runs.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const collect = (v: string, acc: string[] = []) => [...acc, v];
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

const value = (s: string): unknown => {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

/**
 * Parses `name=int:2:8,lr=float:0.01:0.3:log,booster=cat:gbtree|dart,batch=ordinal:16|32|64` into
 * a search space; a value starting with `{` is taken as the JSON space itself. The server checks
 * the bounds and names (errors name `space.<param>`); this only checks the shape of the text.
 */
export function parseSpace(text: string): Record<string, unknown> {
  if (text.trim().startsWith('{')) {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new CliError(`--space is not valid JSON: ${(e as Error).message}`);
    }
  }
  const space: Record<string, unknown> = {};
  for (const item of text.split(',').filter((s) => s.trim() !== '')) {
    const m = /^\s*([^=\s]+)\s*=\s*(int|float|cat|categorical|ordinal):(.+)$/.exec(item);
    if (!m)
      throw new CliError(
        `--space '${item}' must be name=int:low:high[:log], name=float:low:high[:log], name=cat:a|b|c or name=ordinal:1|2|4`,
      );
    const [, name, type, rest] = m as unknown as [string, string, string, string];
    if (type === 'cat' || type === 'categorical') {
      space[name] = { type: 'categorical', choices: rest.split('|').map(value) };
    } else if (type === 'ordinal') {
      space[name] = { type: 'ordinal', values: rest.split('|').map(Number) };
    } else {
      const [low, high, scale, ...extra] = rest.split(':');
      if (
        low === undefined ||
        high === undefined ||
        extra.length > 0 ||
        (scale !== undefined && scale !== 'log')
      )
        throw new CliError(`--space '${item}': ${type} needs low:high, optionally :log`);
      space[name] = { type, low: Number(low), high: Number(high), ...(scale === 'log' ? { log: true } : {}) };
    }
  }
  if (Object.keys(space).length === 0) throw new CliError('--space needs at least one parameter');
  return space;
}

const num = (flag: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new CliError(`${flag} must be a whole number (got '${v}')`);
  return n;
};

/**
 * `--resource name:max[:min[:eta]]` → Hyperband's algorithmOptions (the server checks the values
 * and names `algorithmOptions.<field>`); this only checks the shape of the text.
 */
export function parseResource(text: string): Record<string, unknown> {
  const parts = text.split(':');
  const [name, max, min, eta, ...extra] = parts;
  const number = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  const opts = { resourceName: name, maxResource: number(max), minResource: number(min), eta: number(eta) };
  if (
    !name ||
    opts.maxResource === undefined ||
    extra.length > 0 ||
    Object.values(opts).some((v) => Number.isNaN(v))
  )
    throw new CliError(
      `--resource '${text}' must be name:max[:min[:eta]], e.g. n_estimators:81 or epochs:27:1:3`,
      2,
    );
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
}

const fmt = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(5) : String(v));

/** One status line: a bar of finished trials, how many run, and the best so far. */
export function progressLine(job: Json): string {
  const done = (job.counts.succeeded ?? 0) + (job.counts.failed ?? 0) + (job.counts.cancelled ?? 0);
  const width = 20;
  const filled = Math.round((width * done) / job.maxTrials);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const best = job.best
    ? `best ${job.metric}=${fmt(job.best.value)} (trial ${job.best.number}: ${Object.entries(job.best.params)
        .map(([k, v]) => `${k}=${fmt(v)}`)
        .join(' ')})`
    : 'best: none yet';
  return `${bar} ${done}/${job.maxTrials}  running ${job.counts.running}  failed ${job.counts.failed}  ${best}`;
}

/** Polls the job, redrawing its status line, until it ends. */
export async function followJob(c: Client, name: string, asJson: boolean): Promise<Json> {
  let last = '';
  const tty = process.stdout.isTTY;
  for (;;) {
    const job = await c.json<Json>(`/api/v1/tuning-jobs/${encodeURIComponent(name)}`);
    const line = progressLine(job);
    if (!asJson && line !== last) {
      process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      last = line;
    }
    if (TERMINAL.includes(job.state)) {
      if (!asJson && tty) process.stdout.write('\n');
      return job;
    }
    await sleep(1000);
  }
}

interface TuneOptions {
  dataset?: string;
  code?: string;
  command?: string;
  space: string;
  metric: string;
  direction: string;
  trials: string;
  algorithm?: string;
  resource?: string;
  parallel?: string;
  param: string[];
  target?: string;
  name?: string;
  seed?: string;
  follow?: boolean;
}

/** What the trials run: the learner, or the uploaded code and its command; usage errors exit 2. */
async function subject(c: Client, learner: string | undefined, o: TuneOptions): Promise<Json> {
  if (learner !== undefined && o.code !== undefined)
    throw new CliError(`give a learner ('${learner}') or --code, not both`, 2);
  if (learner === undefined && o.code === undefined)
    throw new CliError('name a learner (e.g. modelyard tune gbdt …) or give --code <dir> --command <cmd>', 2);
  if (learner !== undefined) {
    if (o.command !== undefined) throw new CliError('--command goes with --code, not with a learner', 2);
    if (o.dataset === undefined) throw new CliError(`--dataset is required with a learner ('${learner}')`, 2);
    return { learner };
  }
  if (o.command === undefined)
    throw new CliError('--command is required with --code (e.g. "python3 train.py")', 2);
  if (!existsSync(o.code!)) throw new CliError(`--code '${o.code}' does not exist`, 2);
  const code = await uploadCode(c, o.code!);
  return { codeId: code.id, command: o.command };
}

/** A default job name: what runs, the data, and the time. */
function defaultName(learner: string | undefined, o: TuneOptions): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const what = learner ?? `code-${basename(resolve(o.code!))}`;
  const data = o.dataset ? `-${o.dataset.replace(/@.*/, '')}` : '';
  const name = `${what}${data}`
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 80);
  return `${name || 'tune'}-${stamp}`;
}

export function registerTune(program: Command): void {
  program
    .command('tune [learner]')
    .description(
      "search a learner's params on the server, each trial a training run (e.g. modelyard tune gbdt --dataset breast-cancer --space 'max_depth=int:2:8,learning_rate=float:0.01:0.3:log' --metric validation_roc_auc --direction maximize --trials 20 -f), or your own code's: modelyard tune --code ./src --command 'python3 train.py' --space 'x=float:-5:5' --metric loss --direction minimize --trials 20 -f",
    )
    .option('--dataset <name[@version]>', 'dataset version (default latest); required with a learner')
    .option(
      '--code <path>',
      'user code instead of a learner: directory (packed as tar.gz), archive or one file',
    )
    .option('--command <cmd>', 'with --code: shell command of each trial (params in config.json)')
    .requiredOption(
      '--space <spec>',
      'name=int:low:high[:log],name=float:low:high[:log],name=cat:a|b, or JSON',
    )
    .requiredOption('--metric <name>', 'run metric to optimise, e.g. validation_roc_auc')
    .requiredOption('--direction <dir>', 'minimize | maximize')
    .requiredOption('--trials <n>', 'number of trials')
    .option('--algorithm <name>', 'random | grid | tpe | gp | hyperband | asha (default tpe)')
    .option(
      '--resource <name:max[:min[:eta]]>',
      "hyperband/asha: the param carrying each trial's budget, its largest (and smallest) value and eta (default 1, 3); implies --algorithm hyperband",
    )
    .option('--parallel <n>', 'trials in flight at once (default 1)')
    .option('--param <name=value>', 'fixed param for every trial (repeatable)', collect, [])
    .option('--target <column>', "target column (default: the dataset's)")
    .option('--name <name>', 'job name (default <learner|code-dir>-<dataset>-<time>)')
    .option('--seed <n>', "the search's random seed")
    .option('-f, --follow', 'show progress and the best trial until the job ends')
    .action(async (learner: string | undefined, o: TuneOptions, cmd: Command) => {
      const g = globals(cmd);
      const c = createClient(g);
      const space = parseSpace(o.space);
      const params = parseParams(o.param);
      const maxTrials = num('--trials', o.trials);
      const parallelism = num('--parallel', o.parallel);
      const seed = num('--seed', o.seed);
      let algorithm = o.algorithm;
      let algorithmOptions: Record<string, unknown> | undefined;
      if (o.resource !== undefined) {
        algorithm ??= 'hyperband';
        if (algorithm !== 'hyperband' && algorithm !== 'asha')
          throw new CliError(`--resource goes with --algorithm hyperband or asha, not ${algorithm}`, 2);
        algorithmOptions = parseResource(o.resource);
      }
      const what = await subject(c, learner, o); // usage errors before the name is made up
      const body: Json = {
        name: o.name ?? defaultName(learner, o),
        ...what,
        dataset: o.dataset,
        target: o.target,
        params,
        space,
        algorithm,
        algorithmOptions,
        metric: o.metric,
        direction: o.direction,
        maxTrials,
        parallelism,
        seed,
      };
      const json = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      const job = await c.json<Json>('/api/v1/tuning-jobs', { method: 'POST', json });
      if (!g.json)
        process.stdout.write(
          `created tuning job ${job.name} (${job.algorithm}, ${job.maxTrials} trials, ${job.direction} ${job.metric})\n`,
        );
      if (!o.follow) {
        if (g.json) printObject(job, true);
        return;
      }
      const end = await followJob(c, job.name, !!g.json);
      if (g.json) printObject(end, true);
      else process.stdout.write(`tuning job ${end.name} ${end.state}${end.error ? `: ${end.error}` : ''}\n`);
      if (end.state !== 'succeeded') throw new CliError(`tuning job ${end.name} ${end.state}`, 1);
    });
}
