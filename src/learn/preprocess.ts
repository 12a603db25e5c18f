/**
 * The preprocessing pipeline stored inside every model: per input feature, imputation and
 * standardisation (numeric) or one-hot / ordinal encoding (categorical). Frames are mapped by
 * column name, so predict is independent of the column order of its input.
 */
import { getColumn } from './frame.js';
import type { Frame } from './frame.js';
import type { Design } from './types.js';

export type InputFeature =
  { name: string; kind: 'numeric' } | { name: string; kind: 'categorical'; levels: string[] };

export interface PreprocessOptions {
  /** Missing numeric values: 'none' keeps NaN (trees route it), else fill with the training statistic. */
  impute: 'none' | 'mean' | 'median' | 'zero';
  /** Scale numeric features to zero mean, unit variance (training statistics). */
  standardize: boolean;
  /** Categorical features as one indicator column per level, or as the level index. */
  categorical: 'onehot' | 'ordinal';
}

/** JSON-serialisable fitted pipeline. */
export interface PreprocessSpec {
  inputs: InputFeature[];
  /** Per input: fill value for missing (null = keep NaN), centre and scale (numeric only). */
  fill: (number | null)[];
  center: number[];
  scale: number[];
  categorical: 'onehot' | 'ordinal';
  /** Design column names, in design order. */
  outputNames: string[];
}

/** Learns the pipeline from the training frame's feature columns. */
export function fitPreprocess(frame: Frame, features: string[], o: PreprocessOptions): PreprocessSpec {
  const spec: PreprocessSpec = {
    inputs: [],
    fill: [],
    center: [],
    scale: [],
    categorical: o.categorical,
    outputNames: [],
  };
  for (const name of features) {
    const col = getColumn(frame, name);
    if (col.kind === 'categorical') {
      spec.inputs.push({ name, kind: 'categorical', levels: col.levels });
      spec.fill.push(null);
      spec.center.push(0);
      spec.scale.push(1);
      if (o.categorical === 'onehot') for (const l of col.levels) spec.outputNames.push(`${name}=${l}`);
      else spec.outputNames.push(name);
      continue;
    }
    const values = col.values;
    const needStats = o.standardize || o.impute === 'mean' || o.impute === 'median';
    let count = 0;
    let mean = 0;
    if (needStats) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v === v) {
          mean += v;
          count++;
        }
      }
      mean = count ? mean / count : 0;
    }
    let fill: number | null = null;
    if (o.impute === 'mean') fill = mean;
    else if (o.impute === 'zero') fill = 0;
    else if (o.impute === 'median') fill = median(values);
    let center = 0;
    let scale = 1;
    if (o.standardize) {
      let ss = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v === v) ss += (v - mean) ** 2;
      }
      const sd = count ? Math.sqrt(ss / count) : 0;
      center = mean;
      scale = sd > 0 ? sd : 1;
    }
    spec.inputs.push({ name, kind: 'numeric' });
    spec.fill.push(fill);
    spec.center.push(center);
    spec.scale.push(scale);
    spec.outputNames.push(name);
  }
  return spec;
}

function median(values: Float64Array): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort();
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Input codes for one frame column: numeric values, or the model's level index of each
 * categorical value (NaN when missing or a level unseen in training).
 */
export function inputColumn(spec: PreprocessSpec, i: number, frame: Frame): Float64Array {
  const input = spec.inputs[i]!;
  const col = getColumn(frame, input.name);
  const n = frame.nRows;
  const out = new Float64Array(n);
  if (input.kind === 'numeric') {
    if (col.kind !== 'numeric') throw new Error(`column "${input.name}" must be numeric`);
    out.set(col.values);
    return out;
  }
  const index = new Map(input.levels.map((l, j) => [l, j]));
  for (let r = 0; r < n; r++) {
    let s: string | null;
    if (col.kind === 'numeric') s = Number.isNaN(col.values[r]!) ? null : String(col.values[r]);
    else s = col.codes[r]! < 0 ? null : col.levels[col.codes[r]!]!;
    out[r] = s === null ? NaN : (index.get(s) ?? NaN);
  }
  return out;
}

/** Applies the pipeline to a frame (columns found by name) giving the design matrix. */
export function transformFrame(spec: PreprocessSpec, frame: Frame): Design {
  const columns: Float64Array[] = [];
  const n = frame.nRows;
  spec.inputs.forEach((input, i) => {
    const x = inputColumn(spec, i, frame);
    if (input.kind === 'categorical' && spec.categorical === 'onehot') {
      for (let l = 0; l < input.levels.length; l++) {
        const c = new Float64Array(n);
        for (let r = 0; r < n; r++) if (x[r] === l) c[r] = 1;
        columns.push(c);
      }
      return;
    }
    if (input.kind === 'numeric') {
      const fill = spec.fill[i]!;
      const center = spec.center[i]!;
      const scale = spec.scale[i]!;
      // Nothing to impute or scale (trees): the copy is already the answer.
      if (fill === null && center === 0 && scale === 1) {
        columns.push(x);
        return;
      }
      for (let r = 0; r < n; r++) {
        const v = Number.isNaN(x[r]!) && fill !== null ? fill : x[r]!;
        x[r] = (v - center) / scale;
      }
    }
    columns.push(x);
  });
  return { nRows: n, nCols: columns.length, columns, names: spec.outputNames.slice() };
}

/** Applies the pipeline to one input row (categoricals as level index) into `out`; no allocation. */
export function transformRowInto(spec: PreprocessSpec, x: ArrayLike<number>, out: Float64Array): void {
  const inputs = spec.inputs;
  let o = 0;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const v = x[i]!;
    if (input.kind === 'numeric') {
      const fill = spec.fill[i]!;
      out[o++] = ((v !== v && fill !== null ? fill : v) - spec.center[i]!) / spec.scale[i]!;
    } else if (spec.categorical === 'onehot') {
      const nl = input.levels.length;
      for (let l = 0; l < nl; l++) out[o + l] = v === l ? 1 : 0;
      o += nl;
    } else out[o++] = v;
  }
}
