/**
 * Learners by name. Training runs pick a learner with `learners[name]` and a params object;
 * `validate` fills defaults and rejects bad values with an error naming the parameter.
 */
import { fitDecisionTree, fitRandomForest } from './forest.js';
import type { ForestParams, TreeParams } from './forest.js';
import { fitGbdt } from './gbdt.js';
import { fitLinear } from './linear.js';
import type { LinearParams } from './linear.js';
import { fitLogistic } from './logistic.js';
import { fitMlp } from './mlp.js';
import type { MlpParams } from './mlp.js';
import type { LogisticParams } from './logistic.js';
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
    min_samples_leaf: {
      type: 'integer',
      default: 1,
      min: 1,
      description:
        'Minimum training rows per leaf (exact for regression; for classification rows are estimated from the hessian share, as LightGBM does).',
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
    n_threads: {
      type: 'integer',
      default: 0,
      min: 0,
      max: 2,
      description:
        'Threads for binning, gradients and histogram building (0 = auto: 2 from 50k rows when 2 cores exist). Results are identical for any value.',
    },
  },
  fit: (d, t, p: GbdtParams, o) => {
    if (p.max_depth === 0 && p.max_leaves === 0)
      throw new Error('gbdt: set max_depth or max_leaves (both 0 means unbounded trees)');
    return fitGbdt(d, t, p, o);
  },
});

const LINEAR_DEFAULTS = { impute: 'mean', standardize: true, categorical: 'onehot' };

const linearRegression = define({
  name: 'linear_regression',
  description: 'Least squares with an optional L2 (ridge) penalty, solved in closed form (Cholesky).',
  tasks: ['regression'],
  iterative: false,
  params: {
    ...commonParams(LINEAR_DEFAULTS),
    alpha: {
      type: 'number',
      default: 1,
      min: 0,
      description: 'L2 penalty on the coefficients (0 = ordinary least squares).',
    },
  },
  fit: (d, t, p: LinearParams) => fitLinear(d, t, p),
});

const logisticRegression = define({
  name: 'logistic_regression',
  description:
    'L2-regularised logistic regression (sigmoid for 2 classes, multinomial softmax for more), L-BFGS.',
  tasks: ['binary', 'multiclass'],
  iterative: true,
  params: {
    ...commonParams(LINEAR_DEFAULTS),
    C: {
      type: 'number',
      default: 1,
      min: 0,
      exclusiveMin: true,
      description: 'Inverse L2 strength: objective Σ log-loss + ‖w‖²/(2C) (scikit-learn convention).',
    },
    max_iter: { type: 'integer', default: 100, min: 1, description: 'Maximum L-BFGS iterations.' },
    tol: {
      type: 'number',
      default: 1e-4,
      min: 0,
      description: 'Stop when the largest gradient component of the summed loss is below this.',
    },
  },
  fit: (d, t, p: LogisticParams, o) => fitLogistic(d, t, p, o),
});

function treeParams(forest: boolean): ParamSchema {
  return {
    ...commonParams(TREE_DEFAULTS),
    max_depth: {
      type: 'integer',
      default: 0,
      min: 0,
      description: 'Maximum depth; 0 = grow until leaves are pure or too small.',
    },
    min_samples_split: {
      type: 'integer',
      default: 2,
      min: 2,
      description: 'Minimum (bootstrap-weighted) rows to split a node.',
    },
    min_samples_leaf: {
      type: 'integer',
      default: 1,
      min: 1,
      description: 'Minimum (bootstrap-weighted) rows in each child.',
    },
    criterion: {
      type: 'enum',
      default: 'auto',
      values: ['auto', 'gini', 'entropy', 'squared_error'],
      description: "Split quality; 'auto' = gini for classification, squared_error for regression.",
    },
    max_features: {
      type: 'enum',
      default: 'auto',
      values: ['auto', 'all', 'sqrt', 'log2'],
      description: forest
        ? "Features tried per split; 'auto' = sqrt for classification, all for regression."
        : "Features tried per split; 'auto' = all.",
    },
    max_bins: {
      type: 'integer',
      default: 256,
      min: 3,
      max: 256,
      description: 'Quantile bins per feature (split candidates) including the missing bin.',
    },
    seed: { type: 'integer', default: 0, description: 'Seed for feature sampling (and bootstrap).' },
  };
}

const decisionTree = define({
  name: 'decision_tree',
  description: 'CART decision tree on quantile-binned features (leaf = class distribution or mean).',
  tasks: ['binary', 'multiclass', 'regression'],
  iterative: false,
  params: treeParams(false),
  fit: (d, t, p: TreeParams) => fitDecisionTree(d, t, p),
});

const randomForest = define({
  name: 'random_forest',
  description: 'Random forest: bootstrap-sampled CART trees with per-split feature sampling, averaged.',
  tasks: ['binary', 'multiclass', 'regression'],
  iterative: false,
  params: {
    ...treeParams(true),
    n_estimators: { type: 'integer', default: 100, min: 1, description: 'Number of trees.' },
    bootstrap: { type: 'boolean', default: true, description: 'Train each tree on a bootstrap sample.' },
  },
  fit: (d, t, p: ForestParams) => fitRandomForest(d, t, p),
});

const mlp = define({
  name: 'mlp',
  description: 'Multi-layer perceptron with ReLU hidden layers, mini-batch Adam, L2 weight decay.',
  tasks: ['binary', 'multiclass', 'regression'],
  iterative: true,
  params: {
    ...commonParams(LINEAR_DEFAULTS),
    hidden_layer_sizes: { type: 'integer[]', default: [64], min: 1, description: 'Units per hidden layer.' },
    learning_rate: {
      type: 'number',
      default: 0.001,
      min: 0,
      exclusiveMin: true,
      description: 'Adam step size.',
    },
    batch_size: {
      type: 'integer',
      default: 200,
      min: 1,
      description: 'Rows per mini-batch (capped at the row count).',
    },
    max_iter: { type: 'integer', default: 200, min: 1, description: 'Maximum epochs.' },
    alpha: {
      type: 'number',
      default: 0.0001,
      min: 0,
      description: 'L2 penalty on weights (scikit-learn convention).',
    },
    tol: {
      type: 'number',
      default: 0.0001,
      min: 0,
      description: 'Minimum epoch-loss improvement that resets the patience counter.',
    },
    n_iter_no_change: {
      type: 'integer',
      default: 10,
      min: 1,
      description: 'Epochs without improvement before stopping.',
    },
    seed: { type: 'integer', default: 0, description: 'Seed for initial weights and batch order.' },
  },
  fit: (d, t, p: MlpParams, o) => fitMlp(d, t, p, o),
});

/** All built-in learners by name. */
export const learners: Record<string, Learner> = {
  gbdt,
  random_forest: randomForest,
  decision_tree: decisionTree,
  logistic_regression: logisticRegression,
  linear_regression: linearRegression,
  mlp,
};

/** The learner with this name, or an error listing the available ones. */
export function getLearner(name: string): Learner {
  const l = learners[name];
  if (!l) throw new Error(`unknown learner "${name}" (available: ${Object.keys(learners).join(', ')})`);
  return l;
}
