/**
 * The autoscaler's decision, as a pure function of the policy, what it remembers and one sample:
 * scale up one replica when the requests in flight per replica stayed above a threshold for N
 * consecutive samples, scale down one after a whole delay of low load, always within min..max.
 * One step at a time, so a burst cannot jump a deployment to its maximum at once.
 */

export interface ScalePolicy {
  minReplicas: number;
  /** Already resolved: "unlimited" is passed as the hard cap. */
  maxReplicas: number;
  /** Scale up when in-flight requests per replica are above this… */
  upInflightPerReplica: number;
  /**
   * …or when the serving event loop was at least this busy (0–1) while requests were in flight:
   * a CPU-bound model answering each request in one go keeps few requests in flight even when
   * the process cannot keep up, the rest wait in its sockets.
   */
  upBusy: number;
  /** …for this many consecutive samples. */
  upSamples: number;
  /** Load counts as low at or below this many in-flight requests per replica. */
  downInflightPerReplica: number;
  /** Scale down once load has been low for this long (the profile's scaleDownDelaySeconds). */
  downDelayMs: number;
}

/** What the decision remembers between samples. */
export interface ScaleState {
  /** Consecutive samples above the up threshold. */
  highSamples: number;
  /** Since when load has been low, or null. */
  lowSinceMs: number | null;
}

export interface ScaleSample {
  atMs: number;
  /** Requests in flight on the deployment. */
  inflight: number;
  /** Replicas serving now. */
  replicas: number;
  /** Fraction of the sample the serving event loop was busy (0–1), if measured. */
  busy?: number;
}

export interface ScaleDecision {
  /** Replicas to run (equal to the sample's when nothing changes). */
  replicas: number;
  state: ScaleState;
  /** Why replicas change (for the deployment log); null when they do not. */
  reason: string | null;
}

export const INITIAL_SCALE_STATE: ScaleState = { highSamples: 0, lowSinceMs: null };

/** The next replica count. */
export function decideScale(policy: ScalePolicy, state: ScaleState, sample: ScaleSample): ScaleDecision {
  const { replicas, atMs } = sample;
  const { minReplicas: min, maxReplicas: max } = policy;
  if (replicas < min)
    return { replicas: min, state: INITIAL_SCALE_STATE, reason: `below minInstances ${min}` };
  if (replicas > max)
    return { replicas: max, state: INITIAL_SCALE_STATE, reason: `above maxInstances ${max}` };
  const perReplica = sample.inflight / replicas;
  const crowded = perReplica > policy.upInflightPerReplica;
  const saturated = (sample.busy ?? 0) >= policy.upBusy && sample.inflight > 0;
  if (crowded || saturated) {
    const highSamples = state.highSamples + 1;
    if (highSamples >= policy.upSamples && replicas < max)
      return {
        replicas: replicas + 1,
        state: INITIAL_SCALE_STATE,
        reason: crowded
          ? `more than ${policy.upInflightPerReplica} requests in flight per replica for ${highSamples} samples`
          : `the serving event loop at least ${Math.round(policy.upBusy * 100)}% busy with requests in flight for ${highSamples} samples`,
      };
    return { replicas, state: { highSamples, lowSinceMs: null }, reason: null };
  }
  if (perReplica <= policy.downInflightPerReplica && replicas > min) {
    const since = state.lowSinceMs ?? atMs;
    if (atMs - since >= policy.downDelayMs)
      // The low-load clock restarts: each further step down waits a whole delay again.
      return {
        replicas: replicas - 1,
        state: { highSamples: 0, lowSinceMs: atMs },
        reason: `at most ${policy.downInflightPerReplica} requests in flight per replica for ${Math.round((atMs - since) / 1000)} s`,
      };
    return { replicas, state: { highSamples: 0, lowSinceMs: since }, reason: null };
  }
  return { replicas, state: INITIAL_SCALE_STATE, reason: null };
}
