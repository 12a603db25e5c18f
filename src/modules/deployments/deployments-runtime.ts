/**
 * The in-memory side of deployments: one router per running deployment, with its replica pools.
 * Every change of what is served builds the new pools first, swaps them in with one synchronous
 * assignment, then drains the old ones, so requests never see a half-switched deployment.
 * Lifecycle operations on one deployment are serialised by `withLock`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../errors.js';
import type { Deps } from '../../deps.js';
import type { RegistryService } from '../registry/index.js';
import type { Table } from '../serving/serving.types.js';
import { createDeploymentRouter } from './deployment-router.js';
import type { DeploymentRouter } from './deployment-router.js';
import type { DeploymentRow, DeploymentsRepository } from './deployments.repository.js';
import { createReplicaPool } from './replica-pool.js';
import type { ReplicaPool, ServeOptions } from './replica-pool.js';
import { loadVersion, registryServiceSource, versionRef } from './registry-model-loader.js';
import type { RegistryVersionRef } from './registry-model-loader.js';

/** Where every deployment is mounted on the main server. */
export const DEPLOYMENTS_PREFIX = '/deployments';

export interface DeploymentsRuntimeOptions {
  registry: RegistryService;
  repo: DeploymentsRepository;
  logger: Deps['logger'];
  /** Where registry artifacts are copied before loading. */
  cacheDir: string;
  /** Product version sent as X-Drum-Version. */
  serverVersion: string;
  /** Records what happened to a deployment's replicas (its event log). */
  onEvent?: (name: string, level: 'info' | 'warn' | 'error', message: string) => void;
}

export function createDeploymentsRuntime(o: DeploymentsRuntimeOptions) {
  const source = registryServiceSource(o.registry);
  const live = new Map<string, DeploymentRouter>();
  /**
   * Replica counts the autoscaler set, with the row's `replicas` they were set against: a new
   * `replicas` from an update wins over an earlier scale.
   */
  const scaled = new Map<string, { base: number; current: number }>();
  const locks = new Map<string, Promise<unknown>>();

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

  /** Replicas a row runs with now: the autoscaler's count, within the profile, else `replicas`. */
  function replicasFor(row: DeploymentRow): number {
    const s = scaled.get(row.name);
    if (!s || s.base !== row.replicas) return row.replicas;
    const max = row.max_instances === -1 ? Infinity : row.max_instances;
    return Math.max(row.min_instances, Math.min(max, s.current));
  }

  async function buildPool(
    row: DeploymentRow,
    v: RegistryVersionRef,
    replicas: number,
  ): Promise<ReplicaPool> {
    return createReplicaPool({
      name: row.name,
      urlPrefix: `${DEPLOYMENTS_PREFIX}/${row.name}`,
      label: `${v.name}/${v.version}`,
      versionId: v.id,
      replicas,
      load: () => loadVersion(source, v, o.cacheDir),
      serve: JSON.parse(row.options) as ServeOptions,
      serverVersion: o.serverVersion,
      onEvent: (message) => o.onEvent?.(row.name, 'warn', message),
    });
  }

  /**
   * Makes the live router match the row: reuses a pool whose version and replica count are
   * unchanged, builds the others, swaps atomically, then drains what was replaced.
   */
  async function apply(row: DeploymentRow): Promise<void> {
    const current = live.get(row.name);
    const replicas = replicasFor(row);
    const reusable = (p: ReplicaPool | null | undefined, versionId: string | null) =>
      p && p.versionId === versionId && p.size === replicas ? p : null;
    const fresh: ReplicaPool[] = [];
    const build = async (versionId: string) => {
      const p = await buildPool(row, versionRef(await o.registry.get(versionId)), replicas);
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
          (row.canary_version_id === primary.versionId && primary.size === replicas
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
    } else live.set(row.name, createDeploymentRouter(primary, canary, row.canary_weight));
    const retired = old.filter((p): p is ReplicaPool => !!p && p !== primary && p !== canary);
    await Promise.all([...new Set(retired)].map((p) => p.drainAndClose()));
  }

  /**
   * Runs a live deployment with `replicas` replicas (the autoscaler; call under withLock): new
   * pools are built and swapped in like any change, so no request fails. False when not live.
   */
  async function scale(name: string, replicas: number): Promise<boolean> {
    const row = await o.repo.byName(name);
    if (!row || !live.has(name)) return false;
    const before = scaled.get(name);
    scaled.set(name, { base: row.replicas, current: replicas });
    try {
      await apply(row);
    } catch (e) {
      if (before) scaled.set(name, before);
      else scaled.delete(name);
      throw e;
    }
    return true;
  }

  /** Stops serving a deployment: removed from routing first, then drained and closed. */
  async function teardown(name: string): Promise<void> {
    scaled.delete(name);
    const r = live.get(name);
    if (!r) return;
    live.delete(name);
    const pools = new Set([r.primary, r.canary].filter((p): p is ReplicaPool => !!p));
    await Promise.all([...pools].map((p) => p.drainAndClose()));
  }

  /** What a row serves, for logs: `model/3`, plus the canary when there is one. */
  function describe(row: DeploymentRow): string {
    const r = live.get(row.name);
    const main = r?.primary.label ?? row.version_id;
    return r?.canary ? `${main} + canary ${r.canary.label} at ${row.canary_weight}%` : main;
  }

  /**
   * Serves one request under `/deployments/{name}/…`: the live router, or 503 when the
   * deployment is stopped or failed, 404 when there is none.
   */
  function handle(name: string, req: IncomingMessage, res: ServerResponse): void {
    const r = live.get(name);
    if (r && r.handle(req, res)) return;
    req.resume();
    void o.repo.byName(name).then(
      (row) => {
        if (!row) return reply(res, 404, `ERROR: deployment '${name}' was not found`);
        const why = row.status === 'failed' ? `failed to load: ${row.last_error ?? ''}` : `is ${row.status}`;
        reply(res, 503, `ERROR: deployment '${name}' ${why}`);
      },
      (e: unknown) => {
        o.logger.error({ err: e }, 'deployment lookup failed');
        reply(res, 500, 'ERROR: internal error');
      },
    );
  }

  /** Scores a parsed table on a running deployment (canary split included). */
  async function score(name: string, table: Table) {
    const r = live.get(name);
    if (!r) {
      const row = await o.repo.byName(name);
      if (!row)
        throw new AppError('not_found', `deployment '${name}' was not found`, {
          reason: 'deployment_not_found',
        });
      throw new AppError('unavailable', `deployment '${name}' is ${row.status}`, {
        reason: 'deployment_not_running',
      });
    }
    const pool = r.pick();
    const out = await pool.score(table);
    return { ...out, model: pool.label, targetType: pool.targetType };
  }

  return {
    withLock,
    apply,
    scale,
    teardown,
    describe,
    handle,
    score,
    router: (name: string) => live.get(name) ?? null,
    isLive: (name: string) => live.has(name),
    names: () => [...live.keys()],
  };
}

export type DeploymentsRuntime = ReturnType<typeof createDeploymentsRuntime>;

function reply(res: ServerResponse, status: number, message: string) {
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
