/**
 * CART on binned features: Gini/entropy for classification (leaf = class distribution), squared
 * error for regression (leaf = mean). Row weights carry bootstrap counts for random forests.
 * Missing values (bin 255) go to whichever side gives the better split (scikit-learn ≥ 1.3's
 * rule); nodes that saw no missing values during training send them right.
 */
import { MISSING_BIN } from './binning.js';
import type { BinnedMatrix } from './binning.js';
import type { Rng } from './random.js';
import type { FlatTree } from './tree-predictor.js';

export interface CartParams {
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  criterion: 'gini' | 'entropy' | 'squared_error';
  /** Features tried per split. */
  maxFeatures: number;
}

export interface CartData {
  binned: BinnedMatrix;
  nValueBins: Int32Array;
  upper: Float64Array[];
  y: Float64Array;
  /** Classes (classification) or 0 for regression. */
  nClasses: number;
}

interface Node {
  id: number;
  rows: Uint32Array;
  depth: number;
}

/** Grows one tree over rows with weights w (0 = row unused); adds impurity decrease to `importance`. */
export function growCart(
  data: CartData,
  w: Float64Array,
  p: CartParams,
  rng: Rng,
  importance: Float64Array,
): FlatTree {
  const { binned, nValueBins, y, nClasses } = data;
  const { bins, nFeatures: F } = binned;
  const S = nClasses > 0 ? nClasses : 2;
  const classify = nClasses > 0;
  const feature: number[] = [];
  const splitBin: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const defaultLeft: number[] = [];
  const value: number[] = [];
  const gain: number[] = [];
  const newNode = (): number => {
    feature.push(-1);
    splitBin.push(0);
    threshold.push(0);
    left.push(-1);
    defaultLeft.push(0);
    gain.push(0);
    for (let k = 0; k < S - (classify ? 0 : 1); k++) value.push(0);
    return feature.length - 1;
  };
  const valueDim = classify ? S : 1;
  const hist = new Float64Array(256 * S);
  const total = new Float64Array(S);
  const acc = new Float64Array(S);
  const feats = Int32Array.from({ length: F }, (_, i) => i);
  const impurity = (st: Float64Array, wsum: number): number => {
    // Weighted impurity (impurity × weight), so child sums compare directly with the parent.
    if (wsum <= 0) return 0;
    if (!classify) return -(st[1]! * st[1]!) / wsum;
    let s = 0;
    if (p.criterion === 'entropy') {
      for (let k = 0; k < S; k++) if (st[k]! > 0) s -= st[k]! * Math.log2(st[k]! / wsum);
      return s;
    }
    for (let k = 0; k < S; k++) s += st[k]! * st[k]!;
    return wsum - s / wsum;
  };
  const rowsAll: number[] = [];
  for (let i = 0; i < w.length; i++) if (w[i]! > 0) rowsAll.push(i);
  const stack: Node[] = [{ id: newNode(), rows: Uint32Array.from(rowsAll), depth: 0 }];
  const right = new Float64Array(S);
  const withMissing = new Float64Array(S);
  while (stack.length > 0) {
    const node = stack.pop()!;
    const rows = node.rows;
    total.fill(0);
    let wsum = 0;
    for (const r of rows) {
      const wr = w[r]!;
      wsum += wr;
      if (classify) total[y[r]!]! += wr;
      else {
        total[0]! += wr;
        total[1]! += wr * y[r]!;
      }
    }
    const o = node.id * valueDim;
    if (classify) for (let k = 0; k < S; k++) value[o + k] = total[k]! / wsum;
    else value[o] = total[1]! / wsum;
    const parentImp = impurity(total, wsum);
    if (
      (p.maxDepth > 0 && node.depth >= p.maxDepth) ||
      wsum < p.minSamplesSplit ||
      (classify && parentImp <= 1e-12 * wsum)
    )
      continue;
    // Partial Fisher–Yates: the first maxFeatures entries of feats are this node's candidates.
    for (let i = 0; i < p.maxFeatures && i < F; i++) {
      const j = i + rng.int(F - i);
      const t = feats[i]!;
      feats[i] = feats[j]!;
      feats[j] = t;
    }
    let bestGain = 1e-12 * wsum;
    let bestF = -1;
    let bestBin = 0;
    let bestMissingLeft = false;
    for (let fi = 0; fi < Math.min(p.maxFeatures, F); fi++) {
      const f = feats[fi]!;
      hist.fill(0);
      for (const r of rows) {
        const b = bins[r * F + f]!;
        const wr = w[r]!;
        if (classify) hist[b * S + y[r]!]! += wr;
        else {
          hist[b * S]! += wr;
          hist[b * S + 1]! += wr * y[r]!;
        }
      }
      acc.fill(0);
      let wl = 0;
      const nb = nValueBins[f]!;
      const m = MISSING_BIN * S;
      const wm = classify ? sumRange(hist, m, S) : hist[m]!;
      for (let b = 0; b < nb - 1; b++) {
        for (let k = 0; k < S; k++) acc[k]! += hist[b * S + k]!;
        wl = classify ? wl + sumRange(hist, b * S, S) : acc[0]!;
        // Missing values right, then (when there are any) left.
        for (let side = 0; side < (wm > 0 ? 2 : 1); side++) {
          const left = side === 0 ? acc : withMissing;
          if (side === 1) for (let k = 0; k < S; k++) withMissing[k] = acc[k]! + hist[m + k]!;
          const wLeft = side === 0 ? wl : wl + wm;
          const wr = wsum - wLeft;
          if (wLeft < p.minSamplesLeaf || wr < p.minSamplesLeaf) continue;
          for (let k = 0; k < S; k++) right[k] = total[k]! - left[k]!;
          const g = parentImp - impurity(left, wLeft) - impurity(right, wr);
          if (g > bestGain) {
            bestGain = g;
            bestF = f;
            bestBin = b;
            bestMissingLeft = side === 1;
          }
        }
      }
    }
    if (bestF < 0) continue;
    importance[bestF]! += bestGain;
    const l = newNode();
    newNode();
    feature[node.id] = bestF;
    splitBin[node.id] = bestBin;
    threshold[node.id] = data.upper[bestF]![bestBin]!;
    left[node.id] = l;
    gain[node.id] = bestGain;
    if (bestMissingLeft) defaultLeft[node.id] = 1;
    const lr: number[] = [];
    const rr: number[] = [];
    for (const r of rows) {
      const b = bins[r * F + bestF]!;
      ((b === MISSING_BIN ? bestMissingLeft : b <= bestBin) ? lr : rr).push(r);
    }
    stack.push({ id: l + 1, rows: Uint32Array.from(rr), depth: node.depth + 1 });
    stack.push({ id: l, rows: Uint32Array.from(lr), depth: node.depth + 1 });
  }
  return {
    output: 0,
    feature: Int32Array.from(feature),
    splitBin: Int32Array.from(splitBin),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    defaultLeft: Uint8Array.from(defaultLeft),
    value: Float64Array.from(value),
    gain: Float64Array.from(gain),
  };
}

function sumRange(a: Float64Array, o: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[o + i]!;
  return s;
}
