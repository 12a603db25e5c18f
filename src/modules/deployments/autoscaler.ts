/**
 * Scales running deployments by load: every second it samples the requests in flight on each
 * deployment (and how busy this process's event loop was) whose profile allows a range (minInstances < maxInstances; -1 = up to the machine's
 * cores, since replicas beyond them add no throughput to a CPU-bound model),
 * as their time-weighted average over the second (an instant reading taken on the event loop
 * falls between requests and mostly sees none),
 * asks the pure policy (autoscale-policy.ts) for the next replica count, and applies a change
 * through the runtime's usual swap (new pool built, swapped in, old one drained: no request fails).
 * Each change is written to the deployment's log.
 */
import { availableParallelism } from 'node:os';
import type { DeploymentsCore } from './deployments-core.js';
import { MAX_REPLICAS } from './deployments-validate.js';
import { DEFAULT_SCALE_DOWN_DELAY_SECONDS, profileSettings } from './deployments-view.js';
import { decideScale, INITIAL_SCALE_STATE } from './autoscale-policy.js';
import type { ScalePolicy, ScaleState } from './autoscale-policy.js';
import type { DeploymentRow } from './deployments.repository.js';
import type { ReplicaPool } from './replica-pool.js';

/** Scale up above this many requests in flight per replica… */
export const UP_INFLIGHT_PER_REPLICA = 2;
/** …seen in this many consecutive samples. */
export const UP_SAMPLES = 3;
/** …or while the event loop is at least this busy with requests in flight. */
export const UP_BUSY = 0.9;
/** Load is low at or below this many requests in flight per replica. */
export const DOWN_INFLIGHT_PER_REPLICA = 0.5;

const DEFAULT_INTERVAL_MS = 1000;

/** What maxInstances -1 ("unlimited") means: one replica per core, never below min. */
export function unlimitedReplicas(minReplicas: number): number {
  return Math.max(minReplicas, Math.min(MAX_REPLICAS, availableParallelism()));
}

export function policyOf(row: DeploymentRow): ScalePolicy {
  const delayS = profileSettings(row.profile).scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS;
  return {
    minReplicas: row.min_instances,
    maxReplicas: row.max_instances === -1 ? unlimitedReplicas(row.min_instances) : row.max_instances,
    upInflightPerReplica: UP_INFLIGHT_PER_REPLICA,
    upBusy: UP_BUSY,
    upSamples: UP_SAMPLES,
    downInflightPerReplica: DOWN_INFLIGHT_PER_REPLICA,
    downDelayMs: delayS * 1000,
  };
}

export function createAutoscaler(core: DeploymentsCore, intervalMs = DEFAULT_INTERVAL_MS) {
  const { repo, runtime, events, deps } = core;
  const states = new Map<string, ScaleState>();
  /** The last load reading of each deployment's primary pool. */
  const readings = new Map<string, { pool: ReplicaPool; integral: number; atMs: number }>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  /** Event-loop utilisation at the previous pass (replicas in this process share the loop). */
  let elu = performance.eventLoopUtilization();

  async function sampleOne(row: DeploymentRow, atMs: number, busy: number): Promise<void> {
    const router = runtime.router(row.name);
    const policy = policyOf(row);
    if (!router || policy.minReplicas >= policy.maxReplicas) {
      states.delete(row.name);
      return;
    }
    const pool = router.primary;
    const integral = pool.loadIntegral();
    const last = readings.get(row.name);
    readings.set(row.name, { pool, integral, atMs });
    // A new pool (swap, scale) starts its own reading: sample it from the next pass on.
    if (!last || last.pool !== pool || atMs <= last.atMs) return;
    const d = decideScale(policy, states.get(row.name) ?? INITIAL_SCALE_STATE, {
      atMs,
      inflight: (integral - last.integral) / (atMs - last.atMs),
      replicas: pool.size,
      busy,
    });
    states.set(row.name, d.state);
    if (d.replicas === pool.size) return;
    const from = pool.size;
    try {
      const done = await runtime.withLock(row.name, () => runtime.scale(row.name, d.replicas));
      if (done)
        await events.add(
          row.name,
          'info',
          `scaled ${d.replicas > from ? 'up' : 'down'} from ${from} to ${d.replicas} replicas: ${d.reason}`,
        );
    } catch (e) {
      await events.add(
        row.name,
        'error',
        `scaling to ${d.replicas} replicas failed: ${(e as Error).message}`,
      );
    }
    // Start the next decision from a clean slate on the new count.
    states.set(row.name, {
      ...INITIAL_SCALE_STATE,
      lowSinceMs: d.state.lowSinceMs === null ? null : performance.now(),
    });
  }

  async function tick(): Promise<void> {
    const names = runtime.names();
    if (names.length === 0) return;
    const atMs = performance.now();
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    for (const row of await repo.list()) if (names.includes(row.name)) await sampleOne(row, atMs, busy);
    for (const name of readings.keys())
      if (!runtime.isLive(name)) {
        states.delete(name);
        readings.delete(name);
      }
  }

  return {
    start(): void {
      if (timer || intervalMs <= 0) return;
      timer = setInterval(() => {
        // One pass at a time: a scale that takes longer than the interval skips samples.
        if (running) return;
        running = tick()
          .catch((e: unknown) => deps.logger.warn({ err: e }, 'autoscaler pass failed'))
          .finally(() => (running = null));
      }, intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
