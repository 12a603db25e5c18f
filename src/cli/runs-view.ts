/**
 * The `modelyard runs …` commands that look at runs: list, show, logs (also streamed live),
 * metrics (with sparklines) and artifacts (listed or downloaded).
 */
import type { Command } from 'commander';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient, type Client, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const SPARK = '▁▂▃▄▅▆▇█';

/** A one-line ASCII sparkline of the last `width` values. */
export function sparkline(values: number[], width = 30): string {
  const v = values.slice(-width);
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => SPARK[hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * 7)]).join('');
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

/** Adds `list`, `show`, `logs` and `metrics` to the `runs` command. */
export function registerRunViews(runs: Command): void {
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
}

/** Adds `artifacts` to the `runs` command. */
export function registerRunArtifacts(runs: Command): void {
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
}
