/** train(): frame or matrix + target + learner name/params → Model with its preprocessing inside. */
import { categoricalFromStrings, frameFromMatrix, getColumn } from './frame.js';
import type { Column, Frame } from './frame.js';
import type { Model } from './model.js';
import { MODEL_FORMAT_VERSION } from './model-format.js';
import { fitPreprocess, transformFrame } from './preprocess.js';
import type { PreprocessOptions } from './preprocess.js';
import { getLearner } from './registry.js';
import type { Checkpoint, FitOptions, Target, Task } from './types.js';

/** A row-major numeric matrix as training input. */
export interface MatrixData {
  x: ArrayLike<number>;
  nRows: number;
  nCols: number;
  names?: string[];
}

export interface TrainOptions extends FitOptions {
  /** Feature columns (default: every column except the target). */
  features?: string[];
}

export interface TrainResult {
  model: Model;
  /** Present for iterative learners: pass as `resumeFrom` to continue training. */
  checkpoint?: Checkpoint;
}

/**
 * Trains learner `name` on `data`. `target` is a column name of the frame or one value per row.
 * Params are validated against the learner's schema (see `learners[name].params`).
 */
export function train(
  name: string,
  data: Frame | MatrixData,
  target: string | ArrayLike<number> | readonly (string | null)[],
  params: Record<string, unknown> = {},
  opts: TrainOptions = {},
): TrainResult {
  const learner = getLearner(name);
  const p = learner.validate(params);
  const frame = 'columns' in data ? data : frameFromMatrix(data.x, data.nRows, data.nCols, data.names);
  let targetName = 'target';
  let targetCol: Column;
  if (typeof target === 'string') {
    targetName = target;
    targetCol = getColumn(frame, target);
  } else if (target.length > 0 && typeof target[0] === 'string') {
    targetCol = categoricalFromStrings(targetName, target as readonly (string | null)[]);
  } else
    targetCol = { kind: 'numeric', name: targetName, values: Float64Array.from(target as ArrayLike<number>) };
  if ((targetCol.kind === 'numeric' ? targetCol.values.length : targetCol.codes.length) !== frame.nRows) {
    throw new Error(`target has a different number of rows than the data (${frame.nRows})`);
  }
  const features = opts.features ?? frame.columns.map((c) => c.name).filter((n) => n !== targetName);
  if (features.length === 0) throw new Error('no feature columns');
  const { target: t, classes } = encodeTarget(targetCol, p.task as Task | 'auto', learner.tasks);
  if (!learner.tasks.includes(t.task)) throw new Error(`${name} does not support task "${t.task}"`);
  const prep: PreprocessOptions = {
    impute: p.impute as PreprocessOptions['impute'],
    standardize: p.standardize as boolean,
    categorical: p.categorical_encoding as PreprocessOptions['categorical'],
  };
  const spec = fitPreprocess(frame, features, prep);
  const design = transformFrame(spec, frame);
  const fit = learner.fit(design, t, p, opts);
  const importance = fit.featureImportance
    ? Object.fromEntries(design.names.map((n, i) => [n, fit.featureImportance![i]!]))
    : undefined;
  const model: Model = {
    formatVersion: MODEL_FORMAT_VERSION,
    learner: name,
    task: t.task,
    params: p,
    target: targetName,
    classes,
    preprocess: spec,
    predictor: fit.predictor,
    info: {
      trainedRows: frame.nRows,
      iterations: fit.iterations,
      bestIteration: fit.bestIteration,
      metrics: fit.metrics,
      featureImportance: importance,
    },
  };
  return { model, checkpoint: fit.checkpoint };
}

/** Class indices (sorted labels) or regression values, with the task resolved. */
export function encodeTarget(
  col: Column,
  task: Task | 'auto',
  supported: Task[],
): { target: Target; classes: string[] } {
  const n = col.kind === 'numeric' ? col.values.length : col.codes.length;
  let missing = 0;
  for (let i = 0; i < n; i++)
    if (col.kind === 'numeric' ? Number.isNaN(col.values[i]!) : col.codes[i]! < 0) missing++;
  if (missing > 0) throw new Error(`target "${col.name}" has ${missing} missing values`);
  if (col.kind === 'categorical') {
    const resolved = task === 'auto' ? (col.levels.length === 2 ? 'binary' : 'multiclass') : task;
    if (resolved === 'regression')
      throw new Error(`target "${col.name}" is not numeric; regression needs numbers`);
    return {
      target: { task: resolved, y: Float64Array.from(col.codes), nClasses: col.levels.length },
      classes: col.levels,
    };
  }
  const distinct = distinctSorted(col.values);
  let resolved: Task;
  if (task !== 'auto') resolved = task;
  else if (supported.length === 1 && supported[0] === 'regression') resolved = 'regression';
  else if (!supported.includes('regression') || (distinct.length <= 20 && distinct.every(Number.isInteger))) {
    resolved = distinct.length <= 2 ? 'binary' : 'multiclass';
  } else resolved = 'regression';
  if (resolved === 'regression')
    return { target: { task: resolved, y: col.values, nClasses: 1 }, classes: [] };
  const classes = distinct.map(String);
  if (resolved === 'binary' && classes.length !== 2)
    throw new Error(`binary task needs 2 classes, target has ${classes.length}`);
  const index = new Map(distinct.map((v, i) => [v, i]));
  const y = new Float64Array(n);
  const values = col.values;
  // Labels repeat: remember the last one's index instead of a map lookup per row.
  let last = NaN;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v !== last) {
      last = v;
      at = index.get(v)!;
    }
    y[i] = at;
  }
  return { target: { task: resolved, y, nClasses: classes.length }, classes };
}

/** Distinct values, ascending (a short scan while there are few, as targets have). */
function distinctSorted(values: Float64Array): number[] {
  const seen: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (seen.includes(v)) continue;
    if (seen.length === 64) return [...new Set(values)].sort((a, b) => a - b);
    seen.push(v);
  }
  return seen.sort((a, b) => a - b);
}
