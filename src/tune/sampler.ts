/**
 * The contracts between a study and its algorithms: samplers propose parameters, pruners stop
 * trials early. Built-in algorithms and user plugins implement the same interfaces and are
 * created by name from a registry, so a serialised study can be rebuilt after a restart.
 */
import type { Dim, Params, SearchSpace } from './space.js';
import type { Rng } from './rng.js';

export type Direction = 'minimize' | 'maximize';
export type TrialState = 'pending' | 'complete' | 'failed' | 'pruned';

export interface IntermediateValue {
  step: number;
  value: number;
}

/** Everything a study remembers about one trial. */
export interface TrialRecord {
  id: number;
  params: Params;
  state: TrialState;
  /** Objective as reported by the user (not sign-flipped). */
  value?: number;
  /** Extra tracked metrics reported with the final value. */
  metrics?: Record<string, number>;
  intermediate: IntermediateValue[];
  failReason?: string;
  /** Algorithm bookkeeping (e.g. Hyperband bracket and rung), serialised with the trial. */
  meta?: Record<string, number | string>;
}

/** What a sampler sees when asked for the next trial. */
export interface SamplerContext {
  space: SearchSpace;
  dims: readonly Dim[];
  /** All trials so far, including pending ones, in id order. */
  trials: readonly TrialRecord[];
  direction: Direction;
  /** The study's seeded generator: use only this for randomness so resumed studies replay exactly. */
  rng: Rng;
}

export interface Suggestion {
  params: Params;
  meta?: Record<string, number | string>;
}

/** A search algorithm. `suggest` returns null when the algorithm has nothing left to propose. */
export interface Sampler {
  readonly name: string;
  suggest(ctx: SamplerContext): Suggestion | null;
  /** Serialisable internal state (caches, schedules); omit when the sampler is a pure function of history. */
  getState?(): unknown;
  setState?(state: unknown): void;
}

/** Decides whether a running trial should stop after reporting an intermediate value. */
export interface Pruner {
  readonly name: string;
  shouldPrune(trial: TrialRecord, ctx: SamplerContext): boolean;
}

export type SamplerFactory = (options: Record<string, unknown>) => Sampler;
export type PrunerFactory = (options: Record<string, unknown>) => Pruner;

/** Loss = objective oriented so that lower is better. */
export const lossOf = (t: TrialRecord, direction: Direction): number =>
  direction === 'minimize' ? t.value! : -t.value!;

/** Completed trials with their loss, in id order. */
export function completed(ctx: SamplerContext): { trial: TrialRecord; loss: number }[] {
  return ctx.trials
    .filter((t) => t.state === 'complete')
    .map((t) => ({ trial: t, loss: lossOf(t, ctx.direction) }));
}
