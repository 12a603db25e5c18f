/**
 * Boosted trees re-laid out as complete binary trees for fast single-row prediction. Node i of a
 * tree has children 2i+1 and 2i+2, so a step is `i = 2i + 1 + (x[f] > t)`: no child pointers and
 * no data-dependent branch (a mispredicted branch per node visit cost more than the whole visit).
 * Leaves shallower than the ensemble's depth are padded with pass-through nodes (threshold +∞,
 * always left) whose leaves repeat the value. Four trees are walked in lockstep so their
 * dependent load chains overlap. Rows with a missing value take a slower exact path.
 */
import type { TreePredictor } from './types.js';

/** Above this depth padding to a complete tree costs too much memory; callers fall back. */
export const IMPLICIT_MAX_DEPTH = 10;

export interface ImplicitTrees {
  depth: number;
  /** Internal nodes per tree (2^depth - 1). */
  nInternal: number;
  feature: Int32Array;
  threshold: Float64Array;
  /** 1 when a missing value goes right. */
  defaultRight: Uint8Array;
  /** 2^depth leaf values per tree. */
  leaf: Float64Array;
  outputs: Int32Array;
  base: Float64Array;
  /** 1 + the highest feature index any split reads (the NaN scan covers x[0..nUsed)). */
  nUsed: number;
}

/** Lays out a 'sum' ensemble with valueDim 1, or returns null when a tree is too deep. */
export function buildImplicitTrees(p: TreePredictor): ImplicitTrees | null {
  const nTrees = p.treeRoot.length;
  const depthOf = (n: number): number =>
    p.feature[n]! < 0 ? 0 : 1 + Math.max(depthOf(p.left[n]!), depthOf(p.left[n]! + 1));
  let depth = 0;
  for (let t = 0; t < nTrees && depth <= IMPLICIT_MAX_DEPTH; t++)
    depth = Math.max(depth, depthOf(p.treeRoot[t]!));
  if (depth > IMPLICIT_MAX_DEPTH) return null;
  const nInternal = (1 << depth) - 1;
  const nLeaves = 1 << depth;
  const r: ImplicitTrees = {
    depth,
    nInternal,
    feature: new Int32Array(nTrees * nInternal),
    threshold: new Float64Array(nTrees * nInternal),
    defaultRight: new Uint8Array(nTrees * nInternal),
    leaf: new Float64Array(nTrees * nLeaves),
    outputs: p.treeOutput.slice(),
    base: p.base.slice(),
    nUsed: 0,
  };
  const place = (t: number, n: number, i: number, d: number): void => {
    if (d === depth) {
      r.leaf[t * nLeaves + i - nInternal] = p.value[n]!;
      return;
    }
    const f = p.feature[n]!;
    const at = t * nInternal + i;
    if (f < 0) {
      r.threshold[at] = Infinity;
      place(t, n, 2 * i + 1, d + 1);
      place(t, n, 2 * i + 2, d + 1);
      return;
    }
    r.feature[at] = f;
    r.threshold[at] = p.threshold[n]!;
    r.defaultRight[at] = 1 - p.defaultLeft[n]!;
    r.nUsed = Math.max(r.nUsed, f + 1);
    place(t, p.left[n]!, 2 * i + 1, d + 1);
    place(t, p.left[n]! + 1, 2 * i + 2, d + 1);
  };
  for (let t = 0; t < nTrees; t++) place(t, p.treeRoot[t]!, 0, 0);
  return r;
}

/** Raw boosted scores of one row into out (length nRaw); no allocation. */
export function implicitRawInto(m: ImplicitTrees, x: ArrayLike<number>, out: Float64Array): void {
  const { feature: fe, threshold: th, leaf, outputs, base, depth: D, nInternal: NI } = m;
  for (let k = 0; k < base.length; k++) out[k] = base[k]!;
  for (let j = 0; j < m.nUsed; j++) {
    const v = x[j]!;
    if (v !== v) {
      missingRawInto(m, x, out);
      return;
    }
  }
  const nTrees = outputs.length;
  const NL = NI + 1;
  let t = 0;
  for (; t + 4 <= nTrees; t += 4) {
    const o0 = t * NI;
    const o1 = o0 + NI;
    const o2 = o1 + NI;
    const o3 = o2 + NI;
    let i0 = 0;
    let i1 = 0;
    let i2 = 0;
    let i3 = 0;
    for (let d = 0; d < D; d++) {
      const b0 = +(x[fe[o0 + i0]!]! > th[o0 + i0]!);
      const b1 = +(x[fe[o1 + i1]!]! > th[o1 + i1]!);
      const b2 = +(x[fe[o2 + i2]!]! > th[o2 + i2]!);
      const b3 = +(x[fe[o3 + i3]!]! > th[o3 + i3]!);
      i0 = 2 * i0 + 1 + b0;
      i1 = 2 * i1 + 1 + b1;
      i2 = 2 * i2 + 1 + b2;
      i3 = 2 * i3 + 1 + b3;
    }
    const l = t * NL - NI;
    out[outputs[t]!]! += leaf[l + i0]!;
    out[outputs[t + 1]!]! += leaf[l + NL + i1]!;
    out[outputs[t + 2]!]! += leaf[l + 2 * NL + i2]!;
    out[outputs[t + 3]!]! += leaf[l + 3 * NL + i3]!;
  }
  for (; t < nTrees; t++) {
    const o = t * NI;
    let i = 0;
    for (let d = 0; d < D; d++) i = 2 * i + 1 + +(x[fe[o + i]!]! > th[o + i]!);
    out[outputs[t]!]! += leaf[t * NL - NI + i]!;
  }
}

/** The exact walk for rows with a missing value: NaN follows each node's learned direction. */
function missingRawInto(m: ImplicitTrees, x: ArrayLike<number>, out: Float64Array): void {
  const { feature: fe, threshold: th, defaultRight: dr, leaf, outputs, depth: D, nInternal: NI } = m;
  for (let t = 0; t < outputs.length; t++) {
    const o = t * NI;
    let i = 0;
    for (let d = 0; d < D; d++) {
      const v = x[fe[o + i]!]!;
      i = 2 * i + 1 + (v !== v ? dr[o + i]! : +(v > th[o + i]!));
    }
    out[outputs[t]!]! += leaf[t * (NI + 1) - NI + i]!;
  }
}
