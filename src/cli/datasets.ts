/**
 * `modelyard datasets …`: upload (streamed, with a progress bar), register, list, show, rows,
 * download, tag, delete. Talks to the server named by --url.
 */
import type { Command } from 'commander';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { loadClientConfig } from '../config.js';
import { CliError, createClient, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, unknown>;
interface Column {
  name: string;
  type: string;
  missing: number;
  distinct: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  topValues: Array<{ value: string; count: number }> | null;
}

const collect = (v: string, prev: string[]) => [...prev, v];
const int = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`'${v}' is not a number`);
  return n;
};

/** `name` or `name@version` → path segments; version defaults to latest. */
export function parseRef(ref: string): { name: string; version: string } {
  const at = ref.lastIndexOf('@');
  if (at <= 0) return { name: ref, version: 'latest' };
  const version = ref.slice(at + 1);
  if (!/^([1-9]\d*|latest)$/.test(version))
    throw new CliError(`'${ref}': the version after @ must be a number or latest`);
  return { name: ref.slice(0, at), version };
}

const versionPath = (ref: string) => {
  const r = parseRef(ref);
  return `/api/v1/datasets/${encodeURIComponent(r.name)}/versions/${r.version}`;
};

const fmt = (n: number | null) =>
  n === null
    ? ''
    : Number.isInteger(n)
      ? String(n)
      : Math.abs(n) >= 1e6 || Math.abs(n) < 1e-3
        ? n.toExponential(3)
        : n.toFixed(4);

interface UploadOpts {
  name?: string;
  target?: string;
  train?: number;
  validation?: number;
  test?: number;
  seed?: number;
  stratify?: boolean;
  description?: string;
  tag: string[];
}

const splitQuery = (o: UploadOpts) => ({
  name: o.name,
  target: o.target,
  train: o.train,
  validation: o.validation,
  test: o.test,
  seed: o.seed,
  stratify: o.stratify,
  description: o.description,
});

function addUploadOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'dataset name (default: the file name without extension)')
    .option('--target <column>', 'target (label) column')
    .option('--train <pct>', 'train percentage (default 80)', int)
    .option('--validation <pct>', 'validation percentage (default 10)', int)
    .option('--test <pct>', 'test percentage (default 10)', int)
    .option('--seed <n>', 'split seed (default: random, recorded)', int)
    .option('--stratify', 'stratify the split on the target')
    .option('--description <text>', 'dataset description')
    .option('--tag <tag>', 'tag (repeatable)', collect, []);
}

function printVersion(v: Json, json: boolean): void {
  if (json) {
    printObject(v, true);
    return;
  }
  const splits = v.splitCounts as Record<string, number>;
  const split = v.split as Json;
  printObject(
    {
      dataset: `${String(v.name)}@${String(v.version)}`,
      kind: v.kind,
      rows: v.rowCount,
      size: `${String(v.sizeBytes)} bytes`,
      sha256: v.sha256,
      target: v.target ?? '(none)',
      task: v.task ?? '',
      splits: `train ${splits.train} / validation ${splits.validation} / test ${splits.test}  (${String(split.train)}/${String(split.validation)}/${String(split.test)}%, seed ${String(split.seed)}${split.stratified ? ', stratified' : ''})`,
      ...(v.labelCounts ? { labels: v.labelCounts } : {}),
      source: v.sourcePath ? `${String(v.source)} ${String(v.sourcePath)}` : v.source,
      created: `${String(v.createdAt)}${v.createdBy ? ` by ${String(v.createdBy)}` : ''}`,
      ...((v.warnings as string[]).length > 0 ? { warnings: (v.warnings as string[]).join('; ') } : {}),
    },
    false,
  );
}

function printSchema(columns: Column[]): void {
  process.stdout.write('\n');
  printRows(
    columns.map((c) => ({
      column: c.name,
      type: c.type,
      missing: c.missing,
      min: fmt(c.min),
      max: fmt(c.max),
      mean: fmt(c.mean),
      std: fmt(c.std),
      top: c.topValues
        ? c.topValues
            .slice(0, 3)
            .map((t) => `${t.value} (${t.count})`)
            .join(', ') + (c.distinct !== null && c.distinct > 3 ? `, … ${c.distinct} values` : '')
        : '',
    })),
    ['column', 'type', 'missing', 'min', 'max', 'mean', 'std', 'top'],
    false,
  );
}

