/**
 * The ask/tell study: owns the trials, the seeded generator and the algorithm, and serialises all
 * of it so that a study restored from `toJSON()` proposes exactly what the original would have.
 */
import { createRng } from './rng.js';
import type { Rng } from './rng.js';
import { checkValue, compileSpace, isActive } from './space.js';
import type { Dim, Params, SearchSpace } from './space.js';
import type {
  Direction,
  IntermediateValue,
  Pruner,
  PrunerFactory,
  Sampler,
  SamplerContext,
  SamplerFactory,
  TrialRecord,
} from './sampler.js';
import { lossOf } from './sampler.js';
import { builtinPruners, builtinSamplers } from './registry.js';

/** Error raised for invalid use of a study; `code` follows the project's error codes. */
export class TuneError extends Error {
  constructor(
    readonly code: 'invalid' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'TuneError';
  }
}

export interface Plugins {
  samplers?: Record<string, SamplerFactory>;
  pruners?: Record<string, PrunerFactory>;
}

export interface StudyOptions {
  space: SearchSpace;
  /** Sampler name: random | grid | tpe | gp | hyperband | asha, or a plugin name. Default tpe. */
  algorithm?: string;
  algorithmOptions?: Record<string, unknown>;
  /** Pruner name: median | successive-halving | none, or a plugin name. Default none. */
  pruner?: string;
  prunerOptions?: Record<string, unknown>;
  direction?: Direction;
  /** Seed of the study's generator; default 0 so runs are reproducible unless asked otherwise. */
  seed?: number;
  /** User algorithms, looked up before the built-ins. */
  plugins?: Plugins;
}

export type TellOutcome =
  | { value: number; metrics?: Record<string, number> }
  | { intermediate: IntermediateValue }
  | { failed: string }
  | { pruned: true };

export interface AskedTrial {
  id: number;
  params: Params;
  /** Algorithm bookkeeping, e.g. the Hyperband bracket/rung; informational. */
  meta?: Record<string, number | string>;
}

/** JSON-safe snapshot of a study. */
export interface StudyState {
  version: 1;
  options: Omit<StudyOptions, 'plugins'>;
  trials: TrialRecord[];
  queue: Params[];
  rngState: number[];
  samplerState?: unknown;
}

export interface Study {
  readonly direction: Direction;
  readonly space: SearchSpace;
  /** Proposes the next trial, or returns null when the algorithm is exhausted (e.g. a finished grid). */
  ask(): AskedTrial | null;
  /** Reports a final value, an intermediate value, a failure or a pruning. Returns whether to stop the trial. */
  tell(id: number, outcome: TellOutcome): { prune: boolean };
  /** Queues fixed parameters to be asked before the algorithm's own proposals (warm start, user picks). */
  enqueue(params: Params): void;
  trials(): readonly TrialRecord[];
  /** Best completed trial by the objective and direction. */
  best(): TrialRecord | undefined;
  toJSON(): StudyState;
}

/** Creates a new study. Throws SearchSpaceError / TuneError on invalid options. */
export function createStudy(options: StudyOptions): Study {
  return buildStudy(options, {
    version: 1,
    options: stripPlugins(options),
    trials: [],
    queue: [],
    rngState: createRng(options.seed ?? 0).getState(),
  });
}

/** Rebuilds a study from `toJSON()` output; pass the same plugins the original used. */
export function restoreStudy(state: StudyState, plugins?: Plugins): Study {
  if (state?.version !== 1) throw new TuneError('invalid', 'unsupported study state version');
  const restored = structuredClone(state);
  return buildStudy({ ...restored.options, plugins }, restored);
}

function stripPlugins(o: StudyOptions): Omit<StudyOptions, 'plugins'> {
  const { plugins: _plugins, ...rest } = o;
  return structuredClone(rest);
}

