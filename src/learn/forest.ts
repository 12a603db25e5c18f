/** Decision tree (CART) and random forest (bootstrap + per-split feature sampling) learners. */
import { fitAndBin } from './binning.js';
import { growCart } from './cart.js';
import type { CartData, CartParams } from './cart.js';
import { createRng } from './random.js';
import { buildTreePredictor } from './tree-predictor.js';
import type { FlatTree } from './tree-predictor.js';
import type { Design, FitResult, Target } from './types.js';

export interface TreeParams {
  max_depth: number;
  min_samples_split: number;
  min_samples_leaf: number;
  criterion: 'auto' | 'gini' | 'entropy' | 'squared_error';
  max_features: 'auto' | 'all' | 'sqrt' | 'log2';
  max_bins: number;
  seed: number;
}

export interface ForestParams extends TreeParams {
  n_estimators: number;
  bootstrap: boolean;
}

function prepare(design: Design, target: Target, maxBins: number): CartData {
  const { mapper, binned } = fitAndBin(design.columns, maxBins);
  return {
    binned,
    nValueBins: Int32Array.from(mapper.upper, (u) => u.length + 1),
    upper: mapper.upper,
    y: target.y,
    nClasses: target.task === 'regression' ? 0 : target.nClasses,
  };
}

function cartParams(p: TreeParams, target: Target, F: number, forest: boolean): CartParams {
  const classify = target.task !== 'regression';
  const criterion = p.criterion === 'auto' ? (classify ? 'gini' : 'squared_error') : p.criterion;
  if (classify === (criterion === 'squared_error')) {
    throw new Error(`criterion "${criterion}" does not fit task "${target.task}"`);
  }
  const mf = p.max_features === 'auto' ? (forest && classify ? 'sqrt' : 'all') : p.max_features;
  const maxFeatures = mf === 'sqrt' ? Math.sqrt(F) : mf === 'log2' ? Math.log2(F) : F;
  return {
    maxDepth: p.max_depth,
    minSamplesSplit: p.min_samples_split,
    minSamplesLeaf: p.min_samples_leaf,
    criterion,
    maxFeatures: Math.max(1, Math.floor(maxFeatures)),
  };
}

function finish(trees: FlatTree[], target: Target, importance: Float64Array): FitResult {
  const total = importance.reduce((a, b) => a + b, 0);
  if (total > 0) for (let i = 0; i < importance.length; i++) importance[i]! /= total;
  const dim = target.task === 'regression' ? 1 : target.nClasses;
  return {
    predictor: buildTreePredictor(trees, {
      combine: 'mean',
      link: 'identity',
      nRaw: dim,
      valueDim: dim,
      base: new Float64Array(dim),
    }),
    featureImportance: importance,
  };
}

/** A single CART tree on all rows. */
export function fitDecisionTree(design: Design, target: Target, p: TreeParams): FitResult {
  const data = prepare(design, target, p.max_bins);
  const importance = new Float64Array(design.nCols);
  const w = new Float64Array(design.nRows).fill(1);
  const tree = growCart(data, w, cartParams(p, target, design.nCols, false), createRng(p.seed), importance);
  return finish([tree], target, importance);
}

/** Averages n_estimators trees, each on a bootstrap sample (when enabled) with per-split feature sampling. */
export function fitRandomForest(design: Design, target: Target, p: ForestParams): FitResult {
  const data = prepare(design, target, p.max_bins);
  const cp = cartParams(p, target, design.nCols, true);
  const importance = new Float64Array(design.nCols);
  const rng = createRng(p.seed);
  const n = design.nRows;
  const w = new Float64Array(n);
  const trees: FlatTree[] = [];
  for (let t = 0; t < p.n_estimators; t++) {
    w.fill(p.bootstrap ? 0 : 1);
    if (p.bootstrap) for (let i = 0; i < n; i++) w[rng.int(n)]! += 1;
    trees.push(growCart(data, w, cp, rng, importance));
  }
  return finish(trees, target, importance);
}
