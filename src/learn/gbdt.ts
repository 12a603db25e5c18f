/**
 * Histogram gradient-boosted trees: binary logloss, multiclass softmax (one tree per class per
 * round) and squared-error regression, with row/column subsampling, early stopping on a seeded
 * validation split, gain importance, per-round callbacks and exact checkpoint/resume.
 */
import { applyBinMapper, MISSING_BIN } from './binning.js';
import type { BinnedMatrix } from './binning.js';
import { availableParallelism } from 'node:os';
import { createHistWorkspace } from './hist-parallel.js';
import { growTree } from './hist-tree.js';
import type { GrowContext, GrownTree, GrowParams } from './hist-tree.js';
import { createRng } from './random.js';
import { trainTestSplit } from './split.js';
import { baseScore, initScores, loss } from './gbdt-objective.js';
import { buildTreePredictor } from './tree-predictor.js';
import type { FlatTree } from './tree-predictor.js';
import type { Design, FitOptions, FitResult, Target } from './types.js';

export interface GbdtParams {
  n_estimators: number;
  learning_rate: number;
  max_depth: number;
  max_leaves: number;
  min_child_weight: number;
  min_samples_leaf: number;
  reg_lambda: number;
  gamma: number;
  subsample: number;
  colsample: number;
  max_bins: number;
  early_stopping_rounds: number;
  validation_fraction: number;
  seed: number;
  /** Threads for gradients and histogram building; 0 = auto (see autoThreads). */
  n_threads: number;
}

/** Below this many training rows a second thread costs more than it saves. */
const AUTO_THREADS_MIN_ROWS = 50_000;

/** Threads that n_threads = 0 picks: 2 from 50k rows when there are 2 cores, else 1. */
export function autoThreads(nRows: number): number {
  return nRows >= AUTO_THREADS_MIN_ROWS ? Math.min(2, availableParallelism()) : 1;
}

interface GbdtState {
  trees: FlatTree[];
  rng: number;
  bestIteration: number;
  bestLoss: number;
}

/** Trains a GBDT on a design matrix. */
export function fitGbdt(design: Design, target: Target, p: GbdtParams, opts: FitOptions = {}): FitResult {
  const K = target.task === 'multiclass' ? target.nClasses : 1;
  const split =
    p.early_stopping_rounds > 0
      ? trainTestSplit(design.nRows, {
          testFraction: p.validation_fraction,
          seed: p.seed,
          stratify: target.task === 'regression' ? undefined : target.y,
        })
      : undefined;
  const pick = (col: Float64Array, rows?: Uint32Array): Float64Array =>
    rows ? Float64Array.from(rows, (r) => col[r]!) : col;
  const trainCols = design.columns.map((c) => pick(c, split?.train));
  const yTrain = pick(target.y, split?.train);
  const F = design.nCols;
  const n = F === 0 ? 0 : yTrain.length;
  const threads = p.n_threads > 0 ? p.n_threads : autoThreads(n);
  const base = baseScore(target, yTrain, K);
  const resume = opts.resumeFrom?.state as GbdtState | undefined;
  if (opts.resumeFrom && opts.resumeFrom.learner !== 'gbdt') throw new Error('checkpoint is not from gbdt');
  const trees: FlatTree[] = [];
  const rng = createRng(p.seed, resume?.rng);
  let bestIteration = resume?.bestIteration ?? 0;
  let bestLoss = resume?.bestLoss ?? Infinity;
  let iteration = 0;
  let metrics: Record<string, number> = {};
  const ws = createHistWorkspace(n, F, K, threads);
  try {
    const mapper = { upper: ws.binFeatures(trainCols, p.max_bins) };
    const binned: BinnedMatrix = { nRows: n, nFeatures: F, bins: ws.bins };
    const valid = split
      ? applyBinMapper(
          mapper,
          design.columns.map((c) => pick(c, split.test)),
        )
      : undefined;
    const yValid = split ? pick(target.y, split.test) : undefined;
    const initial = initScores(n, base);
    const validScores = valid ? initScores(valid.nRows, base) : undefined;
    for (const t of resume?.trees ?? []) {
      const tree = reviveTree(t);
      addBinnedTree(tree, binned, initial, K);
      if (valid && validScores) addBinnedTree(tree, valid, validScores, K);
      trees.push(tree);
    }

    const { rows, scores } = ws;
    scores.set(initial);
    ws.y.set(yTrain);
    const gh = Array.from({ length: K }, (_, k) => ws.gh.subarray(2 * k * n, 2 * (k + 1) * n));
    const sample = new Uint32Array(n);
    const grow: GrowParams = {
      maxDepth: p.max_depth,
      maxLeaves: p.max_leaves,
      minChildWeight: p.min_child_weight,
      minSamplesLeaf: p.min_samples_leaf,
      lambda: p.reg_lambda,
      gamma: p.gamma,
      learningRate: p.learning_rate,
    };
    const histPool: Float64Array[] = [];
    const ctxs: GrowContext[] = gh.map((a, k) => ({
      rows,
      gh: a,
      newHist: ws.newHist,
      histPool,
      ...ws.grower(k),
    }));
    const nColSample = Math.max(1, Math.round(p.colsample * F));
    iteration = trees.length / K;
    while (iteration < p.n_estimators) {
      ws.gradients(target.task);
      let nSample = 0;
      if (p.subsample < 1) {
        for (let i = 0; i < n; i++) if (rng.next() < p.subsample) sample[nSample++] = i;
      } else nSample = n;
      const feats = sampleFeatures(F, nColSample, rng);
      for (let k = 0; k < K; k++) {
        // growTree reorders rows; every class tree starts from the ascending sample for locality.
        if (p.subsample < 1) rows.set(sample.subarray(0, nSample));
        else for (let i = 0; i < n; i++) rows[i] = i;
        const grown = growTree(ctxs[k]!, nSample, feats, grow);
        const tree = flatten(grown, mapper.upper, k);
        if (p.subsample < 1) addBinnedTree(tree, binned, scores, K);
        else ws.addLeaves(grown, k);
        if (valid && validScores) addBinnedTree(tree, valid, validScores, K);
        trees.push(tree);
      }
      iteration++;
      metrics = {};
      if (opts.onIteration) metrics.train_loss = loss(target, yTrain, scores, K);
      if (validScores && yValid) {
        const vl = loss(target, yValid, validScores, K);
        metrics.valid_loss = vl;
        if (vl < bestLoss) {
          bestLoss = vl;
          bestIteration = iteration;
        }
      }
      const stopEarly = split !== undefined && iteration - bestIteration >= p.early_stopping_rounds;
      if (opts.onIteration?.({ iteration, metrics }) === 'stop' || stopEarly) break;
    }
  } finally {
    void ws.close();
  }
  const state: GbdtState = { trees, rng: rng.state(), bestIteration, bestLoss };
  const kept = split && bestIteration > 0 ? trees.slice(0, bestIteration * K) : trees;
  const importance = new Float64Array(F);
  for (const t of kept)
    for (let i = 0; i < t.feature.length; i++)
      if (t.feature[i]! >= 0) importance[t.feature[i]!]! += t.gain[i]!;
  const total = importance.reduce((a, b) => a + b, 0);
  if (total > 0) for (let f = 0; f < F; f++) importance[f]! /= total;
  return {
    predictor: buildTreePredictor(kept, {
      combine: 'sum',
      link: target.task === 'binary' ? 'sigmoid' : target.task === 'multiclass' ? 'softmax' : 'identity',
      nRaw: K,
      valueDim: 1,
      base,
    }),
    featureImportance: importance,
    iterations: iteration,
    bestIteration: split ? bestIteration : iteration,
    checkpoint: { learner: 'gbdt', iteration, state: serializeState(state) },
    metrics,
  };
}

