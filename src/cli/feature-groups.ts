/**
 * `modelyard feature-groups …`: create, list, show, update, delete, extract. Talks to the server
 * named by --url. The InfluxDB token is taken from --influx-token-file (or --influx-token) and is
 * never printed back: the server only ever answers `****`.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { CliError, createClient, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, unknown>;

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const path = (name: string) => `/api/v1/feature-groups/${encodeURIComponent(name)}`;

interface DefineOpts {
  features?: string;
  dataset?: string;
  influx?: string;
  bucket?: string;
  measurement?: string;
  influxToken?: string;
  influxTokenFile?: string;
  org?: string;
  enableDme?: boolean;
  description?: string;
}

const splitList = (s: string) =>
  s
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');

/** `host:port` (or `http(s)://host:port`) → host and port. */
export function parseInfluxAddress(address: string): { host: string; port: number } {
  const m = /^((?:https?:\/\/)?[^\s/:]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(address.trim());
  if (!m) throw new CliError(`--influx '${address}' must be host:port, e.g. 127.0.0.1:8086`);
  return { host: m[1]!, port: Number(m[2]) };
}

async function definition(o: DefineOpts, partial: boolean): Promise<Json> {
  const body: Json = {};
  if (o.features !== undefined) body.featureList = splitList(o.features);
  else if (!partial) throw new CliError('--features is required (comma-separated names)');
  if (o.dataset && o.influx) throw new CliError('give either --dataset or --influx, not both');
  if (o.dataset) Object.assign(body, { datalakeSource: 'Dataset', sourceName: o.dataset });
  if (o.influx) Object.assign(body, { datalakeSource: 'InfluxSource', ...parseInfluxAddress(o.influx) });
  if (!partial && !o.dataset && !o.influx)
    throw new CliError('give the source: --dataset <name>[@<version>] or --influx <host:port>');
  if (o.bucket !== undefined) body.bucket = o.bucket;
  if (o.measurement !== undefined) body.measurement = o.measurement;
  if (o.org !== undefined) body.dbOrg = o.org;
  if (o.influxTokenFile !== undefined) {
    try {
      body.token = (await readFile(o.influxTokenFile, 'utf8')).trim();
    } catch (e) {
      throw new CliError(`cannot read --influx-token-file ${o.influxTokenFile}: ${(e as Error).message}`);
    }
  } else if (o.influxToken !== undefined) body.token = o.influxToken;
  if (o.enableDme !== undefined) body.enableDme = o.enableDme;
  if (o.description !== undefined) body.description = o.description;
  return body;
}

function withDefineOptions(cmd: Command): Command {
  return cmd
    .option('--features <list>', 'comma-separated feature names, in extract order')
    .option('--dataset <ref>', 'source: a Modelyard dataset, name[@version] (default latest)')
    .option('--influx <host:port>', 'source: an InfluxDB 1.x server (or 2.x with the 1.x API)')
    .option('--bucket <db>', 'InfluxDB database / bucket')
    .option('--measurement <name>', 'InfluxDB measurement')
    .option('--influx-token-file <file>', 'file holding the InfluxDB token or user:password')
    .option(
      '--influx-token <token>',
      'InfluxDB token or user:password (visible in shell history; prefer the file)',
    )
    .option('--org <org>', 'InfluxDB organisation (stored, for O-RAN clients)')
    .option('--enable-dme', 'store enable_dme=true (O-RAN; no DME job is created)')
    .option('--description <text>', 'free text');
}

function printGroup(v: Json, asJson: boolean): void {
  if (asJson) return printObject(v, true);
  const { id: _id, tokenSet: _t, ...rest } = v;
  // Fields a source does not use (host of a Dataset group, …) are empty: leave them out.
  const shown = Object.fromEntries(Object.entries(rest).filter(([, x]) => x !== '' && x !== null));
  printObject({ ...shown, featureList: (v.featureList as string[]).join(',') }, false);
}

export function registerFeatureGroups(program: Command): void {
  const fg = program
    .command('feature-groups')
    .alias('fg')
    .description(
      'feature groups: named feature selections from a dataset or InfluxDB, extracted into datasets',
    );

  withDefineOptions(fg.command('create <name>').description('define a feature group')).action(
    async (name: string, o: DefineOpts, cmd: Command) => {
      const g = globals(cmd);
      const v = await createClient(g).json<Json>('/api/v1/feature-groups', {
        method: 'POST',
        json: { name, ...(await definition(o, false)) },
      });
      printGroup(v, Boolean(g.json));
    },
  );

  withDefineOptions(fg.command('update <name>').description('change some fields of a feature group')).action(
    async (name: string, o: DefineOpts, cmd: Command) => {
      const g = globals(cmd);
      const changes = await definition(o, true);
      if (Object.keys(changes).length === 0)
        throw new CliError('nothing to change: give at least one option');
      const v = await createClient(g).json<Json>(path(name), { method: 'PATCH', json: changes });
      printGroup(v, Boolean(g.json));
    },
  );

  fg.command('list')
    .description('list feature groups')
    .option('--name <text>', 'only names containing this text')
    .option('--offset <n>', 'skip this many', (v) => Number(v))
    .option('--limit <n>', 'at most this many (default 100)', (v) => Number(v))
    .action(async (o: { name?: string; offset?: number; limit?: number }, cmd: Command) => {
      const g = globals(cmd);
      const page = await createClient(g).json<{ items: Json[]; total: number }>('/api/v1/feature-groups', {
        query: { name: o.name, offset: o.offset, limit: o.limit },
      });
      const rows = page.items.map((i) => ({
        ...i,
        features: (i.featureList as string[]).join(','),
        source:
          i.datalakeSource === 'Dataset'
            ? `dataset ${i.sourceName}`
            : `influx ${i.host}:${i.port}/${i.bucket}`,
      }));
      printRows(rows, ['name', 'source', 'features', 'updatedAt'], Boolean(g.json), page);
    });

  fg.command('show <name>')
    .description('one feature group (the InfluxDB token shows as ****)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      printGroup(await createClient(g).json<Json>(path(name)), Boolean(g.json));
    });

  fg.command('delete <name>')
    .description('delete a feature group (datasets extracted from it stay)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await createClient(globals(cmd)).json(path(name), { method: 'DELETE' });
      process.stdout.write(`deleted feature group ${name}\n`);
    });

  fg.command('extract <name>')
    .description('materialise the features as a new dataset version')
    .option(
      '--filter <expr>',
      'row filter, e.g. "radius_mean > 12 AND diagnosis = \'M\'" (InfluxQL WHERE for InfluxDB)',
    )
    .option('--target <column>', 'target column to carry along (dataset default: the source target)')
    .option('--no-target', 'carry no target column')
    .option('--dataset <name>', 'dataset that gets the new version (default: the feature group name)')
    .option('--description <text>', 'description of the new version')
    .action(
      async (
        name: string,
        o: { filter?: string; target?: string | boolean; dataset?: string; description?: string },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        const body: Json = {};
        if (o.filter !== undefined) body.queryFilter = o.filter;
        if (typeof o.target === 'string') body.target = o.target;
        if (o.target === false) body.target = null;
        if (o.dataset !== undefined) body.datasetName = o.dataset;
        if (o.description !== undefined) body.description = o.description;
        const v = await createClient(g).json<Json>(`${path(name)}/extract`, { method: 'POST', json: body });
        if (g.json) return printObject(v, true);
        const columns = (v.columns as Array<{ name: string; type: string }>).map(
          (c) => `${c.name}:${c.type}`,
        );
        process.stdout.write(
          `extracted ${v.rowCount} rows into dataset ${v.name} version ${v.version}` +
            `${v.target ? ` (target ${v.target})` : ''}\ncolumns: ${columns.join(', ')}\n`,
        );
      },
    );
}