/** A byte counter that drives a progress bar on stderr (only on a TTY and without --json). */
function progress(totalBytes: number, show: boolean): { meter: Transform; stop(): void } {
  const bar = show
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'uploading [{bar}] {percentage}% | {value}/{total} MB | {speed} MB/s',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  const started = Date.now();
  let sent = 0;
  bar?.start(mb(totalBytes), 0, { speed: 0 });
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length;
      const s = (Date.now() - started) / 1000;
      bar?.update(mb(sent), { speed: s > 0 ? Math.round(sent / 1e6 / s) : 0 });
      cb(null, chunk);
    },
  });
  return { meter, stop: () => bar?.stop() };
}

/**
 * POSTs a stream with node:http rather than fetch: undici's fetch on Node 20 reads a streamed
 * body ahead of the socket (a 256 MB upload grew the client by ~250 MB); `pipe` into a request
 * keeps the client's memory flat.
 */
async function streamUpload(
  g: GlobalOptions,
  body: Readable,
  o: { query: Record<string, string | number | boolean | undefined>; contentType: string },
): Promise<Json> {
  const cfg = loadClientConfig({ url: g.url, token: g.token });
  const url = new URL(`${cfg.url}/api/v1/datasets`);
  for (const [k, v] of Object.entries(o.query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { 'content-type': o.contentType };
  if (cfg.token) headers.authorization = `Bearer ${cfg.token}`;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolvePromise, reject) => {
    const req = send(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          `cannot reach the Modelyard server at ${cfg.url} (${e.code ?? e.message}); start it with \`modelyard up\` or set --url`,
        ),
      ),
    );
    body.on('error', (e) => req.destroy(e));
    body.pipe(req);
  });
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    throw new CliError(`error ${status}: ${text.slice(0, 300)}`);
  }
  if (status >= 400)
    throw new CliError(`error ${status}: ${String(parsed.detail ?? parsed.message ?? text)}`);
  return parsed;
}

