/**
 * Grows one gradient-boosting regression tree on binned data (XGBoost-style second-order gain).
 * Histograms are (gradient, hessian) pairs, 256 bins per feature at stride 512; the smaller child
 * gets a fresh histogram and the larger one is the parent's minus it, in the parent's buffer.
 */
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

/** A node being grown: its rows, histogram and (once scanned) best split. */
export interface TreeNode {
  node: number;
  start: number;
  end: number;
  depth: number;
  /** Null when the node cannot split and its parent's children need no histograms. */
  hist: Float64Array | null;
  /** Set for the larger child: its histogram is `hist` (the parent's buffer) minus this one. */
  sibling: Float64Array | null;
  /** Whether to scan this node for a split (it has a histogram and may split). */
  search: boolean;
  g: number;
  h: number;
  /** Smallest hessian either side of a split may have (min_child_weight, min_samples_leaf). */
  minH: number;
  /** After the scan: the best split's gain (0: none), feature, bin and left sums. */
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gl: number;
  hl: number;
}

export interface GrowContext {
  /** Row indices of the tree's sample in [0, nSample); reordered so every leaf owns a range. */
  rows: Uint32Array;
  /** Interleaved (gradient, hessian) per row. */
  gh: Float64Array;
  /** Allocates a histogram (nFeatures × 512). */
  newHist: () => Float64Array;
  /** Histograms free for reuse. */
  histPool: Float64Array[];
  /**
   * Stable partition of each node's rows by its split (bin <= bin goes left, missing values by
   * defaultLeft); returns each node's first right-hand row index.
   */
  partition(nodes: TreeNode[]): Int32Array;
  /**
   * Builds the nodes' histograms (from their rows, or hist − sibling) over `feats` and, for nodes
   * with `search`, sets the raw best gain (G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), 0: no split),
   * feature, bin, defaultLeft and left sums; the first feature (in feats order) wins ties.
   */
  expand(nodes: TreeNode[], feats: Int32Array, lambda: number): void;
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

/**
 * Grows a tree over ctx.rows[0..nSample) using the features in `feats`. Depth-wise growth expands
 * a whole level per step; best-first (maxLeaves) the one node with the largest gain. Nodes are
 * numbered in the order they are split, children left then right.
 */
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
  const splittable = (depth: number, h: number, rowCount: number): boolean =>
    (p.maxDepth === 0 || depth < p.maxDepth) &&
    h >= 2 * p.minChildWeight &&
    rowCount >= 2 * Math.max(1, p.minSamplesLeaf);
  const node = (
    id: number,
    start: number,
    end: number,
    depth: number,
    hist: Float64Array | null,
    sibling: Float64Array | null,
    g: number,
    h: number,
  ): TreeNode => ({
    node: id,
    start,
    end,
    depth,
    hist,
    sibling,
    search: hist !== null && splittable(depth, h, end - start),
    g,
    h,
    // Leaf-size floor as a hessian floor: rows ≈ hessian × (node rows / node hessian).
    minH: Math.max(p.minChildWeight, p.minSamplesLeaf > 1 ? (p.minSamplesLeaf * h) / (end - start) : 0),
    gain: 0,
    feature: -1,
    bin: 0,
    defaultLeft: false,
    gl: 0,
    hl: 0,
  });
  const open: TreeNode[] = [];
  const finishLeaf = (c: TreeNode): void => {
    if (c.hist) pool.push(c.hist);
    t.value[c.node] = (-c.g / (c.h + p.lambda)) * p.learningRate;
    t.leafStart[c.node] = c.start;
    t.leafEnd[c.node] = c.end;
  };
  /** Scans the nodes; those worth splitting stay open, the others become leaves. */
  const settle = (nodes: TreeNode[]): void => {
    ctx.expand(nodes, feats, p.lambda);
    for (const c of nodes) {
      c.gain = c.search && c.gain > 0 ? c.gain / 2 - p.gamma : 0;
      if (c.gain > 0) open.push(c);
      else finishLeaf(c);
    }
  };
  settle([node(0, 0, nSample, 0, take(), null, g, h)]);
  let leaves = 1;
  while (open.length > 0) {
    let batch: TreeNode[];
    if (p.maxLeaves > 0) {
      if (leaves >= p.maxLeaves) break;
      let pick = 0;
      for (let i = 1; i < open.length; i++) if (open[i]!.gain > open[pick]!.gain) pick = i;
      batch = open.splice(pick, 1);
    } else batch = open.splice(0);
    const mids = ctx.partition(batch);
    const children: TreeNode[] = [];
    for (let i = 0; i < batch.length; i++) {
      const c = batch[i]!;
      const mid = mids[i]!;
      const l = t.nNodes;
      t.nNodes += 2;
      t.feature[c.node] = c.feature;
      t.splitBin[c.node] = c.bin;
      t.left[c.node] = l;
      t.defaultLeft[c.node] = c.defaultLeft ? 1 : 0;
      t.gain[c.node] = c.gain;
      const d = c.depth + 1;
      // The smaller child gets a fresh histogram, the larger one the parent's minus it; children
      // that can never split need none (in depth-wise growth, the whole last level).
      let small: Float64Array | null = null;
      let large: Float64Array | null = null;
      if (splittable(d, c.hl, mid - c.start) || splittable(d, c.h - c.hl, c.end - mid)) {
        small = take();
        large = c.hist;
      } else pool.push(c.hist!);
      const smallIsLeft = mid - c.start <= c.end - mid;
      const [lh, ls, rh, rs] = smallIsLeft ? [small, null, large, small] : [large, small, small, null];
      children.push(
        node(l, c.start, mid, d, lh, ls, c.gl, c.hl),
        node(l + 1, mid, c.end, d, rh, rs, c.g - c.gl, c.h - c.hl),
      );
      leaves++;
    }
    settle(children);
  }
  for (const c of open) finishLeaf(c);
  return t;
}

function maxNodeCount(p: GrowParams, n: number): number {
  let m = 2 * Math.max(1, n) - 1;
  if (p.maxLeaves > 0) m = Math.min(m, 2 * p.maxLeaves - 1);
  if (p.maxDepth > 0 && p.maxDepth < 30) m = Math.min(m, 2 ** (p.maxDepth + 1) - 1);
  return m;
}
