/**
 * `modelyard datasets …`: upload and register (datasets-upload.ts), list, show, rows, download,
 * tag, delete. Talks to the server named by --url.
 */
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, createClient, type GlobalOptions } from './client.js';
import { collect, int, parseRef, versionPath } from './datasets-args.js';
import { registerDatasetUpload } from './datasets-upload.js';
import { printSchema, printVersion, type Column } from './datasets-view.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, unknown>;

export function registerDatasets(program: Command): void {
  const ds = program.command('datasets').description('upload, inspect and manage datasets');
  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
  // Registered first so `datasets --help` lists upload and register before the others.
  registerDatasetUpload(ds);

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
