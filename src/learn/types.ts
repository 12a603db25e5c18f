/** Types shared by the learners, the model format and the registry. */

export type Task = 'binary' | 'multiclass' | 'regression';

/** Column-major numeric design matrix (after preprocessing); NaN marks a missing value. */
export interface Design {
  nRows: number;
  nCols: number;
  columns: Float64Array[];
  names: string[];
}

/** Training target: class index per row (classification) or the value (regression). */
export interface Target {
  task: Task;
  y: Float64Array;
  /** Number of classes; 1 for regression. */
  nClasses: number;
}

export interface IterationInfo {
  /** 1-based number of completed iterations (trees / optimiser steps / epochs). */
  iteration: number;
  metrics: Record<string, number>;
}

/** Per-iteration callback; returning 'stop' ends training early with the model so far. */
export type OnIteration = (info: IterationInfo) => 'stop' | void;

/**
 * Serialisable training state of an iterative learner. `train(..., { resumeFrom })` with the same
 * data and params continues to the same model an uninterrupted run gives. JSON-safe.
 */
export interface Checkpoint {
  learner: string;
  iteration: number;
  state: Record<string, unknown>;
}

export interface FitOptions {
  onIteration?: OnIteration;
  resumeFrom?: Checkpoint;
}

/** Output transform from raw scores to predictions. */
export type Link = 'identity' | 'sigmoid' | 'softmax';

/** Flattened tree ensemble: node arrays shared by all trees; children of node n are left[n], left[n]+1. */
export interface TreePredictor {
  kind: 'trees';
  /** 'sum' adds leaf values to `base` (boosting); 'mean' averages leaf vectors (forests). */
  combine: 'sum' | 'mean';
  link: Link;
  /** Raw output size. */
  nRaw: number;
  /** Values per leaf: 1 for boosting (tree t adds to output treeOutput[t]), nRaw for forests. */
  valueDim: number;
  base: Float64Array;
  treeRoot: Int32Array;
  treeOutput: Int32Array;
  /** Split feature, or -1 at a leaf. */
  feature: Int32Array;
  /** Go left when x <= threshold. */
  threshold: Float64Array;
  left: Int32Array;
  /** 1 when a missing value goes left. */
  defaultLeft: Uint8Array;
  /** Leaf values, valueDim per node. */
  value: Float64Array;
}

/** Affine model raw = W·x + b, W row-major nRaw × nIn. */
export interface LinearPredictor {
  kind: 'linear';
  link: Link;
  nRaw: number;
  nIn: number;
  weights: Float64Array;
  bias: Float64Array;
}

/** Multi-layer perceptron with ReLU hidden layers; layer l has weights sizes[l+1]×sizes[l]. */
export interface MlpPredictor {
  kind: 'mlp';
  link: Link;
  nRaw: number;
  sizes: number[];
  weights: Float64Array[];
  biases: Float64Array[];
}

export type Predictor = TreePredictor | LinearPredictor | MlpPredictor;

/** What a learner's fit returns. */
export interface FitResult {
  predictor: Predictor;
  /** Per-design-column importance (normalised to sum 1) where the learner has one. */
  featureImportance?: Float64Array;
  /** Iterations completed (iterative learners). */
  iterations?: number;
  bestIteration?: number;
  /** State to resume from (iterative learners). */
  checkpoint?: Checkpoint;
  /** Final metrics the learner tracked (e.g. train_loss, valid_loss). */
  metrics?: Record<string, number>;
}
