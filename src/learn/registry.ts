/**
 * Learners by name. Training runs pick a learner with `learners[name]` and a params object;
 * `validate` fills defaults and rejects bad values with an error naming the parameter.
 */
import { fitGbdt } from './gbdt.js';
import type { GbdtParams } from './gbdt.js';
import { validateParams } from './params.js';
import type { ParamSchema } from './params.js';
import type { Design, FitOptions, FitResult, Target, Task } from './types.js';

export interface Learner {
  name: string;
  description: string;
  tasks: Task[];
  /** True when the learner reports per-iteration progress and can resume from a checkpoint. */
  iterative: boolean;
  params: ParamSchema;
  /** Returns params with defaults filled; throws LearnParamError on an invalid one. */
  validate(params?: Record<string, unknown>): Record<string, unknown>;
  fit(design: Design, target: Target, params: Record<string, unknown>, opts: FitOptions): FitResult;
}

/** Parameters every learner accepts (defaults differ per learner for the preprocessing ones). */
function commonParams(d: { impute: string; standardize: boolean; categorical: string }): ParamSchema {
  return {
    task: {
      type: 'enum',
      default: 'auto',
      values: ['auto', 'binary', 'multiclass', 'regression'],
      description:
        "Prediction task. 'auto': a text target is classification; a numeric target is classification when every value is an integer and there are at most 20 distinct values, else regression.",
    },
    impute: {
      type: 'enum',
      default: d.impute,
      values: ['none', 'mean', 'median', 'zero'],
      description:
        "Fill for missing numeric values ('none' keeps them missing; trees learn a default direction).",
    },
    standardize: {
      type: 'boolean',
      default: d.standardize,
      description: 'Scale numeric features to zero mean and unit variance.',
    },
    categorical_encoding: {
      type: 'enum',
      default: d.categorical,
      values: ['onehot', 'ordinal'],
      description: 'Categorical features as indicator columns or as the (sorted) level index.',
    },
  };
}

const TREE_DEFAULTS = { impute: 'none', standardize: false, categorical: 'ordinal' };

function define(
  l: Omit<Learner, 'validate' | 'fit'> & {
    fit: (d: Design, t: Target, p: never, o: FitOptions) => FitResult;
  },
): Learner {
  return {
    ...l,
    validate: (params = {}) => validateParams(l.name, l.params, params),
    fit: (d, t, p, o) => l.fit(d, t, p as never, o),
  };
}

const gbdt = define({
  name: 'gbdt',
  description:
    'Histogram gradient-boosted trees (XGBoost-style second-order splits, ≤255 quantile bins per feature, learned direction for missing values).',
  tasks: ['binary', 'multiclass', 'regression'],
  iterative: true,
  params: {
    ...commonParams(TREE_DEFAULTS),
    n_estimators: {
      type: 'integer',
      default: 100,
      min: 1,
      description: 'Boosting rounds (one tree per class per round for multiclass).',
    },
    learning_rate: {
      type: 'number',
      default: 0.1,
      min: 0,
      exclusiveMin: true,
      max: 1,
      description: 'Shrinkage applied to every leaf value.',
    },
    max_depth: {
      type: 'integer',
      default: 6,
      min: 0,
      description: 'Maximum tree depth; 0 = unlimited (then set max_leaves).',
    },
    max_leaves: {
      type: 'integer',
      default: 0,
      min: 0,
      description: 'Maximum leaves per tree, grown best-first; 0 = depth-wise growth only.',
    },
    min_child_weight: {
      type: 'number',
      default: 1,
      min: 0,
      description: 'Minimum hessian sum in a child (≈ rows for regression).',
    },
    reg_lambda: { type: 'number', default: 1, min: 0, description: 'L2 regularisation on leaf values.' },
    gamma: { type: 'number', default: 0, min: 0, description: 'Minimum loss reduction to make a split.' },
    subsample: {
      type: 'number',
      default: 1,
      min: 0,
      exclusiveMin: true,
      max: 1,
      description: 'Fraction of rows sampled per round.',
    },
    colsample: {
      type: 'number',
      default: 1,
      min: 0,
      exclusiveMin: true,
      max: 1,
      description: 'Fraction of features sampled per tree.',
    },
    max_bins: {
      type: 'integer',
      default: 256,
      min: 3,
      max: 256,
      description: 'Histogram bins per feature including the missing-value bin.',
    },
    early_stopping_rounds: {
      type: 'integer',
      default: 0,
      min: 0,
      description:
        'Stop when the validation loss has not improved for this many rounds (0 = off); keeps the best round.',
    },
    validation_fraction: {
      type: 'number',
      default: 0.1,
      min: 0,
      exclusiveMin: true,
      max: 0.5,
      description: 'Share of training rows held out (stratified, seeded) for early stopping.',
    },
    seed: {
      type: 'integer',
      default: 0,
      description: 'Seed for row/column sampling and the validation split.',
    },
  },
  fit: (d, t, p: GbdtParams, o) => {
    if (p.max_depth === 0 && p.max_leaves === 0)
      throw new Error('gbdt: set max_depth or max_leaves (both 0 means unbounded trees)');
    return fitGbdt(d, t, p, o);
  },
});

/** All built-in learners by name. */
export const learners: Record<string, Learner> = { gbdt };

/** The learner with this name, or an error listing the available ones. */
export function getLearner(name: string): Learner {
  const l = learners[name];
  if (!l) throw new Error(`unknown learner "${name}" (available: ${Object.keys(learners).join(', ')})`);
  return l;
}