function buildStudy(options: StudyOptions, state: StudyState): Study {
  const dims: Dim[] = compileSpace(options.space);
  const direction: Direction = options.direction ?? 'minimize';
  if (direction !== 'minimize' && direction !== 'maximize') {
    throw new TuneError('invalid', `direction must be minimize or maximize, got "${String(direction)}"`);
  }
  const sampler = makeSampler(options);
  const pruner = makePruner(options);
  if (state.samplerState !== undefined) sampler.setState?.(state.samplerState);
  const trials = state.trials;
  const queue = state.queue;
  const rng: Rng = createRng(state.rngState);
  const ctx = (): SamplerContext => ({ space: options.space, dims, trials, direction, rng });

  const find = (id: number): TrialRecord => {
    const t = Number.isInteger(id) ? trials[id] : undefined;
    if (!t) throw new TuneError('not_found', `trial ${id} does not exist`);
    if (t.state !== 'pending') throw new TuneError('conflict', `trial ${id} is already ${t.state}`);
    return t;
  };

  return {
    direction,
    space: options.space,
    ask() {
      let suggestion;
      const fixed = queue.shift();
      if (fixed) suggestion = { params: fixed };
      else suggestion = sampler.suggest(ctx());
      if (!suggestion) return null;
      const params: Params = {};
      for (const d of dims) {
        if (isActive(options.space, d.name, suggestion.params) && suggestion.params[d.name] !== undefined) {
          params[d.name] = suggestion.params[d.name]!;
        }
      }
      // Extra keys (e.g. Hyperband's resource) pass through untouched.
      for (const [k, v] of Object.entries(suggestion.params)) if (!(k in options.space)) params[k] = v;
      const trial: TrialRecord = { id: trials.length, params, state: 'pending', intermediate: [] };
      if (suggestion.meta) trial.meta = suggestion.meta;
      trials.push(trial);
      return { id: trial.id, params: { ...params }, ...(trial.meta ? { meta: { ...trial.meta } } : {}) };
    },
    tell(id, outcome) {
      const t = find(id);
      if ('intermediate' in outcome) {
        const { step, value } = outcome.intermediate;
        if (!Number.isFinite(step) || !Number.isFinite(value)) {
          throw new TuneError('invalid', `trial ${id}: intermediate step and value must be finite numbers`);
        }
        t.intermediate.push({ step, value });
        return { prune: pruner ? pruner.shouldPrune(t, ctx()) : false };
      }
      if ('failed' in outcome) {
        t.state = 'failed';
        t.failReason = String(outcome.failed);
      } else if ('pruned' in outcome) {
        t.state = 'pruned';
      } else if ('value' in outcome) {
        if (typeof outcome.value !== 'number' || !Number.isFinite(outcome.value)) {
          // Same as Optuna: a NaN/inf objective is a failed trial, not a value the model should learn from.
          t.state = 'failed';
          t.failReason = `objective is not a finite number (${String(outcome.value)})`;
        } else {
          t.state = 'complete';
          t.value = outcome.value;
          if (outcome.metrics) t.metrics = { ...outcome.metrics };
        }
      } else {
        throw new TuneError(
          'invalid',
          `trial ${id}: outcome must have value, intermediate, failed or pruned`,
        );
      }
      return { prune: false };
    },
    enqueue(params) {
      for (const d of dims) {
        const v = params[d.name];
        if (v === undefined) {
          if (isActive(options.space, d.name, params))
            throw new TuneError('invalid', `enqueue: parameter "${d.name}" is missing`);
        } else checkValue(d, v);
      }
      queue.push({ ...params });
    },
    trials: () => trials,
    best() {
      let best: TrialRecord | undefined;
      for (const t of trials) {
        if (t.state === 'complete' && (!best || lossOf(t, direction) < lossOf(best, direction))) best = t;
      }
      return best;
    },
    toJSON() {
      const out: StudyState = {
        version: 1,
        options: stripPlugins(options),
        trials: structuredClone(trials),
        queue: structuredClone(queue),
        rngState: rng.getState(),
      };
      const s = sampler.getState?.();
      if (s !== undefined) out.samplerState = structuredClone(s);
      return out;
    },
  };
}

function makeSampler(options: StudyOptions): Sampler {
  const name = options.algorithm ?? 'tpe';
  const factory = options.plugins?.samplers?.[name] ?? builtinSamplers[name];
  if (!factory) throw new TuneError('invalid', `unknown algorithm "${name}"`);
  return factory({ ...(options.algorithmOptions ?? {}), space: options.space });
}

function makePruner(options: StudyOptions): Pruner | undefined {
  const name = options.pruner ?? 'none';
  if (name === 'none') return undefined;
  const factory = options.plugins?.pruners?.[name] ?? builtinPruners[name];
  if (!factory) throw new TuneError('invalid', `unknown pruner "${name}"`);
  return factory(options.prunerOptions ?? {});
}
