/**
 * Grows one gradient-boosting regression tree on binned data (XGBoost-style second-order gain).
 * Histograms are (gradient, hessian) pairs, 256 bins per feature at stride 512; the smaller child
 * gets a fresh histogram and the larger one is the parent's minus it, in the parent's buffer.
 */
import { MISSING_BIN } from './binning.js';

export interface GrowParams {
  /** 0 = unlimited. */
  maxDepth: number;
  /** 0 = unlimited (depth-wise growth); otherwise best-first until this many leaves. */
  maxLeaves: number;
  minChildWeight: number;
  /**
   * Minimum rows per leaf. Split search estimates a side's rows as its hessian share of the
   * node's rows (exact for squared error, LightGBM's approximation otherwise).
   */
  minSamplesLeaf: number;
  lambda: number;
  gamma: number;
  learningRate: number;
}

/** Builds the histogram of rows[start..end) over the given features into `hist` (zeroing them first). */
export type HistBuilder = (hist: Float64Array, start: number, end: number, feats: Int32Array) => void;

export interface GrowContext {
  nFeatures: number;
  /** Value bins per feature (upper.length + 1). */
  nValueBins: Int32Array;
  /** Row indices of the tree's sample in [0, nSample); reordered so every leaf owns a range. */
  rows: Uint32Array;
  /** Interleaved (gradient, hessian) per row. */
  gh: Float64Array;
  buildHist: HistBuilder;
  /** Allocates a histogram the builder accepts (nFeatures × 512). */
  newHist: () => Float64Array;
  /** Histograms free for reuse. */
  histPool: Float64Array[];
  /** large −= small over the features (the sibling's histogram from the parent's). */
  subtract: (large: Float64Array, small: Float64Array, feats: Int32Array) => void;
  /** Stable partition of rows[start..end) by a split; returns the first right-hand index. */
  partition: (start: number, end: number, feature: number, bin: number, defaultLeft: boolean) => number;
}

