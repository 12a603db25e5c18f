/**
 * Pruners that stop running trials from their intermediate values: the median stopping rule
 * (Optuna MedianPruner / Katib medianstop) and asynchronous successive halving (Optuna's
 * SuccessiveHalvingPruner). Both are pure functions of the trial history.
 */
import type { Pruner, TrialRecord } from './sampler.js';

export interface MedianPrunerOptions {
  /** Completed trials needed before anything is pruned. Default 5. */
  nStartupTrials?: number;
  /** Steps a trial always runs. Default 0. */
  nWarmupSteps?: number;
  /** Check only every k steps after the warm-up. Default 1. */
  intervalSteps?: number;
  /** Other trials that must have reported the same step. Default 1. */
  nMinTrials?: number;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Stops a trial whose best value so far is worse than the median of completed trials at the same step. */
export function createMedianPruner(options: MedianPrunerOptions = {}): Pruner {
  const nStartup = options.nStartupTrials ?? 5;
  const warmup = options.nWarmupSteps ?? 0;
  const interval = options.intervalSteps ?? 1;
  const nMin = options.nMinTrials ?? 1;
  return {
    name: 'median',
    shouldPrune(trial, ctx) {
      const last = trial.intermediate.at(-1);
      if (!last || last.step < warmup || (last.step - warmup) % interval !== 0) return false;
      const done = ctx.trials.filter((t) => t.state === 'complete' && t.id !== trial.id);
      if (done.length < nStartup) return false;
      const sign = ctx.direction === 'minimize' ? 1 : -1;
      const others: number[] = [];
      for (const t of done) {
        const v = t.intermediate.find((iv) => iv.step === last.step);
        if (v) others.push(sign * v.value);
      }
      if (others.length < nMin) return false;
      const bestSoFar = Math.min(...trial.intermediate.map((iv) => sign * iv.value));
      return bestSoFar > median(others);
    },
  };
}

export interface SuccessiveHalvingPrunerOptions {
  /** Steps of the first rung. Default 1. */
  minResource?: number;
  /** η. Default 4 (Optuna). */
  reductionFactor?: number;
  /** s: the first rung is at minResource·η^s. Default 0. */
  minEarlyStoppingRate?: number;
}

/** Value a trial recorded at a rung: its first intermediate value at or after the rung's step. */
const valueAt = (t: TrialRecord, step: number): number | undefined =>
  t.intermediate.find((iv) => iv.step >= step)?.value;

/** ASHA as a pruner: at each rung keep going only when in the top ⌊k/η⌋ of the k values recorded there. */
export function createSuccessiveHalvingPruner(options: SuccessiveHalvingPrunerOptions = {}): Pruner {
  const rMin = options.minResource ?? 1;
  const eta = options.reductionFactor ?? 4;
  const s = options.minEarlyStoppingRate ?? 0;
  return {
    name: 'successive-halving',
    shouldPrune(trial, ctx) {
      const n = trial.intermediate.length;
      const last = trial.intermediate[n - 1];
      if (!last) return false;
      const prevStep = n > 1 ? trial.intermediate[n - 2]!.step : -Infinity;
      const sign = ctx.direction === 'minimize' ? 1 : -1;
      for (let k = 0; ; k++) {
        const rung = rMin * eta ** (s + k);
        if (rung > last.step) return false;
        if (rung <= prevStep) continue; // rung already judged at an earlier report
        const mine = sign * valueAt(trial, rung)!;
        const recorded = ctx.trials
          .filter((t) => t.state !== 'failed')
          .map((t) => valueAt(t, rung))
          .filter((v): v is number => v !== undefined)
          .map((v) => sign * v)
          .sort((a, b) => a - b);
        const keep = Math.floor(recorded.length / eta);
        const ok = keep === 0 ? mine <= recorded[0]! : mine <= recorded[keep - 1]!;
        if (!ok) return true;
      }
    },
  };
}
