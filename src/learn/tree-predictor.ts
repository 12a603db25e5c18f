/** Packing trees into the flat TreePredictor arrays, and the allocation-free tree walk. */
import type { Link, TreePredictor } from './types.js';

/** One tree during training; `value` has valueDim entries per node. */
export interface FlatTree {
  /** Raw output this tree adds to (boosting); 0 for forests. */
  output: number;
  feature: Int32Array;
  splitBin: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  defaultLeft: Uint8Array;
  value: Float64Array;
  gain: Float64Array;
}

export interface EnsembleShape {
  combine: 'sum' | 'mean';
  link: Link;
  nRaw: number;
  valueDim: number;
  base: Float64Array;
}

/** Concatenates trees into one set of node arrays (child indices rebased). */
export function buildTreePredictor(trees: FlatTree[], shape: EnsembleShape): TreePredictor {
  const total = trees.reduce((s, t) => s + t.feature.length, 0);
  const p: TreePredictor = {
    kind: 'trees',
    ...shape,
    treeRoot: new Int32Array(trees.length),
    treeOutput: new Int32Array(trees.length),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    defaultLeft: new Uint8Array(total),
    value: new Float64Array(total * shape.valueDim),
  };
  let off = 0;
  trees.forEach((t, i) => {
    p.treeRoot[i] = off;
    p.treeOutput[i] = t.output;
    p.feature.set(t.feature, off);
    p.threshold.set(t.threshold, off);
    for (let j = 0; j < t.left.length; j++) p.left[off + j] = t.left[j]! < 0 ? -1 : t.left[j]! + off;
    p.defaultLeft.set(t.defaultLeft, off);
    p.value.set(t.value, off * shape.valueDim);
    off += t.feature.length;
  });
  return p;
}

/** Adds the ensemble's raw output for row x into out (length nRaw); no allocation. */
export function treeRawInto(p: TreePredictor, x: ArrayLike<number>, out: Float64Array): void {
  const { feature, threshold, left, defaultLeft, value, treeRoot, treeOutput, valueDim } = p;
  const nTrees = treeRoot.length;
  if (p.combine === 'sum') {
    for (let k = 0; k < p.nRaw; k++) out[k] = p.base[k]!;
    for (let t = 0; t < nTrees; t++) {
      let n = treeRoot[t]!;
      let f = feature[n]!;
      while (f >= 0) {
        const v = x[f]!;
        const thr = threshold[n]!;
        n = v <= thr ? left[n]! : v > thr ? left[n]! + 1 : left[n]! + 1 - defaultLeft[n]!;
        f = feature[n]!;
      }
      out[treeOutput[t]!]! += value[n]!;
    }
    return;
  }
  out.fill(0, 0, p.nRaw);
  for (let t = 0; t < nTrees; t++) {
    let n = treeRoot[t]!;
    let f = feature[n]!;
    while (f >= 0) {
      const v = x[f]!;
      const thr = threshold[n]!;
      n = v <= thr ? left[n]! : v > thr ? left[n]! + 1 : left[n]! + 1 - defaultLeft[n]!;
      f = feature[n]!;
    }
    const o = n * valueDim;
    for (let k = 0; k < valueDim; k++) out[k]! += value[o + k]!;
  }
  const inv = 1 / Math.max(1, nTrees);
  for (let k = 0; k < p.nRaw; k++) out[k]! *= inv;
}

/**
 * Cache-friendly copy of a boosted ensemble for single-row prediction: 16 bytes per node
 * (f64 threshold or leaf value; i32 feature, -1 at a leaf; i32 left child << 1 | default-left),
 * so one cache line holds a node and often its sibling, and a step needs a single memory access.
 */
export interface PackedTrees {
  f64: Float64Array;
  i32: Int32Array;
  roots: Int32Array;
  outputs: Int32Array;
  base: Float64Array;
}

/** Packs a 'sum' ensemble with valueDim 1 (boosting); forests use treeRawInto. */
export function packTrees(p: TreePredictor): PackedTrees {
  const n = p.feature.length;
  const buf = new ArrayBuffer(n * 16);
  const f64 = new Float64Array(buf);
  const i32 = new Int32Array(buf);
  for (let i = 0; i < n; i++) {
    const f = p.feature[i]!;
    f64[2 * i] = f < 0 ? p.value[i]! : p.threshold[i]!;
    i32[4 * i + 2] = f;
    i32[4 * i + 3] = f < 0 ? 0 : (p.left[i]! << 1) | p.defaultLeft[i]!;
  }
  return { f64, i32, roots: p.treeRoot.slice(), outputs: p.treeOutput.slice(), base: p.base.slice() };
}

/** Raw boosted scores of one row from packed trees into out; no allocation. */
export function packedRawInto(t: PackedTrees, x: ArrayLike<number>, out: Float64Array): void {
  const { f64, i32, roots, outputs, base } = t;
  for (let k = 0; k < base.length; k++) out[k] = base[k]!;
  const nTrees = roots.length;
  for (let tr = 0; tr < nTrees; tr++) {
    let n = roots[tr]!;
    let f = i32[4 * n + 2]!;
    while (f >= 0) {
      const v = x[f]!;
      const thr = f64[2 * n]!;
      const ld = i32[4 * n + 3]!;
      n = v <= thr ? ld >> 1 : v > thr ? (ld >> 1) + 1 : (ld >> 1) + 1 - (ld & 1);
      f = i32[4 * n + 2]!;
    }
    out[outputs[tr]!]! += f64[2 * n]!;
  }
}