export interface GrownTree {
  nNodes: number;
  feature: Int32Array;
  splitBin: Int32Array;
  left: Int32Array;
  defaultLeft: Uint8Array;
  value: Float64Array;
  gain: Float64Array;
  /** Row range [leafStart, leafEnd) in ctx.rows of each leaf node. */
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

interface Candidate {
  node: number;
  start: number;
  end: number;
  depth: number;
  /** Null when the node cannot split (no histogram was built). */
  hist: Float64Array | null;
  g: number;
  h: number;
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gl: number;
  hl: number;
}

/** Grows a tree over ctx.rows[0..nSample) using the features in `feats`. */
export function growTree(ctx: GrowContext, nSample: number, feats: Int32Array, p: GrowParams): GrownTree {
  const maxNodes = maxNodeCount(p, nSample);
  const t: GrownTree = {
    nNodes: 1,
    feature: new Int32Array(maxNodes).fill(-1),
    splitBin: new Int32Array(maxNodes),
    left: new Int32Array(maxNodes).fill(-1),
    defaultLeft: new Uint8Array(maxNodes),
    value: new Float64Array(maxNodes),
    gain: new Float64Array(maxNodes),
    leafStart: new Int32Array(maxNodes),
    leafEnd: new Int32Array(maxNodes),
  };
  const pool = ctx.histPool;
  const take = (): Float64Array => pool.pop() ?? ctx.newHist();
  let g = 0;
  let h = 0;
  for (let r = 0; r < nSample; r++) {
    g += ctx.gh[2 * ctx.rows[r]!]!;
    h += ctx.gh[2 * ctx.rows[r]! + 1]!;
  }
  const rootHist = take();
  ctx.buildHist(rootHist, 0, nSample, feats);
  const open: Candidate[] = [];
  const finishLeaf = (c: { node: number; start: number; end: number; g: number; h: number }): void => {
    t.value[c.node] = (-c.g / (c.h + p.lambda)) * p.learningRate;
    t.leafStart[c.node] = c.start;
    t.leafEnd[c.node] = c.end;
  };
  const splittable = (depth: number, h: number, rowCount: number): boolean =>
    (p.maxDepth === 0 || depth < p.maxDepth) &&
    h >= 2 * p.minChildWeight &&
    rowCount >= 2 * Math.max(1, p.minSamplesLeaf);
  const consider = (c: Candidate): void => {
    if (c.hist && splittable(c.depth, c.h, c.end - c.start)) findSplit(ctx, c, feats, p);
    if (c.gain > 0) open.push(c);
    else {
      if (c.hist) pool.push(c.hist);
      finishLeaf(c);
    }
  };
  consider(blank(0, 0, nSample, 0, rootHist, g, h));
  let leaves = 1;
  while (open.length > 0) {
    if (p.maxLeaves > 0 && leaves >= p.maxLeaves) break;
    let pick = 0;
    if (p.maxLeaves > 0) for (let i = 1; i < open.length; i++) if (open[i]!.gain > open[pick]!.gain) pick = i;
    const c = open.splice(pick, 1)[0]!;
    const mid = ctx.partition(c.start, c.end, c.feature, c.bin, c.defaultLeft);
    const l = t.nNodes;
    t.nNodes += 2;
    t.feature[c.node] = c.feature;
    t.splitBin[c.node] = c.bin;
    t.left[c.node] = l;
    t.defaultLeft[c.node] = c.defaultLeft ? 1 : 0;
    t.gain[c.node] = c.gain;
    const smallIsLeft = mid - c.start <= c.end - mid;
    const large = c.hist!;
    let small: Float64Array | null = null;
    // Children that can never split need no histogram (in depth-wise growth, the whole last level).
    if (splittable(c.depth + 1, c.hl, mid - c.start) || splittable(c.depth + 1, c.h - c.hl, c.end - mid)) {
      small = take();
      if (smallIsLeft) ctx.buildHist(small, c.start, mid, feats);
      else ctx.buildHist(small, mid, c.end, feats);
      ctx.subtract(large, small, feats);
    } else pool.push(large);
    const bigHist = small ? large : null;
    const leftC = blank(l, c.start, mid, c.depth + 1, smallIsLeft ? small : bigHist, c.gl, c.hl);
    const rightC = blank(
      l + 1,
      mid,
      c.end,
      c.depth + 1,
      smallIsLeft ? bigHist : small,
      c.g - c.gl,
      c.h - c.hl,
    );
    consider(leftC);
    consider(rightC);
    leaves++;
  }
  for (const c of open) {
    if (c.hist) pool.push(c.hist);
    finishLeaf(c);
  }
  return t;
}

function maxNodeCount(p: GrowParams, n: number): number {
  let m = 2 * Math.max(1, n) - 1;
  if (p.maxLeaves > 0) m = Math.min(m, 2 * p.maxLeaves - 1);
  if (p.maxDepth > 0 && p.maxDepth < 30) m = Math.min(m, 2 ** (p.maxDepth + 1) - 1);
  return m;
}

function blank(
  node: number,
  start: number,
  end: number,
  depth: number,
  hist: Float64Array | null,
  g: number,
  h: number,
): Candidate {
  return {
    node,
    start,
    end,
    depth,
    hist,
    g,
    h,
    gain: 0,
    feature: -1,
    bin: 0,
    defaultLeft: false,
    gl: 0,
    hl: 0,
  };
}

function findSplit(ctx: GrowContext, c: Candidate, feats: Int32Array, p: GrowParams): void {
  const { lambda, minChildWeight: mcw } = p;
  const hist = c.hist!;
  // Leaf-size floor as a hessian floor: rows ≈ hessian × (node rows / node hessian).
  const minLeafH = p.minSamplesLeaf > 1 ? (p.minSamplesLeaf * c.h) / (c.end - c.start) : 0;
  const minH = Math.max(mcw, minLeafH);
  const G = c.g;
  const H = c.h;
  const parent = (G * G) / (H + lambda);
  let best = 0;
  for (let j = 0; j < feats.length; j++) {
    const f = feats[j]!;
    const o = f << 9;
    const nb = ctx.nValueBins[f]!;
    const gm = hist[o + (MISSING_BIN << 1)]!;
    const hm = hist[o + (MISSING_BIN << 1) + 1]!;
    const hasMissing = hm > 0;
    let gl = 0;
    let hl = 0;
    const last = hasMissing ? nb : nb - 1;
    for (let b = 0; b < last; b++) {
      gl += hist[o + (b << 1)]!;
      hl += hist[o + (b << 1) + 1]!;
      let hr = H - hl;
      if (hl >= minH && hr >= minH) {
        const gr = G - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > best) {
          best = gain;
          set(c, f, b, false, gl, hl);
        }
      }
      if (hasMissing && b < nb - 1) {
        const gl2 = gl + gm;
        const hl2 = hl + hm;
        hr = H - hl2;
        if (hl2 >= minH && hr >= minH) {
          const gr = G - gl2;
          const gain = (gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parent;
          if (gain > best) {
            best = gain;
            set(c, f, b, true, gl2, hl2);
          }
        }
      }
    }
  }
  c.gain = best > 0 ? best / 2 - p.gamma : 0;
}

function set(c: Candidate, f: number, b: number, dl: boolean, gl: number, hl: number): void {
  c.feature = f;
  c.bin = b;
  c.defaultLeft = dl;
  c.gl = gl;
  c.hl = hl;
}
