/**
 * Deployments created from `name@alias` follow the alias. A move made through this process (the
 * registry service's alias event) re-points the deployments on that model at once; a slow poll
 * catches moves made by other server processes sharing the database. A re-point loads the new
 * version next to the old, swaps it in, then drains the old replicas: no request fails.
 */
import { nowIso } from '../../infra/db/kysely.js';
import type { DeploymentsCore } from './deployments-core.js';
import type { DeploymentRow } from './deployments.repository.js';

const DEFAULT_POLL_MS = 30_000;

const follows = (ref: string | null): ref is string => !!ref && ref.includes('@');

export function createAliasFollower(core: DeploymentsCore) {
  const { repo, runtime, events, deps } = core;
  let timer: NodeJS.Timeout | null = null;
  let unsubscribe: (() => void) | null = null;
  let pending: Promise<unknown> = Promise.resolve();

  /** Re-resolves the aliases of one deployment and re-points it when they moved. */
  async function syncOne(name: string): Promise<boolean> {
    return runtime.withLock(name, async () => {
      const cur = await repo.byName(name);
      if (!cur) return false;
      const next: DeploymentRow = { ...cur };
      try {
        if (follows(cur.model_ref)) next.version_id = (await core.resolve(cur.model_ref, 'model')).id;
        if (follows(cur.canary_ref))
          next.canary_version_id = (await core.resolve(cur.canary_ref, 'canary.model')).id;
      } catch (e) {
        // The alias was removed: keep serving what is loaded and say so.
        await events.add(
          name,
          'warn',
          `alias not resolvable, keeping current version: ${(e as Error).message}`,
        );
        return false;
      }
      if (next.version_id === cur.version_id && next.canary_version_id === cur.canary_version_id)
        return false;
      next.updated_at = nowIso();
      if (runtime.isLive(name)) await core.repoint(next);
      await core.commitRow(cur, next);
      await events.add(name, 'info', `alias moved: now ${runtime.describe(next)}`);
      return true;
    });
  }

  /**
   * Re-resolves every alias a deployment follows (all of them, or only `names`); returns the
   * names that moved.
   */
  async function syncAliases(names?: string[]): Promise<string[]> {
    const moved: string[] = [];
    for (const row of await repo.list()) {
      if (!follows(row.model_ref) && !follows(row.canary_ref)) continue;
      if (names && !names.includes(row.name)) continue;
      const did = await syncOne(row.name).catch((e: unknown) => {
        deps.logger.warn({ err: e, deployment: row.name }, 'alias follow failed');
        return false;
      });
      if (did) moved.push(row.name);
    }
    return moved;
  }

  /** Deployments whose reference (or canary's) names this model with an alias. */
  async function followersOf(modelId: string): Promise<string[]> {
    const out: string[] = [];
    for (const row of await repo.list()) {
      if (!follows(row.model_ref) && !follows(row.canary_ref)) continue;
      for (const id of [row.version_id, row.canary_version_id]) {
        const v = id ? await deps.registry.get(id).catch(() => null) : null;
        if (v?.modelId === modelId) {
          out.push(row.name);
          break;
        }
      }
    }
    return out;
  }

  return {
    syncAliases,
    /** Subscribes to the registry's alias events and starts the cross-process poll. */
    start() {
      unsubscribe ??= deps.registry.onAliasChange((change) => {
        pending = pending
          .then(() => followersOf(change.modelId))
          .then((names) => (names.length > 0 ? syncAliases(names) : []))
          .catch((e: unknown) => deps.logger.warn({ err: e }, 'alias follow failed'));
      });
      const every = deps.followIntervalMs ?? DEFAULT_POLL_MS;
      if (every > 0 && !timer) {
        timer = setInterval(() => void syncAliases(), every);
        timer.unref();
      }
    },
    /** Stops listening and polling; waits for a re-point in progress. */
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      if (timer) clearInterval(timer);
      timer = null;
      await pending;
    },
    /** Resolves once every alias event received so far has been handled. */
    settled: () => pending.then(() => undefined),
  };
}
