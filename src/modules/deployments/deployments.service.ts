/**
 * Deployments: named prediction services on registry versions, managed by the main server. The
 * desired state lives in the database (a restarted server brings back every deployment marked
 * running); the loaded replicas live in memory behind a per-deployment router
 * (deployments-runtime.ts); alias following is alias-follower.ts.
 */
import { conflict, invalid } from '../../errors.js';
import { isUniqueViolation, nowIso } from '../../infra/db/kysely.js';
import type { Table } from '../serving/serving.types.js';
import { createAliasFollower } from './alias-follower.js';
import { createAutoscaler } from './autoscaler.js';
import { createDeploymentsCore } from './deployments-core.js';
import type { DeploymentsDeps } from './deployments-core.js';
import { newDeploymentId } from './deployments.repository.js';
import type { DeploymentRow } from './deployments.repository.js';
import {
  checkCanaryWeight,
  checkName,
  checkProfileSettings,
  checkScaling,
  checkServeOptions,
} from './deployments-validate.js';
import { profileJson } from './deployments-view.js';
import type { CreateDeploymentInput, DeploymentView, UpdateDeploymentInput } from './deployments.schemas.js';

export { REFERRER_KIND, type DeploymentsDeps } from './deployments-core.js';
export { DEPLOYMENTS_PREFIX } from './deployments-runtime.js';

/** Rules a caller may ask for on top of the usual ones (WMLA EDI asks for both). */
export interface LifecycleGuards {
  /** Refuse (400 `deployment_running`) while the deployment is running or starting. */
  requireStopped?: boolean;
}