export function registerDatasets(program: Command): void {
  const ds = program.command('datasets').description('upload, inspect and manage datasets');
  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  addUploadOptions(
    ds.command('upload <file>').description('upload a CSV (or an image zip) as the next version'),
  ).action(async (file: string, o: UploadOpts, cmd: Command) => {
    const g = globals(cmd);
    const size = (await stat(file).catch(() => null))?.size;
    if (size === undefined) throw new CliError(`cannot read '${file}'`);
    const name = o.name ?? basename(file, extname(file)).replace(/[^A-Za-z0-9_.-]/g, '_');
    const zip = /\.zip$/i.test(file);
    const bar = progress(size, Boolean(process.stderr.isTTY) && !g.json);
    const body = createReadStream(file, { highWaterMark: 1 << 20 }).pipe(bar.meter);
    let v: Json;
    try {
      v = await streamUpload(g, body, {
        query: { ...splitQuery(o), name, tags: o.tag.length > 0 ? o.tag.join(',') : undefined },
        contentType: zip ? 'application/zip' : 'text/csv',
      });
    } finally {
      bar.stop();
    }
    printVersion(v, Boolean(g.json));
  });

  addUploadOptions(
    ds
      .command('register <path>')
      .description('register a file already on the server (admin; read in place, not copied)'),
  ).action(async (path: string, o: UploadOpts, cmd: Command) => {
    const g = globals(cmd);
    const v = await createClient(g).json<Json>('/api/v1/datasets', {
      method: 'POST',
      json: {
        ...splitQuery(o),
        name: o.name ?? basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]/g, '_'),
        path: resolve(path),
        ...(o.tag.length > 0 ? { tags: o.tag } : {}),
      },
    });
    printVersion(v, Boolean(g.json));
  });

  ds.command('list')
    .description('list datasets')
    .option('--name <text>', 'names containing this text')
    .option('--tag <tag>', 'only datasets with this tag')
    .option('--offset <n>', 'skip this many', int)
    .option('--limit <n>', 'at most this many', int)
    .action(async (o: { name?: string; tag?: string; offset?: number; limit?: number }, cmd: Command) => {
      const g = globals(cmd);
      const page = await createClient(g).json<{ items: Json[]; total: number }>('/api/v1/datasets', {
        query: o,
      });
      printRows(
        page.items.map((d) => ({ ...d, tags: (d.tags as string[]).join(',') })),
        ['name', 'kind', 'latestVersion', 'versionCount', 'tags', 'updatedAt'],
        Boolean(g.json),
        page,
      );
      if (!g.json && page.total > page.items.length)
        process.stdout.write(`(${page.items.length} of ${page.total})\n`);
    });

  ds.command('show <ref>')
    .description('schema, statistics and splits of name[@version] (default latest)')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const v = await createClient(g).json<Json>(versionPath(ref));
      printVersion(v, Boolean(g.json));
      if (!g.json) printSchema(v.columns as Column[]);
    });

  ds.command('rows <ref>')
    .description('preview rows of a split of name[@version]')
    .option('--split <split>', 'train | validation | test | all', 'all')
    .option('--start <n>', 'first row within the split', int, 0)
    .option('--length <n>', 'how many rows (max 1000)', int, 20)
    .action(async (ref: string, o: { split: string; start: number; length: number }, cmd: Command) => {
      const g = globals(cmd);
      const page = await createClient(g).json<{
        columns: string[];
        rows: string[][];
        total: number;
        start: number;
      }>(`${versionPath(ref)}/rows`, { query: o });
      const rows = page.rows.map((r) => Object.fromEntries(page.columns.map((c, i) => [c, r[i]])));
      printRows(rows, page.columns, Boolean(g.json), page);
      if (!g.json)
        process.stdout.write(
          `(rows ${page.start}–${page.start + page.rows.length} of ${page.total} in ${o.split})\n`,
        );
    });

  ds.command('download <ref>')
    .description('download name[@version], or one split of it as CSV')
    .option('--split <split>', 'train | validation | test')
    .requiredOption('-o, --output <file>', 'where to write (- for stdout)')
    .action(async (ref: string, o: { split?: string; output: string }, cmd: Command) => {
      const g = globals(cmd);
      const res = await createClient(g).request(`${versionPath(ref)}/download`, {
        query: { split: o.split },
      });
      if (!res.body) throw new CliError('the server sent no data');
      const source = Readable.fromWeb(res.body as Parameters<typeof Readable.fromWeb>[0]);
      if (o.output === '-') await pipeline(source, process.stdout);
      else {
        await pipeline(source, createWriteStream(o.output));
        if (!g.json) process.stderr.write(`wrote ${(await stat(o.output)).size} bytes to ${o.output}\n`);
      }
    });

  ds.command('tag <name>')
    .description('add or remove tags, or change the description')
    .option('--add <tag>', 'tag to add (repeatable)', collect, [])
    .option('--remove <tag>', 'tag to remove (repeatable)', collect, [])
    .option('--description <text>', 'new description')
    .action(
      async (name: string, o: { add: string[]; remove: string[]; description?: string }, cmd: Command) => {
        const g = globals(cmd);
        const d = await createClient(g).json<Json>(`/api/v1/datasets/${encodeURIComponent(name)}`, {
          method: 'PATCH',
          json: {
            addTags: o.add,
            removeTags: o.remove,
            ...(o.description !== undefined ? { description: o.description } : {}),
          },
        });
        if (g.json) printObject(d, true);
        else process.stdout.write(`${name}: tags ${(d.tags as string[]).join(', ') || '(none)'}\n`);
      },
    );

  ds.command('delete <ref>')
    .description('delete a dataset, or one version with name@version (refused while referenced)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (ref: string, o: { yes?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const r = parseRef(ref);
      const what = ref.includes('@')
        ? `version ${r.version} of dataset ${r.name}`
        : `dataset ${r.name} and all its versions`;
      if (!o.yes) {
        if (!process.stdin.isTTY) throw new CliError(`refusing to delete ${what} without --yes`);
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`delete ${what}? [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('not deleted');
      }
      const path = ref.includes('@') ? versionPath(ref) : `/api/v1/datasets/${encodeURIComponent(r.name)}`;
      await createClient(g).json(path, { method: 'DELETE' });
      if (g.json) printObject({ deleted: ref }, true);
      else process.stdout.write(`deleted ${what}\n`);
    });
}
