/**
 * The two steps of growing a batch of tree nodes (a whole depth level, or one best-first split),
 * as routines both training threads run on the shared workspace memory (hist-parallel.ts):
 *
 * - partitionSplits: each split node's rows are partitioned by its split. Threads claim nodes from
 *   opposite ends of the job list, so whichever thread is late simply does fewer.
 * - expandChildren: over one range of the features, the children's histograms are built (the
 *   smaller child of each split, or the root, summed from its rows), derived (the larger child:
 *   parent minus sibling, in the parent's buffer) and scanned for each child's best split.
 *
 * A bin's sum is always the same rows added in the same order, and the split scans keep the first
 * best feature, so a model is bit-identical for one or two threads. Both routines are
 * self-contained (no outer references, literal slot numbers): the worker thread runs their
 * source. Offsets are bytes (divided, not shifted: memory may pass 2 GiB). Job layouts (one f64 / i32 index per slot):
 *
 * child job (CHILD_SLOTS f64): 0 start, 1 end, 2 histogram byte offset (−1: none), 3 sibling
 *   histogram byte offset to subtract (−1: sum the rows instead), 4 search (1/0), 5 gradient sum
 *   G, 6 hessian sum H, 7 smallest hessian a side may have.
 * child result (RESULT_SLOTS f64, one per thread): 0 best raw gain (0: none), 1 feature, 2 bin,
 *   3 missing values go left (1/0), 4 left gradient sum, 5 left hessian sum.
 * split job (SPLIT_SLOTS i32): 0 start, 1 end, 2 feature, 3 bin, 4 missing left (1/0), 5 first
 *   right-hand row (−1 while unclaimed, −2 while being partitioned).
 * leaf job (LEAF_SLOTS i32, and one f64 value each in a parallel array): 0 start, 1 end, 2 claim
 *   (−1 while unclaimed).
 */

export const CHILD_SLOTS = 8;
export const RESULT_SLOTS = 6;
export const SPLIT_SLOTS = 6;
export const LEAF_SLOTS = 3;

/** The kernels and offsets both threads share (views cover the whole memory; refresh on growth). */
export interface JobWorld {
  f64: Float64Array;
  i32: Int32Array;
  u8: Uint8Array;
  u32: Uint32Array;
  hist: (...a: number[]) => void;
  histAll: (...a: number[]) => void;
  subtract: (dst: number, src: number, bytes: number) => void;
  partition: (rows: number, col: number, lut: number, tmp: number, start: number, end: number) => number;
  binsAt: number;
  colBinsAt: number;
  rowsAt: number;
  tmpAt: number;
  featsAt: number;
  /** i32 per feature: value bins (upper bounds + 1). */
  valueBinsAt: number;
  nf: number;
  n: number;
}

/**
 * Partitions the split jobs at i32 index `at` this thread claims: from the first job up
 * (fromEnd false) or from the last down, until a job is already taken. `lutAt` is this thread's
 * 256-byte lookup table.
 */
export function partitionSplits(
  w: JobWorld,
  at: number,
  count: number,
  lutAt: number,
  fromEnd: boolean,
): void {
  const { i32, u8, u32 } = w;
  for (let c = 0; c < count; c++) {
    const o = at + (fromEnd ? count - 1 - c : c) * 6;
    if (Atomics.compareExchange(i32, o + 5, -1, -2) !== -1) return;
    const start = i32[o]!;
    const end = i32[o + 1]!;
    const bin = i32[o + 3]!;
    u8.fill(1, lutAt, lutAt + bin + 1);
    u8.fill(0, lutAt + bin + 1, lutAt + 255);
    u8[lutAt + 255] = i32[o + 4]!;
    // Right-hand rows go to tmp at the node's own offset, so threads never share scratch.
    const tmp = w.tmpAt + 4 * start;
    const mid = w.partition(w.rowsAt, w.colBinsAt + i32[o + 2]! * w.n, lutAt, tmp, start, end);
    u32.copyWithin(w.rowsAt / 4 + mid, tmp / 4, tmp / 4 + end - mid);
    i32[o + 5] = mid;
  }
}

/**
 * Adds each leaf's value to its rows' scores (column k of K) for the leaf jobs at i32 index `at`
 * (values at f64 index `valuesAt`) this thread claims, from the first up or from the last down.
 */
export function addLeafValues(
  w: JobWorld,
  at: number,
  valuesAt: number,
  count: number,
  scoresAt: number,
  K: number,
  k: number,
  fromEnd: boolean,
): void {
  const { i32, u32, f64 } = w;
  const rows = w.rowsAt / 4;
  const scores = scoresAt / 8 + k;
  for (let c = 0; c < count; c++) {
    const leaf = fromEnd ? count - 1 - c : c;
    const o = at + leaf * 3;
    if (Atomics.compareExchange(i32, o + 2, -1, 1) !== -1) return;
    const v = f64[valuesAt + leaf]!;
    const end = i32[o + 1]!;
    for (let r = i32[o]!; r < end; r++) f64[scores + u32[rows + r]! * K]! += v;
  }
}

