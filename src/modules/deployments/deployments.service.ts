/**
 * Deployments: named prediction services on registry versions, managed by the main server. The
 * desired state lives in the database (a restarted server brings back every deployment marked
 * running); the loaded replicas live in memory behind a per-deployment router. Every change of
 * what is served (start, alias move, canary, replicas) builds the new pools first and swaps them
 * in atomically, then drains the old ones, so requests never see a half-switched deployment.
 */
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, conflict } from '../../errors.js';
import type { Deps } from '../../deps.js';
import { isUniqueViolation, nowIso } from '../../infra/db/kysely.js';
import type { RegistryService } from '../registry/index.js';
import type { Table } from '../serving/serving.types.js';
import { createDeploymentRouter } from './deployment-router.js';
import type { DeploymentRouter } from './deployment-router.js';
import { createDeploymentsRepository, newDeploymentId } from './deployments.repository.js';
import type { DeploymentRow } from './deployments.repository.js';
import { checkCanaryWeight, checkName, checkScaling, checkServeOptions } from './deployments-validate.js';
import { createEventLog } from './event-log.js';
import { createReplicaPool } from './replica-pool.js';
import type { ReplicaPool, ServeOptions } from './replica-pool.js';
import { loadVersion, registryServiceSource, versionRef } from './registry-model-loader.js';
import type { RegistryVersionRef } from './registry-model-loader.js';
import { deploymentView } from './deployments-view.js';
import type { CreateDeploymentInput, DeploymentView, UpdateDeploymentInput } from './deployments.schemas.js';

export const REFERRER_KIND = 'deployment';
/** Where every deployment is mounted on the main server. */
export const DEPLOYMENTS_PREFIX = '/deployments';

export type DeploymentsDeps = Pick<Deps, 'db' | 'logger'> & {
  config: { dataDir: string };
  registry: RegistryService;
  /** Product version for X-Drum-Version. */
  serverVersion?: string;
  /** How often alias-following deployments check their alias (default 1000 ms; 0 = never). */
  followIntervalMs?: number;
};

interface Live {
  router: DeploymentRouter;
}