export function createDeploymentsService(deps: DeploymentsDeps) {
  const core = createDeploymentsCore(deps);
  const { repo, runtime, events, mustGet, resolve, bringUp, viewOf } = core;
  const follower = createAliasFollower(core);
  const autoscaler = createAutoscaler(core, deps.autoscaleIntervalMs);

  const isRunning = (row: DeploymentRow) =>
    runtime.isLive(row.name) || row.status === 'running' || row.status === 'starting';

  async function create(input: CreateDeploymentInput, user?: string): Promise<DeploymentView> {
    const name = checkName(input.name);
    const scaling = checkScaling({
      replicas: input.replicas ?? input.minInstances ?? 1,
      minInstances: input.minInstances ?? 1,
      maxInstances: input.maxInstances ?? -1,
    });
    const settings = checkProfileSettings(input);
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
      profile: profileJson(input.profile ?? {}, settings),
      created_by: user ?? null,
      created_at: now,
      updated_at: now,
    };
    return runtime.withLock(name, async () => {
      try {
        await repo.insert(row);
      } catch (e) {
        if (isUniqueViolation(e))
          throw conflict(`deployment '${name}' already exists`, { reason: 'deployment_exists' });
        throw e;
      }
      try {
        await core.syncReferences(row.id, [], [row.version_id, row.canary_version_id]);
        await events.add(name, 'info', `created from ${input.model}`);
        if (start) await bringUp(row);
      } catch (e) {
        // Nothing half-written: a deployment that cannot start is not created.
        await runtime.teardown(name);
        await core.syncReferences(row.id, [row.version_id, row.canary_version_id], []);
        await repo.remove(row.id);
        await events.drop(name);
        throw e;
      }
      return viewOf(name);
    });
  }

  async function start(name: string): Promise<DeploymentView> {
    return runtime.withLock(name, async () => {
      const row = await mustGet(name);
      await repo.update(row.id, { desired_state: 'running', status: 'starting', updated_at: nowIso() });
      if (!runtime.isLive(name)) await bringUp({ ...row, desired_state: 'running' });
      else await repo.update(row.id, { status: 'running' });
      return viewOf(name);
    });
  }

  async function stop(name: string): Promise<DeploymentView> {
    return runtime.withLock(name, async () => {
      const row = await mustGet(name);
      await runtime.teardown(name);
      await repo.update(row.id, {
        desired_state: 'stopped',
        status: 'stopped',
        last_error: null,
        updated_at: nowIso(),
      });
      await events.add(name, 'info', 'stopped');
      return viewOf(name);
    });
  }

  /**
   * Changes model, canary, replicas, profile or readme. A running deployment swaps without
   * downtime, unless `guards.requireStopped` refuses changes while it runs.
   */
  async function update(
    name: string,
    patch: UpdateDeploymentInput,
    guards: LifecycleGuards = {},
  ): Promise<DeploymentView> {
    return runtime.withLock(name, async () => {
      const row = await mustGet(name);
      if (guards.requireStopped && isRunning(row))
        throw invalid(`stop deployment '${name}' before changing it (it is ${row.status})`, {
          reason: 'deployment_running',
        });
      const scaling = checkScaling({
        replicas: patch.replicas ?? row.replicas,
        minInstances: patch.minInstances ?? row.min_instances,
        maxInstances: patch.maxInstances ?? row.max_instances,
      });
      const settings = checkProfileSettings(patch);
      const next: DeploymentRow = {
        ...row,
        replicas: scaling.replicas,
        min_instances: scaling.minInstances,
        max_instances: scaling.maxInstances,
        readme: patch.readme ?? row.readme,
        profile: profileJson(patch.profile, settings, row.profile),
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
      if (runtime.isLive(name)) await core.repoint(next);
      await core.commitRow(row, next);
      await events.add(name, 'info', `updated: ${runtime.describe(next)}`);
      return viewOf(name);
    });
  }

  /** Deletes a deployment (stopping it first), or answers 409 while it runs when asked to. */
  async function remove(
    name: string,
    opts: { refuseWhileRunning?: boolean } = {},
  ): Promise<{ deleted: true; name: string }> {
    return runtime.withLock(name, async () => {
      const row = await mustGet(name);
      if (opts.refuseWhileRunning && isRunning(row))
        throw conflict(`deployment '${name}' is in use (${row.status}); stop it before deleting`, {
          reason: 'deployment_in_use',
        });
      await runtime.teardown(name);
      await core.syncReferences(row.id, [row.version_id, row.canary_version_id], []);
      await repo.remove(row.id);
      await events.drop(name);
      return { deleted: true as const, name };
    });
  }

  /** Brings back every deployment marked running (server start) and starts following aliases. */
  async function resume(): Promise<void> {
    for (const row of await repo.list()) {
      if (row.desired_state !== 'running') continue;
      await runtime
        .withLock(row.name, () => bringUp(row))
        .catch((e: unknown) =>
          deps.logger.error({ err: e, deployment: row.name }, 'deployment did not come back up'),
        );
    }
    follower.start();
    autoscaler.start();
  }

  /** Stops serving (server shutdown); the desired state stays, so the next start resumes. */
  async function close(): Promise<void> {
    await follower.stop();
    await autoscaler.stop();
    await Promise.all(runtime.names().map((n) => runtime.withLock(n, () => runtime.teardown(n))));
  }

  return {
    create,
    /** Scores a parsed table on a running deployment (canary split included). */
    score: (name: string, table: Table) => runtime.score(name, table),
    get: viewOf,
    list: async () => Promise.all((await repo.list()).map(core.view)),
    start,
    stop,
    update,
    delete: remove,
    /** The deployment's events, oldest first (the newest `limit`). */
    logs: async (name: string, limit?: number) => {
      await mustGet(name);
      return events.list(name, limit);
    },
    syncAliases: follower.syncAliases,
    /** Resolves once alias moves announced so far in this process have been applied. */
    aliasesSettled: follower.settled,
    resume,
    close,
    handle: runtime.handle,
    isLive: runtime.isLive,
    /** The live router of a deployment, or null (diagnostics and tests). */
    router: runtime.router,
  };
}

export type DeploymentsService = ReturnType<typeof createDeploymentsService>;
