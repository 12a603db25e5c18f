/**
 * `modelyard deployments …`: manage deployments on the server. Also the HTTP registry source that
 * lets `modelyard serve name@alias` load a registry version through the server's API.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createRegistryModelLoader } from '../modules/deployments/registry-model-loader.js';
import type { RegistrySource } from '../modules/deployments/registry-model-loader.js';
import type { ModelLoader } from '../modules/serving/model-loader.js';
import { CliError, createClient, type Client, type GlobalOptions } from './client.js';
import { printObject, printRows } from './output.js';

type Json = Record<string, unknown>;
const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const enc = encodeURIComponent;

/** Reads versions and artifacts through /api/v1/models (404 → not in the registry). */
export function httpRegistrySource(c: Client): RegistrySource {
  return {
    async resolve(ref) {
      try {
        const v = await c.json<{ id: string; name: string; version: number; artifactVersion: string }>(
          '/api/v1/models/resolve',
          { query: { ref } },
        );
        return { id: v.id, name: v.name, version: v.version, artifactVersion: v.artifactVersion };
      } catch (e) {
        if (e instanceof CliError && /^error 404/.test(e.message)) return null;
        throw e;
      }
    },
    async artifactPaths(id) {
      const r = await c.json<{ items: Array<{ path: string }> }>(`/api/v1/models/${id}/artifacts`);
      return r.items.map((a) => a.path);
    },
    async readArtifact(id, path) {
      const res = await c.request(`/api/v1/models/${id}/artifacts/${path.split('/').map(enc).join('/')}`);
      return Buffer.from(await res.arrayBuffer());
    },
  };
}

/** The loader `modelyard serve` adds after the file loader for `name@alias` / `name/3` references. */
export function cliRegistryLoader(g: GlobalOptions): ModelLoader {
  return createRegistryModelLoader(
    httpRegistrySource(createClient(g)),
    join(tmpdir(), 'modelyard-serve-cache'),
  );
}

const int = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new CliError(`${flag} must be an integer (got '${v}')`, 2);
  return n;
};

function canaryOf(o: { canary?: string; canaryWeight?: number }) {
  if (o.canary === undefined) return undefined;
  if (o.canary === 'none') return null;
  return { model: o.canary, weight: o.canaryWeight ?? 10 };
}

const summary = (d: Json) => {
  const v = d.version as { name?: string; version?: number } | null;
  const c = d.canary as { model: string; weight: number } | null;
  return {
    name: d.name,
    status: d.status,
    model: d.model,
    serving: v ? `${v.name}/${v.version}` : '',
    canary: c ? `${c.model} (${c.weight}%)` : '',
    replicas: d.replicas,
    url: d.url,
  };
};

