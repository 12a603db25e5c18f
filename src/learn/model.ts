/**
 * A trained model: learner name and params, the fitted preprocessing, class labels and the
 * predictor arrays. Prediction needs only this object (see model-format.ts for bytes).
 */
import type { Frame } from './frame.js';
import { transformFrame, transformRowInto } from './preprocess.js';
import type { PreprocessSpec } from './preprocess.js';
import { BATCH_BLOCK, createImplicitBatch } from './implicit-batch.js';
import { buildImplicitTrees, implicitRawInto } from './implicit-trees.js';
import { packedRawInto, packTrees, treeRawInto } from './tree-predictor.js';
import type { Link, MlpPredictor, Predictor, Task } from './types.js';

export interface ModelInfo {
  trainedRows: number;
  iterations?: number;
  bestIteration?: number;
  metrics?: Record<string, number>;
  /** Gain/impurity importance per design column name (sums to 1), when the learner has one. */
  featureImportance?: Record<string, number>;
}

export interface Model {
  formatVersion: number;
  learner: string;
  task: Task;
  params: Record<string, unknown>;
  /** Name of the target column. */
  target: string;
  /** Class labels in output order (classification); empty for regression. */
  classes: string[];
  preprocess: PreprocessSpec;
  predictor: Predictor;
  info: ModelInfo;
}

/** Number of values predictRowInto writes: class probabilities, or 1 for regression. */
export function outputSize(model: Model): number {
  return model.task === 'regression' ? 1 : model.classes.length;
}

/** Names of the model's input features, in the order predictRowInto expects them. */
export function inputNames(model: Model): string[] {
  return model.preprocess.inputs.map((i) => i.name);
}

export type RowPredictor = (x: ArrayLike<number>, out: Float64Array) => void;

/**
 * Compiles an allocation-free single-row predictor. `x` holds the input features in
 * `inputNames(model)` order (categoricals as level index, NaN = missing); `out` receives
 * `outputSize(model)` values (class probabilities, or the regression value).
 */
export function createRowPredictor(model: Model): RowPredictor {
  const spec = model.preprocess;
  const p = model.predictor;
  const design = new Float64Array(spec.outputNames.length);
  const raw = new Float64Array(p.nRaw);
  const link = p.link;
  const identityInputs = hasIdentityInputs(spec);
  const boosted = fastTreesRaw(p);
  if (boosted) {
    // Trees on untransformed numeric inputs read x directly: no copy on the hot path.
    if (identityInputs) {
      return (x, out) => {
        boosted(x, raw);
        applyLink(link, raw, out);
      };
    }
    return (x, out) => {
      transformRowInto(spec, x, design);
      boosted(design, raw);
      applyLink(link, raw, out);
    };
  }
  const hidden = p.kind === 'mlp' ? p.sizes.map((n) => new Float64Array(n)) : [];
  return (x, out) => {
    transformRowInto(spec, x, design);
    rawInto(p, design, raw, hidden);
    applyLink(link, raw, out);
  };
}

/**
 * Scores a row-major matrix: `x` holds nRows × inputNames(model).length values (as for
 * RowPredictor), `out` receives nRows × outputSize(model) values. No allocation per call or row.
 */
export type BatchPredictor = (x: Float64Array, nRows: number, out: Float64Array) => void;

/**
 * Compiles a batch predictor with the same outputs, bit for bit, as the row predictor. Boosted
 * ensembles with the complete-tree layout are walked tree-major over blocks of rows
 * (implicit-batch.ts); other models run the row predictor on each row.
 */
export function createBatchPredictor(model: Model): BatchPredictor {
  const spec = model.preprocess;
  const p = model.predictor;
  const nIn = spec.inputs.length;
  const k = outputSize(model);
  const implicit =
    p.kind === 'trees' && p.combine === 'sum' && p.valueDim === 1 ? buildImplicitTrees(p) : null;
  if (!implicit) {
    const row = createRowPredictor(model);
    const xRow = new Float64Array(nIn);
    const outRow = new Float64Array(k);
    return (x, nRows, out) => {
      for (let i = 0; i < nRows; i++) {
        // One reused row buffer: no per-row view objects.
        for (let j = 0; j < nIn; j++) xRow[j] = x[i * nIn + j]!;
        row(xRow, outRow);
        for (let c = 0; c < k; c++) out[i * k + c] = outRow[c]!;
      }
    };
  }
  const nDesign = spec.outputNames.length;
  const batchRaw = createImplicitBatch(implicit, nDesign);
  const nRaw = p.nRaw;
  const identityInputs = hasIdentityInputs(spec);
  const raw = new Float64Array(BATCH_BLOCK * nRaw);
  const design = identityInputs ? null : new Float64Array(BATCH_BLOCK * nDesign);
  const xRow = new Float64Array(nIn);
  const dRow = new Float64Array(nDesign);
  const rawRow = new Float64Array(nRaw);
  const outRow = new Float64Array(k);
  return (x, nRows, out) => {
    for (let b0 = 0; b0 < nRows; b0 += BATCH_BLOCK) {
      const nb = Math.min(BATCH_BLOCK, nRows - b0);
      if (design) {
        for (let r = 0; r < nb; r++) {
          for (let j = 0; j < nIn; j++) xRow[j] = x[(b0 + r) * nIn + j]!;
          transformRowInto(spec, xRow, dRow);
          design.set(dRow, r * nDesign);
        }
        batchRaw(design, 0, nb, raw);
      } else batchRaw(x, b0, nb, raw);
      for (let r = 0; r < nb; r++) {
        for (let c = 0; c < nRaw; c++) rawRow[c] = raw[r * nRaw + c]!;
        applyLink(p.link, rawRow, outRow);
        for (let c = 0; c < k; c++) out[(b0 + r) * k + c] = outRow[c]!;
      }
    }
  };
}

