/**
 * `modelyard models …`: the registry from the command line (list/search, show, create, upload,
 * download, publish, alias, archive, delete, tag, edit). Versions are named by id, `name/3`,
 * `name/latest` or `name@alias`. Talks to the server named by --url.
 */
import type { Command } from 'commander';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, createClient, type Client, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, unknown>;
interface Version extends Json {
  id: string;
  name: string;
  version: number;
}

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const collect = (v: string, acc: string[] = []) => [...acc, v];
const COLUMNS = ['id', 'name', 'version', 'project', 'framework', 'ready', 'tags', 'aliases', 'createdAt'];

function row(v: Json): Json {
  return {
    ...v,
    project: (v.project as { name?: string } | undefined)?.name,
    tags: (v.tags as string[] | undefined)?.join(','),
  };
}

function parseJson(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${flag} is not valid JSON: ${(e as Error).message}`);
  }
}

/** `metric/variant=value` or `metric=value`. */
export function parseMetric(s: string): { metric: string; variant: string; value: number } {
  const m = /^([^=/]+)(?:\/([^=]*))?=(.+)$/.exec(s);
  const value = m ? Number(m[3]) : NaN;
  if (!m || !Number.isFinite(value))
    throw new CliError(`--metric '${s}' must be metric[/variant]=number, e.g. auc/val=0.91`);
  return { metric: m[1]!, variant: m[2] ?? '', value };
}

/** `key=value` → metadata entry. */
export function parseMeta(s: string): { key: string; value: string } {
  const i = s.indexOf('=');
  if (i <= 0) throw new CliError(`--meta '${s}' must be key=value`);
  return { key: s.slice(0, i), value: s.slice(i + 1) };
}

async function resolveId(c: Client, ref: string): Promise<string> {
  return (await c.json<Version>('/api/v1/models/resolve', { query: { ref } })).id;
}

async function report(
  c: Client,
  action: string,
  refs: string[],
  force: boolean | undefined,
  asJson: boolean,
) {
  const ids = await Promise.all(refs.map((r) => resolveId(c, r)));
  const res = await c.json<{ succeeded: Json[]; failed: Array<{ id: string; error: { message: string } }> }>(
    `/api/v1/models/batch/${action}`,
    { method: 'POST', json: { ids, force } },
  );
  if (asJson) return printObject(res as unknown as Json, true);
  for (const s of res.succeeded) process.stdout.write(`${action}: ${String(s.id)} ok\n`);
  for (const f of res.failed) process.stderr.write(`${action}: ${f.id} failed: ${f.error.message}\n`);
  if (res.failed.length > 0) throw new CliError(`${res.failed.length} of ${ids.length} failed`);
}

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('model registry: versions, artifacts, aliases, search');

  models
    .command('list')
    .alias('search')
    .description('list / search versions (filter language: docs/registry.md)')
    .option('--name <regex>', 'regex on the name (case-sensitive substring)')
    .option('--tag <tag>', 'tag filter item, repeatable (a, -b, __$all, …)', collect)
    .option('--project <name>', 'project name')
    .option('--framework <name>', 'framework', collect)
    .option('--ready', 'only published versions')
    .option('--no-archived', 'hide archived versions')
    .option('--search <text>', 'free text')
    .option('--filter <json>', 'a full filter object (merged over the flags)')
    .option('--order <keys>', 'order keys, comma-separated, - for descending', '-created')
    .option('--page-size <n>', 'rows per page', '50')
    .option('--all', 'scroll through every match')
    .action(async (_o, cmd: Command) => {
      const o = cmd.opts() as Json & {
        tag?: string[];
        framework?: string[];
        archived?: boolean;
        all?: boolean;
        filter?: string;
      };
      const g = globals(cmd);
      const c = createClient(g);
      const filter: Json = {
        name: o.name,
        tags: o.tag,
        projectName: o.project,
        framework: o.framework,
        ready: o.ready ? true : undefined,
        archived: o.archived === false ? false : undefined,
        ...(o.filter ? (parseJson('--filter', o.filter) as Json) : {}),
      };
      const items: Json[] = [];
      let scrollId = '';
      for (;;) {
        const page = await c.json<{ items: Json[]; hasMore: boolean; scrollId: string }>(
          '/api/v1/models/search',
          {
            method: 'POST',
            json: {
              filter,
              search: o.search,
              orderBy: String(o.order),
              pageSize: Number(o.pageSize),
              scrollId,
            },
          },
        );
        items.push(...page.items);
        if (!o.all || !page.hasMore) {
          if (page.hasMore && !g.json) process.stderr.write('(more results: use --all or --page-size)\n');
          break;
        }
        scrollId = page.scrollId;
      }
      printRows(items.map(row), COLUMNS, Boolean(g.json), items);
    });

  models
    .command('show <ref>')
    .description('show one version (id, name/3, name@alias)')
    .action(async (ref: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const v = await createClient(g).json<Json>('/api/v1/models/resolve', { query: { ref } });
      printObject(g.json ? v : row(v), Boolean(g.json));
    });

  models
    .command('create <name>')
    .description('register the next version of a model')
    .option('--project <name>', 'project (created if missing)')
    .option('--framework <name>')
    .option('--comment <text>')
    .option('--uri <uri>')
    .option('--tag <tag>', 'repeatable', collect)
    .option('--metric <m/v=x>', 'final metric value, repeatable', collect)
    .option('--meta <key=value>', 'metadata entry, repeatable', collect)
    .option('--labels <json>', 'class labels, e.g. {"cat":0,"dog":1}')
    .option('--design <json>', 'free JSON design')
    .option('--run <id>', 'source run id (lineage)')
    .option('--dataset-version <id>', 'dataset version id (lineage)')
    .option('--parent <id>', 'parent model version id')
    .action(
      async (
        name: string,
        o: Json & { tag?: string[]; metric?: string[]; meta?: string[] },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        const body: Json = {
          name,
          project: o.project,
          framework: o.framework,
          comment: o.comment,
          uri: o.uri,
          tags: o.tag,
          metrics: o.metric?.map(parseMetric),
          metadata: o.meta?.map(parseMeta),
          labels: o.labels ? parseJson('--labels', String(o.labels)) : undefined,
          design: o.design ? parseJson('--design', String(o.design)) : undefined,
          sourceRunId: o.run,
          datasetVersionId: o.datasetVersion,
          parentId: o.parent,
        };
        const v = await createClient(g).json<Version>('/api/v1/models', { method: 'POST', json: body });
        if (g.json) printObject(v, true);
        else process.stdout.write(`created ${v.name}/${v.version} (id ${v.id})\n`);
      },
    );

  models
    .command('edit <ref>')
    .description('change fields (content of a published version needs --force)')
    .option('--comment <text>')
    .option('--framework <name>')
    .option('--uri <uri>')
    .option('--force')
    .action(async (ref: string, o: Json, cmd: Command) => {
      const g = globals(cmd);
      const c = createClient(g);
      const id = await resolveId(c, ref);
      const out = await c.json<{ fields: string[] }>(`/api/v1/models/${id}`, {
        method: 'PATCH',
        json: { comment: o.comment, framework: o.framework, uri: o.uri, force: o.force },
      });
      process.stdout.write(`updated ${out.fields.join(', ') || 'nothing'}\n`);
    });

  models
    .command('upload <ref> <files...>')
    .description('upload artifact files (streamed); each upload bumps the artifact version')
    .option('--path <path>', 'artifact path for a single file (default: its base name)')
    .option('--force', 'upload to a published version')
    .action(async (ref: string, files: string[], o: { path?: string; force?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const c = createClient(g);
      if (o.path && files.length > 1) throw new CliError('--path works with one file only');
      const id = await resolveId(c, ref);
      for (const file of files) {
        const size = await stat(file).catch(() => {
          throw new CliError(`cannot read ${file}`);
        });
        const target = (o.path ?? basename(file)).split('/').map(encodeURIComponent).join('/');
        const res = await c.json<{ artifactVersion: string }>(`/api/v1/models/${id}/artifacts/${target}`, {
          method: 'PUT',
          body: Readable.toWeb(createReadStream(file)) as never,
          duplex: 'half',
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(size.size) },
          query: { force: o.force ? true : undefined },
        });
        process.stdout.write(`uploaded ${file} (artifact version ${res.artifactVersion})\n`);
      }
    });

  models
    .command('download <ref> [path]')
    .description('download one artifact file, or every file as Model.zip with --zip')
    .option('--zip', 'all files as one zip')
    .option('-o, --output <file>', 'where to write (default: the file name; - for stdout)')
    .action(
      async (ref: string, path: string | undefined, o: { zip?: boolean; output?: string }, cmd: Command) => {
        const c = createClient(globals(cmd));
        if (!o.zip && !path) throw new CliError('give an artifact path, or --zip for all files');
        const id = await resolveId(c, ref);
        const url = o.zip ? `/api/v1/models/${id}/Model.zip` : `/api/v1/models/${id}/artifacts/${path!}`;
        const res = await c.request(url);
        const out = o.output ?? (o.zip ? 'Model.zip' : basename(path!));
        const sink = out === '-' ? process.stdout : createWriteStream(out);
        await pipeline(Readable.fromWeb(res.body as never), sink);
        if (out !== '-') process.stderr.write(`wrote ${out}\n`);
      },
    );

  for (const [action, help] of [
    ['publish', 'publish (set ready) versions'],
    ['archive', 'archive versions'],
    ['unarchive', 'unarchive versions'],
  ] as const) {
    models
      .command(`${action} <refs...>`)
      .description(help)
      .action(async (refs: string[], _o, cmd: Command) => {
        const g = globals(cmd);
        await report(createClient(g), action, refs, undefined, Boolean(g.json));
      });
  }

  models
    .command('delete <refs...>')
    .description('delete versions and their files (refused while in use unless --force)')
    .option('--force')
    .action(async (refs: string[], o: { force?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      await report(createClient(g), 'delete', refs, o.force, Boolean(g.json));
    });

  models
    .command('alias <ref> <alias>')
    .description('point an alias (production, staging…) at a version')
    .action(async (ref: string, alias: string, _o, cmd: Command) => {
      const c = createClient(globals(cmd));
      const v = await c.json<Version>(
        `/api/v1/models/${await resolveId(c, ref)}/aliases/${encodeURIComponent(alias)}`,
        { method: 'PUT' },
      );
      process.stdout.write(`${v.name}@${alias} -> version ${v.version}\n`);
    });

  models
    .command('unalias <name> <alias>')
    .option('--project <name>')
    .action(async (name: string, alias: string, o: { project?: string }, cmd: Command) => {
      await createClient(globals(cmd)).request(
        `/api/v1/registered-models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`,
        {
          method: 'DELETE',
          query: { project: o.project },
        },
      );
      process.stdout.write(`removed ${name}@${alias}\n`);
    });

  models
    .command('tag <refs...>')
    .description('add / remove tags')
    .option('--add <tag>', 'repeatable', collect)
    .option('--remove <tag>', 'repeatable', collect)
    .action(async (refs: string[], o: { add?: string[]; remove?: string[] }, cmd: Command) => {
      const c = createClient(globals(cmd));
      if (!o.add && !o.remove) throw new CliError('give --add and/or --remove');
      const ids = await Promise.all(refs.map((r) => resolveId(c, r)));
      const res = await c.json<{ updated: number }>('/api/v1/models/tags', {
        method: 'POST',
        json: { ids, add: o.add, remove: o.remove },
      });
      process.stdout.write(`updated ${res.updated}\n`);
    });
}
