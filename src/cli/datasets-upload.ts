/**
 * `modelyard datasets upload` and `modelyard datasets register`: the split and tag options, and a
 * streamed upload with a progress bar.
 */
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename, extname, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { loadClientConfig } from '../config.js';
import { CliError, createClient, type GlobalOptions } from './client.js';
import { collect, int } from './datasets-args.js';
import { printVersion } from './datasets-view.js';

type Json = Record<string, unknown>;

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

/** Adds `upload` and `register` to the `datasets` command. */
export function registerDatasetUpload(ds: Command): void {
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
}