export function createDeploymentsService(deps: DeploymentsDeps) {
  const repo = createDeploymentsRepository(deps.db);
  const source = registryServiceSource(deps.registry);
  const cacheDir = join(deps.config.dataDir, 'deployments-cache');
  const live = new Map<string, Live>();
  const locks = new Map<string, Promise<unknown>>();
  const events = createEventLog();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  /** Serialises lifecycle operations per deployment (start/stop/update/alias moves). */
  function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(name, tail);
    void tail.then(() => {
      if (locks.get(name) === tail) locks.delete(name);
    });
    return run;
  }

  async function mustGet(name: string): Promise<DeploymentRow> {
    const row = await repo.byName(name);
    if (!row)
      throw new AppError('not_found', `deployment '${name}' was not found`, {
        reason: 'deployment_not_found',
      });
    return row;
  }

  async function resolve(ref: string, field: string): Promise<RegistryVersionRef> {
    try {
      return versionRef(await deps.registry.resolve(ref));
    } catch (e) {
      if (e instanceof AppError && e.code === 'not_found')
        throw new AppError('not_found', `${field}: no registry model version matches '${ref}'`, {
          reason: 'model_not_found',
          errors: [{ field, message: `no registry model version matches '${ref}'` }],
        });
      throw e;
    }
  }

  const options = (row: DeploymentRow) => JSON.parse(row.options) as ServeOptions;

  async function buildPool(row: DeploymentRow, v: RegistryVersionRef): Promise<ReplicaPool> {
    return createReplicaPool({
      name: row.name,
      urlPrefix: `${DEPLOYMENTS_PREFIX}/${row.name}`,
      label: `${v.name}/${v.version}`,
      versionId: v.id,
      replicas: row.replicas,
      load: () => loadVersion(source, v, cacheDir),
      serve: options(row),
      serverVersion: deps.serverVersion ?? 'dev',
    });
  }

  /**
   * Makes the live router match the row: reuses a pool whose version and replica count are
   * unchanged, builds the others, swaps atomically, then drains what was replaced.
   */
  async function apply(row: DeploymentRow): Promise<void> {
    const current = live.get(row.name)?.router;
    const reusable = (p: ReplicaPool | null | undefined, versionId: string | null) =>
      p && p.versionId === versionId && p.size === row.replicas ? p : null;
    const fresh: ReplicaPool[] = [];
    const build = async (versionId: string) => {
      const p = await buildPool(row, versionRef(await deps.registry.get(versionId)));
      fresh.push(p);
      return p;
    };
    let primary: ReplicaPool;
    let canary: ReplicaPool | null = null;
    try {
      primary =
        reusable(current?.primary, row.version_id) ??
        reusable(current?.canary, row.version_id) ??
        (await build(row.version_id));
      if (row.canary_version_id)
        canary =
          reusable(current?.canary, row.canary_version_id) ??
          (row.canary_version_id === primary.versionId && primary.size === row.replicas
            ? primary
            : await build(row.canary_version_id));
    } catch (e) {
      await Promise.all(fresh.map((p) => p.drainAndClose(0)));
      throw e;
    }
    const old = current ? [current.primary, current.canary] : [];
    if (current) {
      // One synchronous assignment block: the next request sees the new pools.
      current.primary = primary;
      current.canary = canary;
      current.canaryWeight = row.canary_weight;
    } else live.set(row.name, { router: createDeploymentRouter(primary, canary, row.canary_weight) });
    const retired = old.filter((p): p is ReplicaPool => !!p && p !== primary && p !== canary);
    await Promise.all([...new Set(retired)].map((p) => p.drainAndClose()));
  }

  async function teardown(name: string): Promise<void> {
    const l = live.get(name);
    if (!l) return;
    live.delete(name);
    const pools = new Set([l.router.primary, l.router.canary].filter((p): p is ReplicaPool => !!p));
    await Promise.all([...pools].map((p) => p.drainAndClose()));
  }

  const loadFailed = (name: string, e: unknown) =>
    new AppError('invalid', `deployment '${name}' cannot load its model: ${(e as Error).message}`, {
      reason: 'model_load_failed',
      cause: e,
    });

  /** Starts a row's pools; a failure is recorded on the row (status failed) and rethrown as 400. */
  async function bringUp(row: DeploymentRow): Promise<void> {
    try {
      await apply(row);
      await repo.update(row.id, { status: 'running', last_error: null, updated_at: nowIso() });
      events.add(row.name, 'info', `serving ${describe(row)}`);
    } catch (e) {
      const message = (e as Error).message;
      await repo.update(row.id, { status: 'failed', last_error: message, updated_at: nowIso() });
      events.add(row.name, 'error', `load failed: ${message}`);
      throw loadFailed(row.name, e);
    }
  }

  /** Re-points a live deployment; on failure the old pools keep serving and the row is unchanged. */
  async function repoint(row: DeploymentRow): Promise<void> {
    try {
      await apply(row);
    } catch (e) {
      events.add(row.name, 'error', `change not applied: ${(e as Error).message}`);
      throw loadFailed(row.name, e);
    }
  }

  function describe(row: DeploymentRow): string {
    const l = live.get(row.name)?.router;
    const main = l?.primary.label ?? row.version_id;
    return l?.canary ? `${main} + canary ${l.canary.label} at ${row.canary_weight}%` : main;
  }

  /** Keeps the references table equal to the versions the row uses. */
  async function syncReferences(id: string, before: Array<string | null>, after: Array<string | null>) {
    const now = new Set(after.filter((x): x is string => !!x));
    for (const v of now) await deps.registry.addReference(v, { kind: REFERRER_KIND, id });
    for (const v of before)
      if (v && !now.has(v)) await deps.registry.removeReference(v, { kind: REFERRER_KIND, id });
  }

  async function view(row: DeploymentRow): Promise<DeploymentView> {
    const labelOf = async (id: string | null) => {
      if (!id) return null;
      try {
        const v = await deps.registry.get(id);
        return { id, name: v.name, version: v.version };
      } catch {
        return { id, name: null, version: null };
      }
    };
    return deploymentView(
      row,
      await labelOf(row.version_id),
      await labelOf(row.canary_version_id),
      live.get(row.name)?.router ?? null,
    );
  }

  async function create(input: CreateDeploymentInput, user?: string): Promise<DeploymentView> {
    const name = checkName(input.name);
    const scaling = checkScaling({
      replicas: input.replicas ?? input.minInstances ?? 1,
      minInstances: input.minInstances ?? 1,
      maxInstances: input.maxInstances ?? -1,
    });
    const serve = checkServeOptions(input);
    const main = await resolve(input.model, 'model');
    const canary = input.canary ? await resolve(input.canary.model, 'canary.model') : null;
    const weight = input.canary ? checkCanaryWeight(input.canary.weight) : 0;
    const now = nowIso();
    const start = input.start ?? true;
    const row: DeploymentRow = {
      id: newDeploymentId(),
      name,
      model_ref: input.model,
      version_id: main.id,
      canary_ref: input.canary?.model ?? null,
      canary_version_id: canary?.id ?? null,
      canary_weight: weight,
      replicas: scaling.replicas,
      min_instances: scaling.minInstances,
      max_instances: scaling.maxInstances,
      desired_state: start ? 'running' : 'stopped',
      status: start ? 'starting' : 'stopped',
      last_error: null,
      readme: input.readme ?? '',
      options: JSON.stringify(serve),
      profile: JSON.stringify(input.profile ?? {}),
      created_by: user ?? null,
      created_at: now,
      updated_at: now,
    };
    return withLock(name, async () => {
      try {
        await repo.insert(row);
      } catch (e) {
        if (isUniqueViolation(e))
          throw conflict(`deployment '${name}' already exists`, { reason: 'deployment_exists' });
        throw e;
      }
      try {
        await syncReferences(row.id, [], [row.version_id, row.canary_version_id]);
        events.add(name, 'info', `created from ${input.model}`);
        if (start) await bringUp(row);
      } catch (e) {
        // Nothing half-written: a deployment that cannot start is not created.
        await teardown(name);
        await syncReferences(row.id, [row.version_id, row.canary_version_id], []);
        await repo.remove(row.id);
        events.drop(name);
        throw e;
      }
      return view((await repo.byName(name))!);
    });
  }

  async function start(name: string): Promise<DeploymentView> {
    return withLock(name, async () => {
      const row = await mustGet(name);
      await repo.update(row.id, { desired_state: 'running', status: 'starting', updated_at: nowIso() });
      if (!live.has(name)) await bringUp({ ...row, desired_state: 'running' });
      else await repo.update(row.id, { status: 'running' });
      return view((await repo.byName(name))!);
    });
  }

  async function stop(name: string): Promise<DeploymentView> {
    return withLock(name, async () => {
      const row = await mustGet(name);
      await teardown(name);
      await repo.update(row.id, {
        desired_state: 'stopped',
        status: 'stopped',
        last_error: null,
        updated_at: nowIso(),
      });
      events.add(name, 'info', 'stopped');
      return view((await repo.byName(name))!);
    });
  }

  async function update(name: string, patch: UpdateDeploymentInput): Promise<DeploymentView> {
    return withLock(name, async () => {
      const row = await mustGet(name);
      const scaling = checkScaling({
        replicas: patch.replicas ?? row.replicas,
        minInstances: patch.minInstances ?? row.min_instances,
        maxInstances: patch.maxInstances ?? row.max_instances,
      });
      const next: DeploymentRow = {
        ...row,
        replicas: scaling.replicas,
        min_instances: scaling.minInstances,
        max_instances: scaling.maxInstances,
        readme: patch.readme ?? row.readme,
        profile: patch.profile !== undefined ? JSON.stringify(patch.profile) : row.profile,
        updated_at: nowIso(),
      };
      if (patch.model !== undefined) {
        next.model_ref = patch.model;
        next.version_id = (await resolve(patch.model, 'model')).id;
      }
      if (patch.canary === null) {
        next.canary_ref = null;
        next.canary_version_id = null;
        next.canary_weight = 0;
      } else if (patch.canary !== undefined) {
        next.canary_ref = patch.canary.model;
        next.canary_version_id = (await resolve(patch.canary.model, 'canary.model')).id;
        next.canary_weight = checkCanaryWeight(patch.canary.weight);
      }
      if (live.has(name)) await repoint(next);
      await commitRow(row, next);
      events.add(name, 'info', `updated: ${describe(next)}`);
      return view((await repo.byName(name))!);
    });
  }

  async function commitRow(before: DeploymentRow, next: DeploymentRow) {
    const { id: _id, ...fields } = next;
    await repo.update(before.id, { ...fields, status: live.has(next.name) ? 'running' : fields.status });
    await syncReferences(
      before.id,
      [before.version_id, before.canary_version_id],
      [next.version_id, next.canary_version_id],
    );
  }

  async function remove(name: string): Promise<{ deleted: true; name: string }> {
    return withLock(name, async () => {
      const row = await mustGet(name);
      await teardown(name);
      await syncReferences(row.id, [row.version_id, row.canary_version_id], []);
      await repo.remove(row.id);
      events.drop(name);
      return { deleted: true as const, name };
    });
  }

  /**
   * Re-resolves every alias a deployment follows; a moved alias re-points the deployment (new
   * pool loaded, swapped in, old one drained). Returns the names that moved.
   */
  async function syncAliases(): Promise<string[]> {
    const moved: string[] = [];
    for (const row of await repo.list()) {
      const follows = (ref: string | null) => !!ref && ref.includes('@');
      if (!follows(row.model_ref) && !follows(row.canary_ref)) continue;
      await withLock(row.name, async () => {
        const cur = await repo.byName(row.name);
        if (!cur) return;
        const next = { ...cur };
        try {
          if (follows(cur.model_ref)) next.version_id = (await resolve(cur.model_ref, 'model')).id;
          if (follows(cur.canary_ref))
            next.canary_version_id = (await resolve(cur.canary_ref!, 'canary.model')).id;
        } catch (e) {
          // The alias was removed: keep serving what is loaded and say so.
          events.add(
            cur.name,
            'warn',
            `alias not resolvable, keeping current version: ${(e as Error).message}`,
          );
          return;
        }
        if (next.version_id === cur.version_id && next.canary_version_id === cur.canary_version_id) return;
        next.updated_at = nowIso();
        if (live.has(cur.name)) await repoint(next);
        await commitRow(cur, next);
        events.add(cur.name, 'info', `alias moved: now ${describe(next)}`);
        moved.push(cur.name);
      }).catch((e: unknown) => deps.logger.warn({ err: e, deployment: row.name }, 'alias follow failed'));
    }
    return moved;
  }

  /** Brings back every deployment marked running (server start) and starts following aliases. */
  async function resume(): Promise<void> {
    closed = false;
    for (const row of await repo.list()) {
      if (row.desired_state !== 'running') continue;
      await withLock(row.name, () => bringUp(row)).catch((e: unknown) =>
        deps.logger.error({ err: e, deployment: row.name }, 'deployment did not come back up'),
      );
    }
    const every = deps.followIntervalMs ?? 1000;
    if (every > 0 && !timer) {
      timer = setInterval(() => {
        if (!closed) void syncAliases();
      }, every);
      timer.unref();
    }
  }

  /** Stops serving (server shutdown); the desired state stays, so the next start resumes. */
  async function close(): Promise<void> {
    closed = true;
    if (timer) clearInterval(timer);
    timer = null;
    await Promise.all([...live.keys()].map((n) => withLock(n, () => teardown(n))));
  }

  /**
   * Serves one request under `/deployments/{name}/…`: the live router, or 503 when the
   * deployment is stopped or failed, 404 when there is none.
   */
  function handle(name: string, req: IncomingMessage, res: ServerResponse): void {
    const l = live.get(name);
    if (l && l.router.handle(req, res)) return;
    req.resume();
    void repo.byName(name).then(
      (row) => {
        if (!row) return reply(res, 404, `ERROR: deployment '${name}' was not found`);
        const why = row.status === 'failed' ? `failed to load: ${row.last_error ?? ''}` : `is ${row.status}`;
        reply(res, 503, `ERROR: deployment '${name}' ${why}`);
      },
      (e: unknown) => {
        deps.logger.error({ err: e }, 'deployment lookup failed');
        reply(res, 500, 'ERROR: internal error');
      },
    );
  }

  /** Scores a parsed table on a running deployment (canary split included). */
  async function score(name: string, table: Table) {
    const l = live.get(name);
    if (!l) {
      const row = await mustGet(name);
      throw new AppError('unavailable', `deployment '${name}' is ${row.status}`, {
        reason: 'deployment_not_running',
      });
    }
    const pool = l.router.pick();
    const out = await pool.score(table);
    return { ...out, model: pool.label, targetType: pool.targetType };
  }

  return {
    create,
    score,
    get: async (name: string) => view(await mustGet(name)),
    list: async () => Promise.all((await repo.list()).map(view)),
    start,
    stop,
    update,
    delete: remove,
    logs: async (name: string) => {
      await mustGet(name);
      return events.list(name);
    },
    syncAliases,
    resume,
    close,
    handle,
    isLive: (name: string) => live.has(name),
  };
}

function reply(res: ServerResponse, status: number, message: string) {
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export type DeploymentsService = ReturnType<typeof createDeploymentsService>;
