/**
 * Two-way histogram building for large nodes. With a worker thread, a node with at least
 * PARALLEL_MIN_ROWS rows is split by features: the main thread sums the first half of the
 * features, the worker the second half into a partner buffer that is then copied over. Each bin
 * is the same sum in the same row order as on one thread, so results are bit-identical for any
 * thread count, and each thread's histograms are half the size (better cache use).
 * Synchronisation is Atomics on shared memory (no event loop), so training stays synchronous. The worker is plain JS evaluated
 * from a string built from sumHistRows' own source, so both threads run the same kernel under
 * tsx, compiled output and bundles.
 */
import { Worker } from 'node:worker_threads';
import type { HistBuilder } from './hist-tree.js';

export const PARALLEL_MIN_ROWS = 8192;

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
 * Zeroes the histograms of features feats[j0..j1), then adds the (g, h) pair of every row in
 * rows[start..end) to its bin per feature. gh is interleaved [g0, h0, g1, h1, ...] from offset
 * ghOff. allFeats says feats is 0..nf-1, so feats[j] = j. Self-contained (no outer references):
 * its source text is also the worker's kernel. The all-features case is unrolled by four:
 * independent read-modify-writes overlap in the CPU, about 2.5× faster than the indirect loop in
 * V8 (bench/learn/profile.ts).
 */
export function sumHistRows(
  hist: Float64Array,
  bins: Uint8Array,
  rows: Uint32Array,
  gh: Float64Array,
  ghOff: number,
  nf: number,
  start: number,
  end: number,
  feats: Int32Array,
  j0: number,
  j1: number,
  allFeats: boolean,
): void {
  if (allFeats) {
    hist.fill(0, j0 << 9, j1 << 9);
    for (let r = start; r < end; r++) {
      const row = rows[r]!;
      const i = ghOff + 2 * row;
      const g = gh[i]!;
      const h = gh[i + 1]!;
      const base = row * nf;
      let f = j0;
      for (; f + 4 <= j1; f += 4) {
        const o0 = (f << 9) | (bins[base + f]! << 1);
        const o1 = ((f + 1) << 9) | (bins[base + f + 1]! << 1);
        const o2 = ((f + 2) << 9) | (bins[base + f + 2]! << 1);
        const o3 = ((f + 3) << 9) | (bins[base + f + 3]! << 1);
        hist[o0]! += g;
        hist[o0 + 1]! += h;
        hist[o1]! += g;
        hist[o1 + 1]! += h;
        hist[o2]! += g;
        hist[o2 + 1]! += h;
        hist[o3]! += g;
        hist[o3 + 1]! += h;
      }
      for (; f < j1; f++) {
        const o = (f << 9) | (bins[base + f]! << 1);
        hist[o]! += g;
        hist[o + 1]! += h;
      }
    }
    return;
  }
  for (let j = j0; j < j1; j++) hist.fill(0, feats[j]! << 9, (feats[j]! + 1) << 9);
  for (let r = start; r < end; r++) {
    const row = rows[r]!;
    const i = ghOff + 2 * row;
    const g = gh[i]!;
    const h = gh[i + 1]!;
    const base = row * nf;
    for (let j = j0; j < j1; j++) {
      const f = feats[j]!;
      const o = (f << 9) | (bins[base + f]! << 1);
      hist[o]! += g;
      hist[o + 1]! += h;
    }
  }
}

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { ctrl, bins, rows, gh, hist, feats, nf, n } = workerData;
const sumHistRows = ${sumHistRows.toString()};
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (ctrl[${EXIT}] === 1) break;
  sumHistRows(hist, bins, rows, gh, ctrl[${CLASS}] * 2 * n, nf, ctrl[${START}], ctrl[${END}], feats, ctrl[${J0}], ctrl[${J1}], ctrl[${ALL}] === 1);
  Atomics.store(ctrl, ${DONE}, seen);
  Atomics.notify(ctrl, ${DONE});
}
`;

/** Shared-memory inputs: every array must be backed by a SharedArrayBuffer when threads > 1. */
export interface SharedHistInputs {
  bins: Uint8Array;
  nFeatures: number;
  nRows: number;
  rows: Uint32Array;
  /** K × nRows interleaved (gradient, hessian) pairs, class k at offset 2k·nRows. */
  gh: Float64Array;
}

export interface HistBuilders {
  /** One builder per class. */
  forClass(k: number): HistBuilder;
  close(): void;
}

/** Allocates a Float64Array on shared memory (so a worker can read it). */
export function sharedFloat64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * 8));
}

export function createHistBuilders(inp: SharedHistInputs, threads: number): HistBuilders {
  const { bins, nFeatures: nf, rows, gh, nRows: n } = inp;
  const partner = new Float64Array(new SharedArrayBuffer(nf * 512 * 8));
  const feats = new Int32Array(new SharedArrayBuffer(Math.max(1, nf) * 4));
  const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
  let worker: Worker | undefined;
  if (threads > 1) {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctrl, bins, rows, gh, hist: partner, feats, nf, n },
    });
    worker.unref();
  }
  let seq = 0;
  const forClass = (cls: number): HistBuilder => {
    const off = cls * 2 * n;
    return (hist, start, end, fs) => {
      const k = fs.length;
      const all = k === nf;
      if (!worker || end - start < PARALLEL_MIN_ROWS) {
        sumHistRows(hist, bins, rows, gh, off, nf, start, end, fs, 0, k, all);
        return;
      }
      // The worker sums the second half of the features into the partner buffer, which is then
      // copied over: every bin is the same sum in the same row order as on one thread.
      const half = k >>> 1;
      feats.set(fs);
      ctrl[START] = start;
      ctrl[END] = end;
      ctrl[CLASS] = cls;
      ctrl[J0] = half;
      ctrl[J1] = k;
      ctrl[ALL] = all ? 1 : 0;
      seq++;
      Atomics.store(ctrl, SEQ, seq);
      Atomics.notify(ctrl, SEQ);
      sumHistRows(hist, bins, rows, gh, off, nf, start, end, fs, 0, half, all);
      let done: number;
      while ((done = Atomics.load(ctrl, DONE)) !== seq) Atomics.wait(ctrl, DONE, done);
      for (let j = half; j < k; j++) {
        const o = fs[j]! << 9;
        hist.set(partner.subarray(o, o + 512), o);
      }
    };
  };
  return {
    forClass,
    close: () => {
      if (!worker) return;
      ctrl[EXIT] = 1;
      Atomics.store(ctrl, SEQ, ++seq);
      Atomics.notify(ctrl, SEQ);
      worker = undefined;
    },
  };
}
