/**
 * Histogram workspace for GBDT training: the bin codes, row indices, gradients and histograms
 * live in one shared WebAssembly memory so the kernels (hist-wasm.ts: histogram sums and row
 * partitioning) read them directly and an optional worker thread shares them.
 *
 * With a worker, a node with at least PARALLEL_MIN_ROWS rows is split by features: the main
 * thread sums the first half of the features, the worker the second half into a partner buffer
 * that is then copied over. Each bin is the same sum in the same row order as on one thread, so
 * results are bit-identical for any thread count. Synchronisation is Atomics on shared memory (no
 * event loop), so training stays synchronous. The worker is plain JS evaluated from a string.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { histKernelModule, instantiateKernels, MAX_PAGES, wasm } from './hist-wasm.js';
import { binColumn, columnBounds, midpoint, MISSING_BIN, valueBinCount } from './binning.js';
import { sortedOrder } from './radix-sort.js';
import { computeGradients } from './gbdt-objective.js';
import type { Task } from './types.js';
import type { HistBuilder } from './hist-tree.js';

export const PARALLEL_MIN_ROWS = 8192;

/**
 * Polls of a shared control slot before a thread sleeps in Atomics.wait: on this kind of VM a
 * futex wake-up can cost about as much as a node's histogram, so both threads spin briefly first.
 */
const SPINS = 100_000;

/** Bytes per feature histogram: 256 bins × (gradient, hessian) f64 pairs. */
const FEATURE_BYTES = 4096;
const PAGE = 65536;

/** Control slots in the shared Int32Array. */
const SEQ = 0;
const DONE = 1;
const START = 2;
const END = 3;
const CLASS = 4;
const J0 = 5;
const J1 = 6;
const ALL = 7;
const EXIT = 8;
/**
 * What the worker does: OP_HIST, OP_GRADIENTS (rows [START, END) with task TASK) or OP_BIN
 * (features from J0 of the columns on the port, VALUE_BINS value bins).
 */