/**
 * Builds, derives and scans the children's histograms over features feats[j0..j1) of k; writes
 * each searching child's best split to its result slot `slot` (0 or 1).
 */
export function expandChildren(
  w: JobWorld,
  jobsAt: number,
  resultsAt: number,
  count: number,
  ghAt: number,
  k: number,
  lambda: number,
  j0: number,
  j1: number,
  slot: number,
): void {
  const { f64, i32, nf } = w;
  const all = k === nf;
  const feats = w.featsAt / 4;
  // Rows summed into zeroed histograms first: the subtractions below read them.
  for (let c = 0; c < count; c++) {
    const o = jobsAt + c * 8;
    const hist = f64[o + 2]!;
    if (hist < 0 || f64[o + 3]! >= 0) continue;
    for (let j = j0; j < j1; j++) {
      const b = hist / 8 + (i32[feats + j]! << 9);
      f64.fill(0, b, b + 512);
    }
    if (all) w.histAll(hist, w.binsAt, w.rowsAt, ghAt, nf, f64[o]!, f64[o + 1]!, j0, j1);
    else w.hist(hist, w.binsAt, w.rowsAt, ghAt, nf, f64[o]!, f64[o + 1]!, w.featsAt, j0, j1);
  }
  for (let c = 0; c < count; c++) {
    const o = jobsAt + c * 8;
    const hist = f64[o + 2]!;
    const sib = f64[o + 3]!;
    if (hist < 0 || sib < 0) continue;
    if (all) w.subtract(hist + j0 * 4096, sib + j0 * 4096, (j1 - j0) * 4096);
    else
      for (let j = j0; j < j1; j++) {
        const off = i32[feats + j]! * 4096;
        w.subtract(hist + off, sib + off, 4096);
      }
  }
  for (let c = 0; c < count; c++) {
    const o = jobsAt + c * 8;
    const r = resultsAt + (c * 2 + slot) * 6;
    f64[r] = 0;
    if (f64[o + 4] !== 1) continue;
    const hb = f64[o + 2]! / 8;
    const G = f64[o + 5]!;
    const H = f64[o + 6]!;
    const minH = f64[o + 7]!;
    const parent = (G * G) / (H + lambda);
    let best = 0;
    for (let j = j0; j < j1; j++) {
      const f = i32[feats + j]!;
      const h0 = hb + (f << 9);
      const nb = i32[w.valueBinsAt / 4 + f]!;
      // The missing-value bin is the last (255): its pair sits at 510, 511.
      const gm = f64[h0 + 510]!;
      const hm = f64[h0 + 511]!;
      const hasMissing = hm > 0;
      let gl = 0;
      let hl = 0;
      const last = hasMissing ? nb : nb - 1;
      for (let b = 0; b < last; b++) {
        gl += f64[h0 + (b << 1)]!;
        hl += f64[h0 + (b << 1) + 1]!;
        // Missing values right (side 0), then left (side 1) when there are any and a right side.
        const sides = hasMissing && b < nb - 1 ? 2 : 1;
        for (let side = 0; side < sides; side++) {
          const l = side === 0 ? gl : gl + gm;
          const lh = side === 0 ? hl : hl + hm;
          const hr = H - lh;
          if (lh < minH || hr < minH) continue;
          const gr = G - l;
          const gain = (l * l) / (lh + lambda) + (gr * gr) / (hr + lambda) - parent;
          if (gain > best) {
            best = gain;
            f64[r + 1] = f;
            f64[r + 2] = b;
            f64[r + 3] = side;
            f64[r + 4] = l;
            f64[r + 5] = lh;
          }
        }
      }
    }
    f64[r] = best;
  }
}

/** Where the job routines find their data (byte offsets into the workspace memory). */
export interface JobLayout {
  binsAt: number;
  colBinsAt: number;
  rowsAt: number;
  tmpAt: number;
  featsAt: number;
  valueBinsAt: number;
  nf: number;
  n: number;
}

/**
 * The world for the job routines: `prev` while the memory has not grown since, else new views
 * (a grown shared memory keeps its old views valid but short). Self-contained, like the routines.
 */
export function jobWorld(
  prev: JobWorld | null,
  mem: { buffer: ArrayBufferLike },
  kernels: Pick<JobWorld, 'hist' | 'histAll' | 'subtract' | 'partition'>,
  at: JobLayout,
): JobWorld {
  const b = mem.buffer;
  if (prev && prev.u8.byteLength === b.byteLength) return prev;
  return {
    f64: new Float64Array(b),
    i32: new Int32Array(b),
    u8: new Uint8Array(b),
    u32: new Uint32Array(b),
    hist: kernels.hist,
    histAll: kernels.histAll,
    subtract: kernels.subtract,
    partition: kernels.partition,
    ...at,
  };
}
