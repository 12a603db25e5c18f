/**
 * What the deployment operations share: the repository, the runtime (live routers), the event
 * log, and the steps that keep the row, the registry references and the runtime in agreement.
 */
import { join } from 'node:path';
import { AppError } from '../../errors.js';
import type { Deps } from '../../deps.js';
import { nowIso } from '../../infra/db/kysely.js';
import type { RegistryService } from '../registry/index.js';
import { VERSION } from '../../version.js';
import { createDeploymentsRepository } from './deployments.repository.js';
import type { DeploymentRow } from './deployments.repository.js';
import { createDeploymentsRuntime } from './deployments-runtime.js';
import { deploymentView } from './deployments-view.js';
import type { DeploymentView } from './deployments.schemas.js';
import { createEventLog } from './event-log.js';
import { versionRef } from './registry-model-loader.js';
import type { RegistryVersionRef } from './registry-model-loader.js';

export const REFERRER_KIND = 'deployment';

export type DeploymentsDeps = Pick<Deps, 'db' | 'logger'> & {
  config: { dataDir: string };
  registry: RegistryService;
  /** Product version for X-Drum-Version (default: the package version). */
  serverVersion?: string;
  /**
   * How often alias-following deployments re-check their alias (default 30 000 ms; 0 = never).
   * Alias moves made through this process re-point at once; the poll catches moves made by
   * other server processes sharing the database.
   */
  followIntervalMs?: number;
  /** How often the autoscaler samples the load of running deployments (default 1000 ms; 0 = never). */
  autoscaleIntervalMs?: number;
};

export function createDeploymentsCore(deps: DeploymentsDeps) {
  const repo = createDeploymentsRepository(deps.db);
  const events = createEventLog(deps.db, deps.logger);
  const runtime = createDeploymentsRuntime({
    registry: deps.registry,
    repo,
    logger: deps.logger,
    cacheDir: join(deps.config.dataDir, 'deployments-cache'),
    serverVersion: deps.serverVersion ?? VERSION,
    onEvent: (name, level, message) => void events.add(name, level, message),
  });

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

  const loadFailed = (name: string, e: unknown) =>
    new AppError('invalid', `deployment '${name}' cannot load its model: ${(e as Error).message}`, {
      reason: 'model_load_failed',
      cause: e,
    });

  /** Starts a row's pools; a failure is recorded on the row (status failed) and rethrown as 400. */
  async function bringUp(row: DeploymentRow): Promise<void> {
    try {
      await runtime.apply(row);
      await repo.update(row.id, { status: 'running', last_error: null, updated_at: nowIso() });
      await events.add(row.name, 'info', `serving ${runtime.describe(row)}`);
    } catch (e) {
      const message = (e as Error).message;
      await repo.update(row.id, { status: 'failed', last_error: message, updated_at: nowIso() });
      await events.add(row.name, 'error', `load failed: ${message}`);
      throw loadFailed(row.name, e);
    }
  }

  /** Re-points a live deployment; on failure the old pools keep serving and the row is unchanged. */
  async function repoint(row: DeploymentRow): Promise<void> {
    try {
      await runtime.apply(row);
    } catch (e) {
      await events.add(row.name, 'error', `change not applied: ${(e as Error).message}`);
      throw loadFailed(row.name, e);
    }
  }

  /** Keeps the references table equal to the versions the row uses. */
  async function syncReferences(id: string, before: Array<string | null>, after: Array<string | null>) {
    const now = new Set(after.filter((x): x is string => !!x));
    for (const v of now) await deps.registry.addReference(v, { kind: REFERRER_KIND, id });
    for (const v of before)
      if (v && !now.has(v)) await deps.registry.removeReference(v, { kind: REFERRER_KIND, id });
  }

  /** Writes `next` over `before` and moves the registry references with it. */
  async function commitRow(before: DeploymentRow, next: DeploymentRow) {
    const { id: _id, ...fields } = next;
    await repo.update(before.id, {
      ...fields,
      status: runtime.isLive(next.name) ? 'running' : fields.status,
    });
    await syncReferences(
      before.id,
      [before.version_id, before.canary_version_id],
      [next.version_id, next.canary_version_id],
    );
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
      runtime.router(row.name),
    );
  }

  return {
    deps,
    repo,
    events,
    runtime,
    mustGet,
    resolve,
    bringUp,
    repoint,
    syncReferences,
    commitRow,
    view,
    /** The current row as a view (after a write). */
    viewOf: async (name: string) => view(await mustGet(name)),
  };
}

export type DeploymentsCore = ReturnType<typeof createDeploymentsCore>;
