/**
 * Histogram workspace for GBDT training: the bin codes, row indices, gradients and histograms
 * live in one shared WebAssembly memory so the kernels (hist-wasm.ts: histogram sums, row
 * partitioning, subtraction) read them directly and an optional worker thread shares them.
 *
 * With a worker, each step of growing a tree (hist-jobs.ts: partition a batch of split nodes,
 * then build and scan their children's histograms) is shared when it is big enough: partitions by
 * node, histograms and split scans by halves of the features. Gradients and binning are shared
 * by rows and features. Results are bit-identical for any thread count. Synchronisation is Atomics
 * on shared memory (no event loop), so training stays synchronous, one hand-off per step. The
 * worker is plain JS evaluated from a string.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import { histKernelModule, instantiateKernels, MAX_PAGES } from './hist-wasm.js';
import { wasm } from './wasm-asm.js';
import { binColumn, MISSING_BIN, rowMajorCodes, valueBinCount } from './binning.js';
import { computeGradients } from './gbdt-objective.js';
import type { Task } from './types.js';
import type { GrowContext, GrownTree } from './hist-tree.js';
import {
  addLeafValues,
  CHILD_SLOTS,
  expandChildren,
  LEAF_SLOTS,
  jobWorld,
  partitionSplits,
  RESULT_SLOTS,
  SPLIT_SLOTS,
} from './hist-jobs.js';
import type { JobLayout, JobWorld } from './hist-jobs.js';
import {
  A_COUNT,
  A_JOBS,
  A_K,
  A_RESULTS,
  OP_ADD_LEAVES,
  END,
  J0,
  OP_BIN,
  OP_EXPAND,
  OP_GRADIENTS,
  OP_PARTITION,
  START,
  startHistWorker,
  TASK,
  TASKS,
  VALUE_BINS,
} from './hist-worker.js';
import type { HistWorker } from './hist-worker.js';

/** Gradients and binning are shared from this many rows. */
export const PARALLEL_MIN_ROWS = 8192;
/**
 * A tree step is shared from this much work, in row × feature units (a child scanned for a split
 * counts as 512 rows): below it the hand-off costs more than the worker saves.
 */
const PARALLEL_MIN_WORK = 65_536;
/** A batch of partitions is shared from this many rows (and two nodes). */
const PARALLEL_MIN_PARTITION_ROWS = 32_768;

/** Bytes per feature histogram: 256 bins × (gradient, hessian) f64 pairs. */
const FEATURE_BYTES = 4096;
const PAGE = 65536;

export interface HistWorkspace {
  /**
   * Quantile-bins the training columns (nFeatures columns of nRows values) into bins and colBins
   * (the worker, if any, bins the second half of the features); returns each feature's bounds.
   * Same codes and bounds as fitAndBin.
   */
  binFeatures(columns: Float64Array[], maxBins: number): Float64Array[];
  /** Row-major nRows × nFeatures bin codes (filled by binFeatures). */
  bins: Uint8Array;
  /** The same codes feature-major (nFeatures × nRows), read by partition (filled by binFeatures). */
  colBins: Uint8Array;
  /** Row indices of the current tree's sample. */
  rows: Uint32Array;
  /** nClasses × nRows interleaved (gradient, hessian) pairs, class k at offset 2k·nRows. */
  gh: Float64Array;
  /** Training targets (fill before training). */
  y: Float64Array;
  /** nRows × nClasses raw scores, row-major. */
  scores: Float64Array;
  /** Fills gh from y and scores (the worker, if any, computes the second half of the rows). */
  gradients(task: Task): void;
  /** A new (uninitialised) nFeatures × 512 histogram in the workspace memory. */
  newHist(): Float64Array;
  /**
   * The tree-growing steps for class k's gradients (GrowContext's partition and expand). Call
   * binFeatures first: the split scan reads each feature's value-bin count it recorded.
   */
  grower(k: number): Pick<GrowContext, 'partition' | 'expand'>;
  /** Adds each leaf's value to score column k of the rows it owns (their ranges in `rows`). */
  addLeaves(tree: GrownTree, k: number): void;
  /** Releases the worker thread (kept for the next workspace, or stopped); see HistWorker.close. */
  close(): Promise<void>;
}