export function registerDeployments(program: Command): void {
  const dep = program
    .command('deployments')
    .alias('deploy')
    .description('deployments: registry versions served by the server at /deployments/{name}/');

  dep
    .command('create <name> <model>')
    .description('serve a registry version: <model> is name@alias (followed), name/3 or a version id')
    .option('--replicas <n>', 'runtimes behind the router', int('--replicas'))
    .option('--min-instances <n>', 'profile: least instances', int('--min-instances'))
    .option('--max-instances <n>', 'profile: most instances (-1 unlimited)', int('--max-instances'))
    .option('--scale-down-delay <s>', 'profile: seconds an idle instance is kept (> 0)', Number)
    .option('--gpu <mode>', 'profile: GPU mode no | shared | exclusive')
    .option('--canary <model>', 'a second version answering part of the traffic')
    .option('--canary-weight <percent>', 'canary share 0–100 (default 10)', int('--canary-weight'))
    .option('--readme <text>', 'how to call this deployment')
    .option('--target-type <type>', 'DRUM target type (default: what the model implies)')
    .option('--no-start', 'create stopped')
    .action(async (name: string, model: string, _o, cmd: Command) => {
      const o = cmd.opts() as Json & { canary?: string; canaryWeight?: number };
      const g = globals(cmd);
      const d = await createClient(g).json<Json>('/api/v1/deployments', {
        method: 'POST',
        json: {
          name,
          model,
          replicas: o.replicas,
          minInstances: o.minInstances,
          maxInstances: o.maxInstances,
          scaleDownDelaySeconds: o.scaleDownDelay,
          gpu: o.gpu,
          canary: canaryOf(o) ?? undefined,
          readme: o.readme,
          targetType: o.targetType,
          start: o.start,
        },
      });
      printObject(g.json ? d : summary(d), !!g.json);
    });

  dep
    .command('list')
    .description('all deployments')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const r = await createClient(g).json<{ items: Json[] }>('/api/v1/deployments');
      printRows(
        r.items.map(summary),
        ['name', 'status', 'model', 'serving', 'canary', 'replicas', 'url'],
        !!g.json,
        r,
      );
    });

  dep
    .command('show <name>')
    .description('one deployment with its live counters')
    .action(async (name: string, _o, cmd: Command) => {
      const g = globals(cmd);
      printObject(await createClient(g).json<Json>(`/api/v1/deployments/${enc(name)}`), !!g.json);
    });

  for (const action of ['start', 'stop'] as const)
    dep
      .command(`${action} <name>`)
      .description(`${action} serving`)
      .action(async (name: string, _o, cmd: Command) => {
        const g = globals(cmd);
        const d = await createClient(g).json<Json>(`/api/v1/deployments/${enc(name)}/${action}`, {
          method: 'POST',
        });
        printObject(g.json ? d : summary(d), !!g.json);
      });

  dep
    .command('update <name>')
    .description(
      'change model, canary, replicas, profile or readme; a running deployment swaps without downtime',
    )
    .option('--model <ref>', 'new registry reference')
    .option('--canary <model>', "canary version ('none' removes it)")
    .option('--canary-weight <percent>', 'canary share 0–100', int('--canary-weight'))
    .option('--replicas <n>', 'runtimes behind the router', int('--replicas'))
    .option('--min-instances <n>', 'profile: least instances', int('--min-instances'))
    .option('--max-instances <n>', 'profile: most instances (-1 unlimited)', int('--max-instances'))
    .option('--scale-down-delay <s>', 'profile: seconds an idle instance is kept (> 0)', Number)
    .option('--gpu <mode>', 'profile: GPU mode no | shared | exclusive')
    .option('--readme <text>', 'how to call this deployment')
    .action(async (name: string, _o, cmd: Command) => {
      const o = cmd.opts() as Json & { canary?: string; canaryWeight?: number };
      const g = globals(cmd);
      const d = await createClient(g).json<Json>(`/api/v1/deployments/${enc(name)}`, {
        method: 'PATCH',
        json: {
          model: o.model,
          canary: canaryOf(o),
          replicas: o.replicas,
          minInstances: o.minInstances,
          maxInstances: o.maxInstances,
          scaleDownDelaySeconds: o.scaleDownDelay,
          gpu: o.gpu,
          readme: o.readme,
        },
      });
      printObject(g.json ? d : summary(d), !!g.json);
    });

  dep
    .command('delete <name>')
    .description('stop and remove a deployment (frees its model versions)')
    .action(async (name: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const r = await createClient(g).json<Json>(`/api/v1/deployments/${enc(name)}`, { method: 'DELETE' });
      printObject(r, !!g.json);
    });

  dep
    .command('logs <name>')
    .description('events, oldest first: loads, swaps, alias moves, failures (kept across restarts)')
    .option('-n, --tail <n>', 'only the newest n events', int('--tail'))
    .action(async (name: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const o = cmd.opts() as { tail?: number };
      const r = await createClient(g).json<{ items: Json[] }>(`/api/v1/deployments/${enc(name)}/logs`, {
        query: { limit: o.tail },
      });
      if (g.json) printRows(r.items, [], true, r);
      else
        for (const e of r.items)
          process.stdout.write(`${String(e.at)} ${String(e.level)} ${String(e.message)}\n`);
    });
}
