/**
 * DRUM's class-label rules: binary labels are [negative, positive]; a model's output columns are
 * matched to the requested labels tolerantly (numeric "1.0" = "1", "True" = "true", case-insensitive)
 * and reordered; probabilities must lie in [0, 1] and sum to 1 per row.
 */
import { AppError } from '../../errors.js';
import type { RawScores, Scores, TargetType } from './serving.types.js';

export interface LabelOptions {
  positiveClassLabel?: string;
  negativeClassLabel?: string;
  classLabels?: string[];
}

/** Canonical form of a label for tolerant matching. */
export function normalizeLabel(label: string): string {
  const s = label.trim();
  if (s !== '' && !Number.isNaN(Number(s))) return String(Number(s));
  // Booleans and text compare case-insensitively ("True" = "true").
  return s.toLowerCase();
}

/** The labels a server answers with, in output order; null for non-classification targets. */
export function resolveLabels(
  targetType: TargetType,
  o: LabelOptions,
  modelLabels: string[] | null,
): string[] | null {
  const hasBinary = o.positiveClassLabel !== undefined || o.negativeClassLabel !== undefined;
  if (hasBinary && (o.positiveClassLabel === undefined || o.negativeClassLabel === undefined))
    throw new Error('--positive-class-label and --negative-class-label must be given together');
  if (hasBinary && o.classLabels) throw new Error('give either binary labels or --class-labels, not both');
  if (targetType === 'binary') {
    if (hasBinary) return [o.negativeClassLabel!, o.positiveClassLabel!];
    if (o.classLabels?.length === 2) return o.classLabels.slice();
    if (modelLabels?.length === 2) return modelLabels.slice();
    throw new Error('a binary model needs --positive-class-label and --negative-class-label');
  }
  if (targetType === 'multiclass') {
    const labels = o.classLabels ?? (hasBinary ? null : modelLabels);
    if (!labels || labels.length < 2)
      throw new Error('a multiclass model needs --class-labels with at least 2 labels');
    if (new Set(labels).size !== labels.length) throw new Error('class labels must be distinct');
    return labels.slice();
  }
  if (hasBinary || o.classLabels) throw new Error(`class labels do not apply to target type ${targetType}`);
  return null;
}

/** Index of each requested label among the model's columns (tolerant match), or null if one is absent. */
export function labelPermutation(requested: string[], modelColumns: string[]): number[] | null {
  const exact = new Map(modelColumns.map((c, i) => [c, i]));
  const loose = new Map(modelColumns.map((c, i) => [normalizeLabel(c), i]));
  const perm: number[] = [];
  for (const l of requested) {
    const i = exact.get(l) ?? loose.get(normalizeLabel(l));
    if (i === undefined) return null;
    perm.push(i);
  }
  return new Set(perm).size === perm.length ? perm : null;
}

const TOLERANCE = 1e-5;

// A server asks with the same two arrays on every request: remember the last answer.
let lastRequested: string[] | null = null;
let lastColumns: string[] | null = null;
let lastPerm: number[] | null = null;

function cachedPermutation(requested: string[], modelColumns: string[]): number[] | null {
  if (requested !== lastRequested || modelColumns !== lastColumns) {
    lastPerm = labelPermutation(requested, modelColumns);
    lastRequested = requested;
    lastColumns = modelColumns;
  }
  return lastPerm;
}

/**
 * Turns raw model output (n × modelColumns.length) into the answer's columns: label order for
 * classification (a single binary column is P(positive)), one "Predictions" column otherwise.
 */
export function finishScores(
  targetType: TargetType,
  labels: string[] | null,
  values: Float64Array,
  nRows: number,
  modelColumns: string[] | null,
): Scores {
  const width = nRows === 0 ? (modelColumns?.length ?? 1) : values.length / nRows;
  if (!labels) {
    if (width !== 1)
      throw new AppError(
        'internal',
        `a ${targetType} model must return exactly 1 column, it returned ${width}`,
      );
    return { values, nRows, columns: ['Predictions'] };
  }
  const k = labels.length;
  let out = values;
  if (targetType === 'binary' && width === 1) {
    out = new Float64Array(nRows * 2);
    for (let i = 0; i < nRows; i++) {
      out[i * 2 + 1] = values[i]!;
      out[i * 2] = 1 - values[i]!;
    }
  } else if (width !== k) {
    throw new AppError(
      'internal',
      `the model returned ${width} columns for ${k} class labels (${labels.join(', ')})`,
    );
  } else if (modelColumns) {
    const perm = cachedPermutation(labels, modelColumns);
    if (!perm)
      throw new AppError(
        'internal',
        `the model's columns (${modelColumns.join(', ')}) do not match the class labels (${labels.join(', ')})`,
      );
    if (perm.some((p, i) => p !== i)) {
      out = new Float64Array(nRows * k);
      for (let i = 0; i < nRows; i++) for (let c = 0; c < k; c++) out[i * k + c] = values[i * k + perm[c]!]!;
    }
  }
  for (let i = 0; i < nRows; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const p = out[i * k + c]!;
      if (!(p >= -TOLERANCE && p <= 1 + TOLERANCE))
        throw new AppError('internal', `prediction probabilities must lie in [0, 1]; row ${i + 1} has ${p}`);
      sum += p;
    }
    if (Math.abs(sum - 1) > 1e-4)
      throw new AppError(
        'internal',
        `prediction probabilities of row ${i + 1} do not add up to 1 (sum ${sum})`,
      );
  }
  return { values: out, nRows, columns: labels };
}

/**
 * Splits off DRUM's extraModelOutput: when a custom model returns more columns than its
 * predictions, the columns matching the class labels (tolerantly), or the one named `Predictions`
 * for other targets, are the predictions and the rest go back beside them as returned. Output
 * without such a split (as many columns as predictions, or no recognisable prediction columns)
 * is returned whole, for finishScores to accept or refuse.
 */
export function splitExtraColumns(labels: string[] | null, r: RawScores): Scores {
  const wanted = labels ? labels.length : 1;
  if (r.columns.length <= wanted) return r;
  const picked = labels ? labelPermutation(labels, r.columns) : [r.columns.indexOf('Predictions')];
  if (!picked || picked.some((i) => i < 0)) return r;
  const rest = r.columns.map((_, j) => j).filter((j) => !picked.includes(j));
  const width = r.columns.length;
  const values = new Float64Array(r.nRows * picked.length);
  for (let i = 0; i < r.nRows; i++)
    for (let c = 0; c < picked.length; c++) values[i * picked.length + c] = r.values[i * width + picked[c]!]!;
  return {
    values,
    nRows: r.nRows,
    columns: picked.map((j) => r.columns[j]!),
    extra: {
      columns: rest.map((j) => r.columns[j]!),
      rows: r.cells.map((row) => rest.map((j) => row[j] ?? null)),
    },
  };
}
