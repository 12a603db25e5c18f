/**
 * Two-way histogram building for large nodes. A node with at least PARALLEL_MIN_ROWS rows is
 * summed as two halves (first into the target, second into a partner buffer) and then added,
 * whether or not a worker thread computes the second half — so results are bit-identical for
 * any thread count. With a worker, the halves run concurrently; synchronisation is Atomics on
 * shared memory (no event loop), so training stays synchronous. The worker is plain JS evaluated
 * from a string, which works the same under tsx, compiled output and bundles.
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
const NFEATS = 5;
const EXIT = 6;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { ctrl, bins, rows, grad, hess, hist, feats, nf, n } = workerData;
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (ctrl[${EXIT}] === 1) break;
  const start = ctrl[${START}], end = ctrl[${END}], off = ctrl[${CLASS}] * n, k = ctrl[${NFEATS}];
  for (let j = 0; j < k; j++) hist.fill(0, feats[j] << 9, (feats[j] + 1) << 9);
  for (let r = start; r < end; r++) {
    const row = rows[r];
    const g = grad[off + row], h = hess[off + row], base = row * nf;
    for (let j = 0; j < k; j++) {
      const f = feats[j];
      const o = (f << 9) | (bins[base + f] << 1);
      hist[o] += g;
      hist[o + 1] += h;
    }
  }
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
  /** K × nRows gradients / hessians, class k at offset k·nRows. */
  grad: Float64Array;
  hess: Float64Array;
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
  const { bins, nFeatures: nf, rows, grad, hess, nRows: n } = inp;
  const partner = new Float64Array(new SharedArrayBuffer(nf * 512 * 8));
  const feats = new Int32Array(new SharedArrayBuffer(Math.max(1, nf) * 4));
  const ctrl = new Int32Array(new SharedArrayBuffer(8 * 4));
  let worker: Worker | undefined;
  if (threads > 1) {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctrl, bins, rows, grad, hess, hist: partner, feats, nf, n },
    });
    worker.unref();
  }
  let seq = 0;
  const sum = (hist: Float64Array, start: number, end: number, off: number, fs: Int32Array): void => {
    const k = fs.length;
    for (let j = 0; j < k; j++) hist.fill(0, fs[j]! << 9, (fs[j]! + 1) << 9);
    for (let r = start; r < end; r++) {
      const row = rows[r]!;
      const g = grad[off + row]!;
      const h = hess[off + row]!;
      const base = row * nf;
      for (let j = 0; j < k; j++) {
        const f = fs[j]!;
        const o = (f << 9) | (bins[base + f]! << 1);
        hist[o]! += g;
        hist[o + 1]! += h;
      }
    }
  };
  const forClass = (cls: number): HistBuilder => {
    const off = cls * n;
    return (hist, start, end, fs) => {
      if (end - start < PARALLEL_MIN_ROWS) {
        sum(hist, start, end, off, fs);
        return;
      }
      const mid = (start + end) >>> 1;
      if (worker) {
        feats.set(fs);
        ctrl[START] = mid;
        ctrl[END] = end;
        ctrl[CLASS] = cls;
        ctrl[NFEATS] = fs.length;
        seq++;
        Atomics.store(ctrl, SEQ, seq);
        Atomics.notify(ctrl, SEQ);
        sum(hist, start, mid, off, fs);
        let done: number;
        while ((done = Atomics.load(ctrl, DONE)) !== seq) Atomics.wait(ctrl, DONE, done);
      } else {
        sum(hist, start, mid, off, fs);
        sum(partner, mid, end, off, fs);
      }
      for (let j = 0; j < fs.length; j++) {
        const o = fs[j]! << 9;
        for (let i = o; i < o + 512; i++) hist[i]! += partner[i]!;
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