const OP = 9;
const TASK = 10;
const VALUE_BINS = 11;
/** Set by the worker when a job threw; it then posts { failure } on the port and exits. */
const FAILED = 12;
const OP_HIST = 0;
const OP_GRADIENTS = 1;
const OP_BIN = 2;
const TASKS: Task[] = ['binary', 'multiclass', 'regression'];

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { ctrl, module, mem, binsAt, rowsAt, ghAt, partnerAt, featsAt, colBinsAt, yAt, scoresAt, nf, n, K, port, claims } = workerData;
const computeGradients = ${computeGradients.toString()};
${sortedOrder.toString()}
${midpoint.toString()}
${columnBounds.toString()}
${binColumn.toString()}
const tasks = ${JSON.stringify(TASKS)};
const y = new Float64Array(mem.buffer, yAt, n);
const scores = new Float64Array(mem.buffer, scoresAt, n * K);
const ghs = Array.from({ length: K }, (_, k) => new Float64Array(mem.buffer, ghAt + k * 16 * n, 2 * n));
const { hist, histAll } = new WebAssembly.Instance(module, { env: { mem } }).exports;
const f64 = new Float64Array(mem.buffer);
const feats = new Int32Array(mem.buffer, featsAt, nf);
let seen = 0;
for (;;) {
  for (let i = 0; i < ${SPINS} && Atomics.load(ctrl, ${SEQ}) === seen; i++);
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (ctrl[${EXIT}] === 1) break;
  try {
    if (ctrl[${OP}] === ${OP_GRADIENTS}) {
      computeGradients({ task: tasks[ctrl[${TASK}]] }, y, scores, K, ghs, ctrl[${START}], ctrl[${END}]);
    } else if (ctrl[${OP}] === ${OP_BIN}) {
      // Features j0.. of the columns on the port, claimed from the last one down until one is taken.
      const cols = receiveMessageOnPort(port).message;
      const colBins = new Uint8Array(mem.buffer, colBinsAt, n * nf);
      const scratch = { idx: new Uint32Array(n), vals: new Float64Array(n) };
      const j0 = ctrl[${J0}];
      const done = [];
      for (let f = nf - 1; f >= j0 && Atomics.compareExchange(claims, f, 0, 1) === 0; f--) {
        done.push([f, ${binColumn.name}(cols[f - j0], ctrl[${VALUE_BINS}], colBins, 1, f * n, scratch)]);
      }
      port.postMessage(done);
    } else {
      const j0 = ctrl[${J0}];
      const j1 = ctrl[${J1}];
      for (let j = j0; j < j1; j++) {
        const o = (partnerAt >> 3) + (feats[j] << 9);
        f64.fill(0, o, o + 512);
      }
      const gh = ghAt + ctrl[${CLASS}] * 16 * n;
      if (ctrl[${ALL}] === 1) histAll(partnerAt, binsAt, rowsAt, gh, nf, ctrl[${START}], ctrl[${END}], j0, j1);
      else hist(partnerAt, binsAt, rowsAt, gh, nf, ctrl[${START}], ctrl[${END}], featsAt, j0, j1);
    }
  } catch (e) {
    // The main thread waits synchronously for DONE: report the failure instead of never answering.
    ctrl[${FAILED}] = 1;
    port.postMessage({ failure: String((e && e.stack) || e) });
    Atomics.store(ctrl, ${DONE}, seen);
    Atomics.notify(ctrl, ${DONE});
    break;
  }
  Atomics.store(ctrl, ${DONE}, seen);
  Atomics.notify(ctrl, ${DONE});
}
`;

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
  /**
   * Stable partition of rows[start..end) by "bin <= bin" on a feature (missing: defaultLeft);
   * returns the first right-hand index.
   */
  partition(start: number, end: number, feature: number, bin: number, defaultLeft: boolean): number;
  /** Training targets (fill before training). */
  y: Float64Array;
  /** nRows × nClasses raw scores, row-major. */
  scores: Float64Array;
  /** Fills gh from y and scores (the worker, if any, computes the second half of the rows). */
  gradients(task: Task): void;
  /** large −= small over the given features (both from newHist). */
  subtract(large: Float64Array, small: Float64Array, feats: Int32Array): void;
  /** A new (uninitialised) nFeatures × 512 histogram in the workspace memory. */
  newHist(): Float64Array;
  /** One histogram builder per class; hist must come from newHist. */
  forClass(k: number): HistBuilder;
  /** Stops the worker; the promise settles when its thread has exited. */
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
  const partnerAt = alloc(nf * FEATURE_BYTES);
  const colBinsAt = alloc(n * nf);
  const tmpAt = alloc(n * 4);
  const lutAt = alloc(256);
  const yAt = alloc(n * 8);
  const scoresAt = alloc(n * nClasses * 8);
  // Views are taken after the allocations above; later growth never detaches a shared buffer.
  const buf = mem.buffer;
  const bins = new Uint8Array(buf, binsAt, n * nf);
  const rows = new Uint32Array(buf, rowsAt, n);
  const gh = new Float64Array(buf, ghAt, 2 * nClasses * n);
  const feats = new Int32Array(buf, featsAt, Math.max(1, nf));
  const partner = new Float64Array(buf, partnerAt, nf * 512);
  const colBins = new Uint8Array(buf, colBinsAt, n * nf);
  const tmp = new Uint32Array(buf, tmpAt, n);
  const lut = new Uint8Array(buf, lutAt, 256);
  const y = new Float64Array(buf, yAt, n);
  const scores = new Float64Array(buf, scoresAt, n * nClasses);
  const ghs = Array.from({ length: nClasses }, (_, k) => gh.subarray(2 * k * n, 2 * (k + 1) * n));
  const {
    hist: kernel,
    histAll,
    partition: partitionKernel,
    subtract,
  } = instantiateKernels(histKernelModule(), mem);
  const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
  /** Per feature, 1 once a thread has taken it for binning. */
  const claims = new Int32Array(new SharedArrayBuffer(Math.max(1, nf) * 4));
  let worker: Worker | undefined;
  let exited = Promise.resolve();
  const { port1: port, port2: workerPort } = new MessageChannel();
  port.unref();
  if (threads > 1) {
    worker = new Worker(WORKER_SOURCE, {
      transferList: [workerPort],
      eval: true,
      workerData: {
        ctrl,
        module: histKernelModule(),
        mem,
        binsAt,
        rowsAt,
        ghAt,
        partnerAt,
        featsAt,
        colBinsAt,
        yAt,
        scoresAt,
        nf,
        n,
        K: nClasses,
        port: workerPort,
        claims,
      },
    });
    worker.unref();
    const w = worker;
    exited = new Promise((resolve) => w.once('exit', () => resolve()));
  }
  const zero = (hist: Float64Array, j0: number, j1: number): void => {
    for (let j = j0; j < j1; j++) hist.fill(0, feats[j]! << 9, (feats[j]! + 1) << 9);
  };
  let seq = 0;
  /** Hands the worker its job (ctrl slots set by the caller). */
  const post = (): void => {
    seq++;
    Atomics.store(ctrl, SEQ, seq);
    Atomics.notify(ctrl, SEQ);
  };
  const awaitWorker = (): void => {
    let done = Atomics.load(ctrl, DONE);
    for (let i = 0; i < SPINS && done !== seq; i++) done = Atomics.load(ctrl, DONE);
    while (done !== seq) {
      Atomics.wait(ctrl, DONE, done);
      done = Atomics.load(ctrl, DONE);
    }
    if (ctrl[FAILED] === 1) {
      const report = receiveMessageOnPort(port)?.message as { failure?: string } | undefined;
      // The worker has left its loop and exits; referenced so close() sees the exit event.
      worker?.ref();
      worker = undefined;
      throw new Error(`GBDT worker thread failed: ${report?.failure ?? 'no report'}`);
    }
  };
  const forClass = (cls: number): HistBuilder => {
    const ghClass = ghAt + cls * 16 * n;
    return (hist, start, end, fs) => {
      const k = fs.length;
      feats.set(fs);
      // Every feature (no column sampling): the kernel that needs no feature list.
      const all = k === nf;
      const sum = (at: number, j0: number, j1: number): void => {
        if (all) histAll(at, binsAt, rowsAt, ghClass, nf, start, end, j0, j1);
        else kernel(at, binsAt, rowsAt, ghClass, nf, start, end, featsAt, j0, j1);
      };
      if (!worker || end - start < PARALLEL_MIN_ROWS) {
        zero(hist, 0, k);
        sum(hist.byteOffset, 0, k);
        return;
      }
      const half = k >>> 1;
      ctrl[START] = start;
      ctrl[END] = end;
      ctrl[CLASS] = cls;
      ctrl[J0] = half;
      ctrl[J1] = k;
      ctrl[ALL] = all ? 1 : 0;
      ctrl[OP] = OP_HIST;
      post();
      zero(hist, 0, half);
      sum(hist.byteOffset, 0, half);
      awaitWorker();
      for (let j = half; j < k; j++) {
        const o = fs[j]! << 9;
        hist.set(partner.subarray(o, o + 512), o);
      }
    };
  };
  const binFeatures = (columns: Float64Array[], maxBins: number): Float64Array[] => {
    const valueBins = valueBinCount(maxBins);
    colBins.fill(MISSING_BIN);
    const scratch = { idx: new Uint32Array(n), vals: new Float64Array(n) };
    const upper: Float64Array[] = [];
    // The worker may take features from the second half, last first; this thread takes them from
    // the first on, so whichever thread is late (cold start, load) simply bins fewer.
    const shareFrom = worker && n >= PARALLEL_MIN_ROWS ? nf >>> 1 : nf;
    if (shareFrom < nf) {
      claims.fill(0);
      const shared = new Float64Array(new SharedArrayBuffer((nf - shareFrom) * n * 8));
      for (let f = shareFrom; f < nf; f++) shared.set(columns[f]!, (f - shareFrom) * n);
      const views = Array.from({ length: nf - shareFrom }, (_, i) => shared.subarray(i * n, (i + 1) * n));
      // Shared memory is posted without a structured-clone copy.
      port.postMessage(views);
      ctrl[J0] = shareFrom;
      ctrl[VALUE_BINS] = valueBins;
      ctrl[OP] = OP_BIN;
      post();
      for (let f = 0; f < nf && Atomics.compareExchange(claims, f, 0, 1) === 0; f++)
        upper[f] = binColumn(columns[f]!, valueBins, colBins, 1, f * n, scratch);
      awaitWorker();
      const theirs = receiveMessageOnPort(port);
      if (!theirs) throw new Error('gbdt worker returned no bin bounds');
      for (const [f, u] of theirs.message as [number, Float64Array][]) upper[f] = u;
    } else
      for (let f = 0; f < nf; f++) upper[f] = binColumn(columns[f]!, valueBins, colBins, 1, f * n, scratch);
    // Row-major copy for the histogram kernels.
    for (let f = 0; f < nf; f++) {
      const o = f * n;
      for (let i = 0; i < n; i++) bins[i * nf + f] = colBins[o + i]!;
    }
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
      if (!worker || n < PARALLEL_MIN_ROWS) {
        computeGradients(target, y, scores, nClasses, ghs);
        return;
      }
      const mid = n >>> 1;
      ctrl[START] = mid;
      ctrl[END] = n;
      ctrl[TASK] = TASKS.indexOf(task);
      ctrl[OP] = OP_GRADIENTS;
      post();
      computeGradients(target, y, scores, nClasses, ghs, 0, mid);
      awaitWorker();
    },
    partition: (start, end, feature, bin, defaultLeft) => {
      for (let b = 0; b < MISSING_BIN; b++) lut[b] = b <= bin ? 1 : 0;
      lut[MISSING_BIN] = defaultLeft ? 1 : 0;
      const mid = partitionKernel(rowsAt, colBinsAt + feature * n, lutAt, tmpAt, start, end);
      rows.set(tmp.subarray(0, end - mid), mid);
      return mid;
    },
    subtract: (large, small, fs) => {
      if (fs.length === nf) subtract(large.byteOffset, small.byteOffset, nf * FEATURE_BYTES);
      else
        for (let j = 0; j < fs.length; j++) {
          const o = fs[j]! * FEATURE_BYTES;
          subtract(large.byteOffset + o, small.byteOffset + o, FEATURE_BYTES);
        }
    },
    newHist: () => {
      const at = alloc(nf * FEATURE_BYTES);
      return new Float64Array(mem.buffer, at, nf * 512);
    },
    forClass,
    close: () => {
      if (!worker) {
        port.close();
        return exited;
      }
      // Referenced again so the exit event is delivered (it exits at once on this signal).
      worker.ref();
      ctrl[EXIT] = 1;
      Atomics.store(ctrl, SEQ, ++seq);
      Atomics.notify(ctrl, SEQ);
      worker = undefined;
      port.close();
      return exited;
    },
  };
}