/** Whether every input reaches the predictor unchanged (numeric, no fill, no scaling). */
function hasIdentityInputs(spec: PreprocessSpec): boolean {
  return spec.inputs.every(
    (inp, i) =>
      inp.kind === 'numeric' && spec.fill[i] === null && spec.center[i] === 0 && spec.scale[i] === 1,
  );
}

type RawFn = (x: ArrayLike<number>, raw: Float64Array) => void;

/** The fastest raw-score walk for a boosted ensemble (implicit layout, else packed); null otherwise. */
function fastTreesRaw(p: Predictor): RawFn | null {
  if (p.kind !== 'trees' || p.combine !== 'sum' || p.valueDim !== 1) return null;
  const implicit = buildImplicitTrees(p);
  if (implicit) return (x, raw) => implicitRawInto(implicit, x, raw);
  const packed = packTrees(p);
  return (x, raw) => packedRawInto(packed, x, raw);
}

/** Raw scores of any predictor for one design row; `hidden` is MLP scratch (one buffer per layer size). */
export function rawInto(p: Predictor, x: Float64Array, raw: Float64Array, hidden: Float64Array[]): void {
  if (p.kind === 'trees') treeRawInto(p, x, raw);
  else if (p.kind === 'mlp') mlpRawInto(p, x, hidden, raw);
  else {
    const { weights, bias, nIn, nRaw } = p;
    for (let k = 0; k < nRaw; k++) {
      let s = bias[k]!;
      const o = k * nIn;
      for (let j = 0; j < nIn; j++) s += weights[o + j]! * x[j]!;
      raw[k] = s;
    }
  }
}

function mlpRawInto(p: MlpPredictor, x: Float64Array, hidden: Float64Array[], raw: Float64Array): void {
  let input = x;
  const L = p.weights.length;
  for (let l = 0; l < L; l++) {
    const nIn = p.sizes[l]!;
    const nOut = p.sizes[l + 1]!;
    const w = p.weights[l]!;
    const b = p.biases[l]!;
    const dst = l === L - 1 ? raw : hidden[l + 1]!;
    for (let o = 0; o < nOut; o++) {
      let s = b[o]!;
      for (let j = 0; j < nIn; j++) s += w[o * nIn + j]! * input[j]!;
      dst[o] = l === L - 1 || s > 0 ? s : 0;
    }
    input = dst;
  }
}

/** Raw scores → outputs. Binary sigmoid writes [1-p, p]. */
export function applyLink(link: Link, raw: Float64Array, out: Float64Array): void {
  if (link === 'sigmoid') {
    const pr = 1 / (1 + Math.exp(-raw[0]!));
    out[0] = 1 - pr;
    out[1] = pr;
  } else if (link === 'softmax') {
    const k = raw.length;
    let max = -Infinity;
    for (let i = 0; i < k; i++) if (raw[i]! > max) max = raw[i]!;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += out[i] = Math.exp(raw[i]! - max);
    for (let i = 0; i < k; i++) out[i]! /= sum;
  } else for (let i = 0; i < raw.length; i++) out[i] = raw[i]!;
}

const cache = new WeakMap<Model, RowPredictor>();

/** Single-row prediction (see createRowPredictor); the compiled predictor is cached per model. */
export function predictRowInto(model: Model, x: ArrayLike<number>, out: Float64Array): void {
  let f = cache.get(model);
  if (!f) cache.set(model, (f = createRowPredictor(model)));
  f(x, out);
}

export interface Predictions {
  /** n × outputSize values: class probabilities or regression values. */
  output: Float64Array;
  /** Predicted class index per row (classification). */
  classIndex?: Int32Array;
  /** Predicted label per row (classification) or undefined. */
  labels?: string[];
}

/** Batch prediction over a frame; feature columns are found by name, extra columns are ignored. */
export function predict(model: Model, frame: Frame): Predictions {
  const design = transformFrame(model.preprocess, frame);
  return predictDesign(model, design.columns, frame.nRows);
}

/** Batch prediction over already-preprocessed design columns. */
export function predictDesign(model: Model, columns: Float64Array[], n: number): Predictions {
  const k = outputSize(model);
  const output = new Float64Array(n * k);
  const p = model.predictor;
  const row = new Float64Array(columns.length);
  const raw = new Float64Array(p.nRaw);
  const one = new Float64Array(k);
  const hidden = p.kind === 'mlp' ? p.sizes.map((m) => new Float64Array(m)) : [];
  const boosted = fastTreesRaw(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < columns.length; j++) row[j] = columns[j]![i]!;
    if (boosted) boosted(row, raw);
    else rawInto(p, row, raw, hidden);
    applyLink(p.link, raw, one);
    output.set(one, i * k);
  }
  if (model.task === 'regression') return { output };
  const classIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (output[i * k + c]! > output[i * k + best]!) best = c;
    classIndex[i] = best;
  }
  return { output, classIndex, labels: Array.from(classIndex, (c) => model.classes[c]!) };
}