function sampleFeatures(F: number, m: number, rng: ReturnType<typeof createRng>): Int32Array {
  if (m >= F) return Int32Array.from({ length: F }, (_, i) => i);
  const all = Int32Array.from({ length: F }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(F - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, m).sort();
}

function flatten(t: GrownTree, upper: Float64Array[], output: number): FlatTree {
  const n = t.nNodes;
  const threshold = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = t.feature[i]!;
    if (f >= 0) threshold[i] = upper[f]![t.splitBin[i]!] ?? Infinity;
  }
  return {
    output,
    feature: t.feature.slice(0, n),
    splitBin: t.splitBin.slice(0, n),
    threshold,
    left: t.left.slice(0, n),
    defaultLeft: t.defaultLeft.slice(0, n),
    value: t.value.slice(0, n),
    gain: t.gain.slice(0, n),
  };
}

function addBinnedTree(t: FlatTree, m: BinnedMatrix, s: Float64Array, K: number): void {
  const { bins, nFeatures: nf, nRows } = m;
  const { feature, splitBin, left, defaultLeft, value } = t;
  for (let i = 0; i < nRows; i++) {
    let node = 0;
    let f: number;
    while ((f = feature[node]!) >= 0) {
      const b = bins[i * nf + f]!;
      const goLeft = b === MISSING_BIN ? defaultLeft[node] === 1 : b <= splitBin[node]!;
      node = goLeft ? left[node]! : left[node]! + 1;
    }
    s[i * K + t.output]! += value[node]!;
  }
}

function serializeState(s: GbdtState): Record<string, unknown> {
  return {
    rng: s.rng,
    bestIteration: s.bestIteration,
    bestLoss: Number.isFinite(s.bestLoss) ? s.bestLoss : null,
    trees: s.trees.map((t) => ({
      output: t.output,
      feature: Array.from(t.feature),
      splitBin: Array.from(t.splitBin),
      threshold: Array.from(t.threshold, (v) => (Number.isFinite(v) ? v : null)),
      left: Array.from(t.left),
      defaultLeft: Array.from(t.defaultLeft),
      value: Array.from(t.value),
      gain: Array.from(t.gain),
    })),
  };
}

function reviveTree(raw: unknown): FlatTree {
  const t = raw as Record<string, number[]> & { output: number };
  return {
    output: t.output,
    feature: Int32Array.from(t.feature!),
    splitBin: Int32Array.from(t.splitBin!),
    threshold: Float64Array.from(t.threshold!, (v) => v ?? Infinity),
    left: Int32Array.from(t.left!),
    defaultLeft: Uint8Array.from(t.defaultLeft!),
    value: Float64Array.from(t.value!),
    gain: Float64Array.from(t.gain!),
  };
}