/** Allocates the workspace and, for threads > 1, starts the histogram worker. */
export function createHistWorkspace(
  nRows: number,
  nFeatures: number,
  nClasses: number,
  threads: number,
): HistWorkspace {
  const n = nRows;
  const nf = nFeatures;
  const mem = new wasm.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  let top = 16;
  const alloc = (bytes: number): number => {
    const at = top;
    top += Math.ceil(bytes / 16) * 16;
    const missing = top - mem.buffer.byteLength;
    if (missing > 0) mem.grow(Math.ceil(missing / PAGE));
    return at;
  };
  const binsAt = alloc(n * nf);
  const rowsAt = alloc(n * 4);
  const ghAt = alloc(nClasses * n * 16);
  const featsAt = alloc(Math.max(1, nf) * 4);
  const colBinsAt = alloc(n * nf);
  const tmpAt = alloc(n * 4);
  /** One 256-byte partition lookup table per thread. */
  const lutAt = alloc(512);
  const valueBinsAt = alloc(Math.max(1, nf) * 4);
  const yAt = alloc(n * 8);
  const scoresAt = alloc(n * nClasses * 8);
  // Views are taken after the allocations above; later growth never detaches a shared buffer.
  const buf = mem.buffer;
  const bins = new Uint8Array(buf, binsAt, n * nf);
  const rows = new Uint32Array(buf, rowsAt, n);
  const gh = new Float64Array(buf, ghAt, 2 * nClasses * n);
  const feats = new Int32Array(buf, featsAt, Math.max(1, nf));
  const colBins = new Uint8Array(buf, colBinsAt, n * nf);
  const valueBinCounts = new Int32Array(buf, valueBinsAt, Math.max(1, nf));
  const y = new Float64Array(buf, yAt, n);
  const scores = new Float64Array(buf, scoresAt, n * nClasses);
  const ghs = Array.from({ length: nClasses }, (_, k) => gh.subarray(2 * k * n, 2 * (k + 1) * n));
  const kernels = instantiateKernels(histKernelModule(), mem);
  const layout: JobLayout = { binsAt, colBinsAt, rowsAt, tmpAt, featsAt, valueBinsAt, nf, n };
  let world: JobWorld | null = null;
  /** Per feature, 1 once a thread has taken it for binning. */
  const claims = new Int32Array(new SharedArrayBuffer(Math.max(1, nf) * 4));
  const worker: HistWorker | null =
    threads > 1
      ? startHistWorker({
          module: histKernelModule(),
          mem,
          layout,
          lutAt,
          ghAt,
          yAt,
          scoresAt,
          n,
          K: nClasses,
          claims,
        })
      : null;
  // Sharing pays only while the worker answers promptly. On a busy machine it may be descheduled
  // and answer late, and a shared step then costs more than doing it alone: each shared step is
  // timed, and when this thread waited longer for the worker than its own part took, the next
  // steps run alone (1, 2, 4 … up to 256 steps as it recurs) before sharing is tried again.
  let aloneFor = 0;
  let backoff = 1;
  const sharing = (): boolean => {
    if (aloneFor === 0) return true;
    aloneFor--;
    return false;
  };
  /** Runs `own` (this thread's part) while the worker does the job just posted, then judges. */
  const share = (own: () => void): void => {
    const t0 = performance.now();
    own();
    const t1 = performance.now();
    worker!.wait();
    if (performance.now() - t1 > t1 - t0) {
      aloneFor = backoff;
      backoff = Math.min(256, 2 * backoff);
    } else backoff = 1;
  };
  // Job tables for up to `cap` nodes per step, reallocated larger when a step needs more.
  let cap = 0;
  let jobsAt = 0;
  let resultsAt = 0;
  let splitsAt = 0;
  let leavesAt = 0;
  let leafValuesAt = 0;
  const reserve = (count: number): JobWorld => {
    if (count > cap) {
      cap = Math.max(64, 2 * count);
      jobsAt = alloc(cap * CHILD_SLOTS * 8);
      resultsAt = alloc(cap * 2 * RESULT_SLOTS * 8);
      splitsAt = alloc(cap * SPLIT_SLOTS * 4);
      leavesAt = alloc(cap * LEAF_SLOTS * 4);
      leafValuesAt = alloc(cap * 8);
    }
    world = jobWorld(world, mem, kernels, layout);
    return world;
  };
  const addLeaves = (t: GrownTree, k: number): void => {
    let count = 0;
    for (let i = 0; i < t.nNodes; i++) if (t.feature[i]! < 0) count++;
    const w = reserve(count);
    const at = leavesAt / 4;
    const values = leafValuesAt / 8;
    let c = 0;
    for (let i = 0; i < t.nNodes; i++) {
      if (t.feature[i]! >= 0) continue;
      w.i32.set([t.leafStart[i]!, t.leafEnd[i]!, -1], at + c * LEAF_SLOTS);
      w.f64[values + c] = t.value[i]!;
      c++;
    }
    if (worker && count > 1 && n >= PARALLEL_MIN_PARTITION_ROWS && sharing()) {
      worker.args[A_JOBS] = at;
      worker.args[A_RESULTS] = values;
      worker.args[A_COUNT] = count;
      worker.args[A_K] = k;
      worker.post(OP_ADD_LEAVES);
      share(() => addLeafValues(w, at, values, count, scoresAt, nClasses, k, false));
    } else addLeafValues(w, at, values, count, scoresAt, nClasses, k, false);
  };
  const grower = (cls: number): Pick<GrowContext, 'partition' | 'expand'> => ({
    partition(nodes) {
      const w = reserve(nodes.length);
      const at = splitsAt / 4;
      let total = 0;
      for (let i = 0; i < nodes.length; i++) {
        const c = nodes[i]!;
        const o = at + i * SPLIT_SLOTS;
        w.i32.set([c.start, c.end, c.feature, c.bin, c.defaultLeft ? 1 : 0, -1], o);
        total += c.end - c.start;
      }
      if (worker && nodes.length > 1 && total >= PARALLEL_MIN_PARTITION_ROWS && sharing()) {
        worker.args[A_JOBS] = at;
        worker.args[A_COUNT] = nodes.length;
        worker.post(OP_PARTITION);
        share(() => partitionSplits(w, at, nodes.length, lutAt, false));
      } else partitionSplits(w, at, nodes.length, lutAt, false);
      const mids = new Int32Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) mids[i] = w.i32[at + i * SPLIT_SLOTS + 5]!;
      return mids;
    },
    expand(nodes, fs, lambda) {
      const w = reserve(nodes.length);
      const k = fs.length;
      feats.set(fs);
      const jobs = jobsAt / 8;
      const results = resultsAt / 8;
      let work = 0;
      for (let i = 0; i < nodes.length; i++) {
        const c = nodes[i]!;
        const build = c.hist !== null && c.sibling === null;
        w.f64.set(
          [
            c.start,
            c.end,
            c.hist ? c.hist.byteOffset : -1,
            c.sibling ? c.sibling.byteOffset : -1,
            c.search ? 1 : 0,
            c.g,
            c.h,
            c.minH,
          ],
          jobs + i * CHILD_SLOTS,
        );
        work += k * ((build ? c.end - c.start : 0) + (c.search ? 512 : 0));
      }
      const gh = ghAt + cls * 16 * n;
      const shared = worker !== null && work >= PARALLEL_MIN_WORK && k > 1 && sharing();
      const half = shared ? k >>> 1 : k;
      // Argument order: the A_* slots.
      const own = () => expandChildren(w, jobs, results, nodes.length, gh, k, lambda, 0, half, 0);
      if (shared) {
        worker.args.set([jobs, results, nodes.length, gh, k, lambda, half, k]);
        worker.post(OP_EXPAND);
        share(own);
      } else own();
      for (let i = 0; i < nodes.length; i++) {
        const c = nodes[i]!;
        if (!c.search) continue;
        // The second half's features come later in feats: its split wins only when strictly better.
        let r = results + i * 2 * RESULT_SLOTS;
        if (shared && w.f64[r + RESULT_SLOTS]! > w.f64[r]!) r += RESULT_SLOTS;
        c.gain = w.f64[r]!;
        if (c.gain <= 0) continue;
        c.feature = w.f64[r + 1]!;
        c.bin = w.f64[r + 2]!;
        c.defaultLeft = w.f64[r + 3] === 1;
        c.gl = w.f64[r + 4]!;
        c.hl = w.f64[r + 5]!;
      }
    },
  });
  const binFeatures = (columns: Float64Array[], maxBins: number): Float64Array[] => {
    const valueBins = valueBinCount(maxBins);
    colBins.fill(MISSING_BIN);
    const scratch = { idx: new Uint32Array(n), vals: new Float64Array(n) };
    const upper: Float64Array[] = [];
    // The worker may take features from the second half, last first; this thread takes them from
    // the first on, so whichever thread is late (cold start, load) simply bins fewer.
    const shareFrom = worker && n >= PARALLEL_MIN_ROWS ? nf >>> 1 : nf;
    if (worker && shareFrom < nf) {
      claims.fill(0);
      const shared = new Float64Array(new SharedArrayBuffer((nf - shareFrom) * n * 8));
      for (let f = shareFrom; f < nf; f++) shared.set(columns[f]!, (f - shareFrom) * n);
      const views = Array.from({ length: nf - shareFrom }, (_, i) => shared.subarray(i * n, (i + 1) * n));
      // Shared memory is posted without a structured-clone copy.
      worker.port.postMessage(views);
      worker.ctrl[J0] = shareFrom;
      worker.ctrl[VALUE_BINS] = valueBins;
      worker.post(OP_BIN);
      for (let f = 0; f < nf && Atomics.compareExchange(claims, f, 0, 1) === 0; f++) {
        upper[f] = binColumn(columns[f]!, valueBins, colBins, 1, f * n, scratch);
        rowMajorCodes(colBins, bins, f, n, nf);
      }
      worker.wait();
      const theirs = receiveMessageOnPort(worker.port);
      if (!theirs) throw new Error('gbdt worker returned no bin bounds');
      for (const [f, u] of theirs.message as [number, Float64Array][]) upper[f] = u;
    } else
      for (let f = 0; f < nf; f++) {
        upper[f] = binColumn(columns[f]!, valueBins, colBins, 1, f * n, scratch);
        rowMajorCodes(colBins, bins, f, n, nf);
      }
    for (let f = 0; f < nf; f++) valueBinCounts[f] = upper[f]!.length + 1;
    return upper;
  };
  return {
    binFeatures,
    bins,
    colBins,
    rows,
    gh,
    y,
    scores,
    gradients: (task) => {
      const target = { task };
      // Binary log-loss (one score per row) runs in the wasm kernel: bit-identical to
      // computeGradients for s ≥ −708 (hist-wasm.ts binaryGradients).
      const rowsOf = (start: number, end: number): void => {
        if (task === 'binary' && nClasses === 1) kernels.binaryGradients(yAt, scoresAt, ghAt, start, end);
        else computeGradients(target, y, scores, nClasses, ghs, start, end);
      };
      if (!worker || n < PARALLEL_MIN_ROWS || !sharing()) {
        rowsOf(0, n);
        return;
      }
      const mid = n >>> 1;
      worker.ctrl[START] = mid;
      worker.ctrl[END] = n;
      worker.ctrl[TASK] = TASKS.indexOf(task);
      worker.post(OP_GRADIENTS);
      share(() => rowsOf(0, mid));
    },
    newHist: () => {
      const at = alloc(nf * FEATURE_BYTES);
      return new Float64Array(mem.buffer, at, nf * 512);
    },
    grower,
    addLeaves,
    close: () => worker?.close() ?? Promise.resolve(),
  };
}
