/**
 * Hyperband over a resource (WMLA "Hyperband": ResourceName, ResourceValue, eta), run
 * asynchronously as in ASHA: a configuration is promoted to the next rung as soon as it ranks in
 * the top 1/η of the results recorded at its rung, otherwise a new configuration starts. With one
 * bracket this is ASHA / successive halving. Each proposal is a trial whose params carry the
 * resource to train with; all bookkeeping lives in the trials' meta, so no extra state is needed.
 */
import { sampleRandomParams } from './random.js';
import type { Sampler, SamplerContext, TrialRecord } from './sampler.js';
import { lossOf } from './sampler.js';

export interface HyperbandOptions {
  /** Parameter that carries the budget to the trial (e.g. "epochs"). */
  resourceName: string;
  /** Largest budget (WMLA ResourceValue). */
  maxResource: number;
  /** Smallest budget. Default 1. */
  minResource?: number;
  /** Reduction factor. Default 3. */
  eta?: number;
  /** Number of brackets; default all (Hyperband). 1 gives ASHA / successive halving. */
  brackets?: number;
}

/** Rung budgets of bracket b (its minimum early-stopping rate): r_min·η^(b+k), capped at the maximum. */
function rungs(o: Required<HyperbandOptions>, b: number): number[] {
  const out: number[] = [];
  for (let k = 0; ; k++) {
    const r = o.minResource * o.eta ** (b + k);
    if (r >= o.maxResource * (1 - 1e-9)) {
      out.push(o.maxResource);
      return out;
    }
    out.push(Math.round(r));
  }
}

export function createHyperbandSampler(options: HyperbandOptions): Sampler {
  if (!options || typeof options.resourceName !== 'string' || options.resourceName === '') {
    throw new Error('hyperband: resourceName (WMLA ResourceName) is required');
  }
  if (!(Number(options.maxResource) > 0))
    throw new Error('hyperband: maxResource (WMLA ResourceValue) must be > 0');
  const eta = options.eta ?? 3;
  const minResource = options.minResource ?? 1;
  if (!(eta >= 2)) throw new Error('hyperband: eta must be ≥ 2');
  if (!(minResource > 0 && minResource <= options.maxResource))
    throw new Error('hyperband: need 0 < minResource ≤ maxResource');
  const sMax = Math.floor(Math.log(options.maxResource / minResource) / Math.log(eta) + 1e-9);
  const o: Required<HyperbandOptions> = {
    resourceName: options.resourceName,
    maxResource: Number(options.maxResource),
    minResource,
    eta,
    brackets: Math.max(1, Math.min(options.brackets ?? sMax + 1, sMax + 1)),
  };
  const ladders = Array.from({ length: o.brackets }, (_, b) => rungs(o, b));
  // Hyperband's allocation: bracket b gets ⌈(s_max+1)·η^s/(s+1)⌉ configurations, s = s_max − b.
  const weights = ladders.map((_, b) => Math.ceil(((sMax + 1) * eta ** (sMax - b)) / (sMax - b + 1)));

  const promote = (ctx: SamplerContext, trials: readonly TrialRecord[]): TrialRecord | null => {
    for (let b = 0; b < o.brackets; b++) {
      const ladder = ladders[b]!;
      for (let k = ladder.length - 2; k >= 0; k--) {
        const at = trials.filter((t) => t.meta?.bracket === b && t.meta?.rung === k);
        const done = at
          .filter((t) => t.state === 'complete')
          .sort((x, y) => lossOf(x, ctx.direction) - lossOf(y, ctx.direction));
        // ASHA: the top 1/η of the results recorded at this rung so far (pending ones do not count yet).
        const top = done.slice(0, Math.floor(done.length / o.eta));
        const promoted = new Set(
          trials.filter((t) => t.meta?.bracket === b && t.meta?.rung === k + 1).map((t) => t.meta!.config),
        );
        const next = top.find((t) => !promoted.has(t.meta!.config!));
        if (next) return next;
      }
    }
    return null;
  };

  return {
    name: 'hyperband',
    suggest(ctx) {
      const trials = ctx.trials;
      const up = promote(ctx, trials);
      if (up) {
        const b = up.meta!.bracket as number;
        const k = (up.meta!.rung as number) + 1;
        const params = { ...up.params, [o.resourceName]: ladders[b]![k]! };
        return { params, meta: { bracket: b, rung: k, config: up.meta!.config! } };
      }
      // New configuration in the bracket furthest behind its Hyperband share.
      const started = ladders.map(
        (_, b) => trials.filter((t) => t.meta?.bracket === b && t.meta?.rung === 0).length,
      );
      let b = 0;
      for (let i = 1; i < o.brackets; i++) if (started[i]! / weights[i]! < started[b]! / weights[b]!) b = i;
      const params = { ...sampleRandomParams(ctx), [o.resourceName]: ladders[b]![0]! };
      return { params, meta: { bracket: b, rung: 0, config: trials.length } };
    },
  };
}
