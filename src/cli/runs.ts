/**
 * `modelyard train <learner>`, `modelyard runs …` and `modelyard worker`: submit built-in or
 * user-code runs, follow their metrics and logs live, control them, and run a queue worker.
 */
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadClientConfig, loadConfig } from '../config.js';
import { CliError, createClient, type Client, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const collect = (v: string, acc: string[] = []) => [...acc, v];
const TERMINAL = ['succeeded', 'failed', 'cancelled'];
const SPARK = '▁▂▃▄▅▆▇█';

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

/** A one-line ASCII sparkline of the last `width` values. */
export function sparkline(values: number[], width = 30): string {
  const v = values.slice(-width);
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => SPARK[hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * 7)]).join('');
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

async function uploadCode(c: Client, path: string): Promise<Json> {
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

/** Streams the Server-Sent Events of GET /runs/:id/logs?follow=1 to stdout. */
async function streamLogs(c: Client, id: string): Promise<void> {
  const res = await c.request(`/api/v1/runs/${id}/logs`, { query: { follow: 1 } });
  let buf = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? 'null') as Json;
      if (event === 'log') process.stdout.write(`${data.stream === 'stderr' ? '! ' : ''}${data.text}\n`);
      else if (event === 'end')
        process.stdout.write(`[${data.state}${data.reason ? `: ${data.reason}` : ''}]\n`);
    }
  }
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

  runs
    .command('list')
    .option('--state <state>', 'queued|running|paused|succeeded|failed|cancelled')
    .option('--limit <n>', 'rows', '50')
    .action(async (o: { state?: string; limit: string }, cmd: Command) => {
      const c = createClient(globals(cmd));
      const list = await c.json<Json[]>('/api/v1/runs', { query: { state: o.state, limit: o.limit } });
      printRows(
        list.map((r) => ({
          ...r,
          what: r.learner ?? r.command,
          dataset: r.dataset ? `${r.dataset.name}@${r.dataset.version}` : '',
        })),
        ['id', 'name', 'kind', 'what', 'dataset', 'state', 'reason', 'attempt', 'createdAt'],
        !!globals(cmd).json,
      );
    });

  runs.command('show <id>').action(async (id: string, _o: unknown, cmd: Command) => {
    const c = createClient(globals(cmd));
    const run = await c.json<Json>(`/api/v1/runs/${id}`);
    const events = await c.json<Json[]>(`/api/v1/runs/${id}/events`);
    if (globals(cmd).json) return printObject({ ...run, events }, true);
    printObject(run, false);
    process.stdout.write('\nevents:\n');
    for (const e of events)
      process.stdout.write(
        `  ${e.at}  ${e.kind.padEnd(5)} ${e.name} ${e.kind === 'phase' ? e.status : ''} ${e.reason ?? ''} ${e.message ?? ''}\n`,
      );
  });

  runs
    .command('logs <id>')
    .option('-f, --follow', 'stream live (Server-Sent Events) until the run ends')
    .action(async (id: string, o: { follow?: boolean }, cmd: Command) => {
      const c = createClient(globals(cmd));
      if (o.follow) return streamLogs(c, id);
      let after = 0;
      for (;;) {
        const { lines } = await c.json<{ lines: Json[] }>(`/api/v1/runs/${id}/logs`, {
          query: { after, limit: 5000 },
        });
        for (const l of lines) process.stdout.write(`${l.stream === 'stderr' ? '! ' : ''}${l.text}\n`);
        if (lines.length < 5000) return;
        after = lines.at(-1)!.seq;
      }
    });

  runs
    .command('metrics <id>')
    .option('--name <metric>', 'one metric')
    .action(async (id: string, o: { name?: string }, cmd: Command) => {
      const c = createClient(globals(cmd));
      const points = await c.json<Json[]>(`/api/v1/runs/${id}/metrics`, { query: { name: o.name } });
      if (globals(cmd).json || o.name)
        return printRows(points, ['name', 'step', 'value', 'source', 'at'], !!globals(cmd).json);
      const by = new Map<string, number[]>();
      for (const p of points) by.set(p.name, [...(by.get(p.name) ?? []), p.value]);
      printRows(
        [...by].map(([name, v]) => ({
          name,
          points: v.length,
          last: v.at(-1),
          min: Math.min(...v),
          max: Math.max(...v),
          trend: sparkline(v),
        })),
        ['name', 'points', 'last', 'min', 'max', 'trend'],
        false,
      );
    });

  for (const action of ['cancel', 'pause', 'resume'] as const) {
    runs.command(`${action} <id>`).action(async (id: string, _o: unknown, cmd: Command) => {
      const c = createClient(globals(cmd));
      const run = await c.json<Json>(`/api/v1/runs/${id}/${action}`, { method: 'POST' });
      process.stdout.write(`run ${run.id}: ${action} requested (state ${run.state})\n`);
    });
  }

  runs
    .command('artifacts <id>')
    .option('--download <dir>', 'save every artifact under this directory')
    .action(async (id: string, o: { download?: string }, cmd: Command) => {
      const c = createClient(globals(cmd));
      const list = await c.json<Json[]>(`/api/v1/runs/${id}/artifacts`);
      if (!o.download) return printRows(list, ['path', 'sizeBytes', 'createdAt'], !!globals(cmd).json);
      for (const a of list) {
        const to = join(o.download, a.path);
        mkdirSync(dirname(to), { recursive: true });
        const res = await c.request(
          `/api/v1/runs/${id}/artifacts/${a.path.split('/').map(encodeURIComponent).join('/')}`,
        );
        await pipeline(Readable.fromWeb(res.body as never), createWriteStream(to));
        process.stdout.write(`${to}\n`);
      }
    });

  program
    .command('worker')
    .description(
      'execute runs from the shared Redis queue (needs REDIS_URL and the shared DATABASE_URL / S3 settings)',
    )
    .option(
      '--queue <name=concurrency>',
      'queue to consume (repeatable; default MODELYARD_RUN_QUEUES)',
      collect,
      [],
    )
    .option('--api-url <url>', 'API URL handed to user code (default MODELYARD_PUBLIC_URL, then --url)')
    .action(async (o: { queue: string[]; apiUrl?: string }, cmd: Command) => {
      const config = loadConfig();
      if (config.queueBackend !== 'redis')
        throw new CliError(
          'a separate worker needs the Redis queue: set REDIS_URL (and the same DATABASE_URL as the server)',
          2,
        );
      const { parseRunQueues } = await import('../config.js');
      const queues = o.queue.length ? parseRunQueues(o.queue.join(',')) : config.runQueues;
      const { createDeps, createExecutors } = await import('../deps.js');
      const { createServices } = await import('../modules/index.js');
      const { startRunWorker } = await import('../modules/runs/index.js');
      const deps = await createDeps(config);
      const services = createServices(deps);
      const worker = startRunWorker({
        deps,
        runs: services.runs,
        datasets: services.datasets,
        registry: services.registry,
        tokens: services.tokens,
        executors: createExecutors(config),
        apiUrl: o.apiUrl ?? (config.publicUrl || loadClientConfig({ url: globals(cmd).url }).url),
        queues,
      });
      process.stdout.write(
        `worker ${worker.id} consuming ${Object.entries(queues)
          .map(([q, n]) => `${q}×${n}`)
          .join(', ')}\n`,
      );
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await worker.close({ timeoutMs: 10_000 });
      services.runs.close();
      await deps.close();
    });
}
