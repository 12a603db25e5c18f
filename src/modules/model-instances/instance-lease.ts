/**
 * Task leases, so several server processes can share one database: the process running a task
 * owns it (`owner`, a random id per process) and renews `heartbeat_at` while the work runs. Another
 * process takes a task over only once its lease lapsed (its server died) or was handed back (its
 * server closed), with a conditional write so that of several claiming at once exactly one wins.
 */
import { randomUUID } from 'node:crypto';
import type { ModelInstancesRepository, TaskRow } from './model-instances.repository.js';

/** How long a lease lasts without renewal: a dead server's tasks are taken over this long after. */
export const TASK_LEASE_MS = 30_000;
/** How often the owner renews the leases of the tasks it runs (well inside TASK_LEASE_MS). */
export const TASK_LEASE_RENEW_EVERY_MS = 5_000;

/** Lease timings (tests shorten them); every field defaults to the constants above. */
export interface LeaseOptions {
  /** How long a lease lasts without renewal. */
  leaseMs?: number;
  /** How often held leases are renewed. */
  renewEveryMs?: number;
  /** How often a running server looks for lapsed leases to take over (default: leaseMs). */
  scanEveryMs?: number;
  /** The clock leases are stamped and judged by (ms since epoch). */
  nowMs?: () => number;
}

export interface TaskLeasesOptions extends LeaseOptions {
  repo: ModelInstancesRepository;
  /** Told when a lease this process held was taken over or its task ended elsewhere: stop its work. */
  onLost(instanceId: string, taskId: string): void;
  logError(err: unknown, msg: string): void;
}

export function createTaskLeases(o: TaskLeasesOptions) {
  const owner = randomUUID();
  const leaseMs = o.leaseMs ?? TASK_LEASE_MS;
  const renewEveryMs = o.renewEveryMs ?? TASK_LEASE_RENEW_EVERY_MS;
  const nowMs = o.nowMs ?? Date.now;
  /** Task id → instance id, for the tasks this process runs. */
  const held = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let renewing = false;

  const stamp = () => new Date(nowMs()).toISOString();

  async function renew(): Promise<void> {
    if (renewing) return;
    renewing = true;
    try {
      for (const [taskId, instanceId] of [...held]) {
        if (await o.repo.renewLease(taskId, owner, stamp())) continue;
        if (!held.delete(taskId)) continue; // released meanwhile: not lost
        o.onLost(instanceId, taskId);
      }
    } catch (err) {
      o.logError(err, 'model instances: could not renew task leases');
    } finally {
      renewing = false;
    }
  }

  function hold(taskId: string, instanceId: string): void {
    held.set(taskId, instanceId);
    timer ??= setInterval(() => void renew(), renewEveryMs).unref();
  }

  function release(taskId: string): void {
    held.delete(taskId);
    if (held.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  /** True when another process may take `t` over: nobody holds it, or its holder stopped renewing. */
  function lapsed(t: TaskRow): boolean {
    if (t.owner === owner) return false;
    if (t.owner === null || t.heartbeat_at === null) return true;
    return Date.parse(t.heartbeat_at) + leaseMs <= nowMs();
  }

  /** Takes a lapsed lease; false when it is not lapsed or another process took it first. */
  async function claim(t: TaskRow, instanceId: string): Promise<boolean> {
    if (!lapsed(t) || !(await o.repo.claimLease(t, owner, stamp()))) return false;
    hold(t.id, instanceId);
    return true;
  }

  /** Stops renewing; with `handBack`, clears the ownership so others may take the tasks at once. */
  async function close(handBack: boolean): Promise<void> {
    const ids = [...held.keys()];
    for (const id of ids) release(id);
    if (handBack) await o.repo.releaseLeases(ids, owner);
  }

  return {
    owner,
    stamp,
    hold,
    release,
    lapsed,
    claim,
    close,
    scanEveryMs: o.scanEveryMs ?? leaseMs,
  };
}

export type TaskLeases = ReturnType<typeof createTaskLeases>;
