/**
 * The GBDT workspace's worker thread: plain JS evaluated from a string (so it runs the same from
 * source and from the bundle), built from the source of the self-contained routines it shares
 * with the main thread (gradients, binning, hist-jobs.ts). Jobs are handed over through a shared
 * Int32Array of control slots and an f64 argument array, with Atomics: no event loop, so the
 * main thread's training stays synchronous.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { binColumn, columnBounds, midpoint, rowMajorCodes } from './binning.js';
import { computeGradients } from './gbdt-objective.js';
import { addLeafValues, expandChildren, jobWorld, partitionSplits } from './hist-jobs.js';
import type { JobLayout } from './hist-jobs.js';
import type { WasmMemory, WasmModule } from './hist-wasm.js';
import { sortedOrder } from './radix-sort.js';
import type { Task } from './types.js';

/**
 * Polls of a shared control slot before a thread sleeps in Atomics.wait: on this kind of VM a
 * futex wake-up can cost about as much as a node's histogram, so both threads spin briefly first.
 */
const SPINS = 100_000;

/** Control slots in the shared Int32Array. */
export const SEQ = 0;
export const DONE = 1;
export const START = 2;
export const END = 3;
export const J0 = 5;
export const EXIT = 8;
/**
 * What the worker does: OP_GRADIENTS (rows [START, END) with task TASK), OP_BIN (features from J0
 * of the columns on the port, VALUE_BINS value bins), OP_PARTITION, OP_EXPAND or OP_ADD_LEAVES (the job
 * routines, with their arguments in the f64 `args`).
 */
export const OP = 9;
export const TASK = 10;
export const VALUE_BINS = 11;
/** Set by the worker when a job threw; it then posts { failure } on the port and exits. */
export const FAILED = 12;
export const OP_GRADIENTS = 1;
export const OP_BIN = 2;
export const OP_PARTITION = 3;
export const OP_EXPAND = 4;
export const OP_ADD_LEAVES = 5;
/** f64 argument slots of the job routines: job table index, result index, count, gh offset, k, λ, j0, j1. */
export const A_JOBS = 0;
export const A_RESULTS = 1;
export const A_COUNT = 2;
export const A_GH = 3;
export const A_K = 4;
export const A_LAMBDA = 5;
export const A_J0 = 6;
export const A_J1 = 7;
export const TASKS: Task[] = ['binary', 'multiclass', 'regression'];

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { ctrl, args, module, mem, layout, lutAt, ghAt, yAt, scoresAt, n, K, port, claims } = workerData;
const nf = layout.nf;
const computeGradients = ${computeGradients.toString()};
${sortedOrder.toString()}
${midpoint.toString()}
${columnBounds.toString()}
${binColumn.toString()}
${rowMajorCodes.toString()}
${partitionSplits.toString()}
${expandChildren.toString()}
${addLeafValues.toString()}
${jobWorld.toString()}
const tasks = ${JSON.stringify(TASKS)};
const y = new Float64Array(mem.buffer, yAt, n);
const scores = new Float64Array(mem.buffer, scoresAt, n * K);
const ghs = Array.from({ length: K }, (_, k) => new Float64Array(mem.buffer, ghAt + k * 16 * n, 2 * n));
const kernels = new WebAssembly.Instance(module, { env: { mem } }).exports;
let world = null;
let seen = 0;
for (;;) {
  for (let i = 0; i < ${SPINS} && Atomics.load(ctrl, ${SEQ}) === seen; i++);
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (ctrl[${EXIT}] === 1) break;
  try {
    const op = ctrl[${OP}];
    if (op >= ${OP_PARTITION}) world = ${jobWorld.name}(world, mem, kernels, layout);
    if (op === ${OP_EXPAND}) {
      ${expandChildren.name}(world, args[${A_JOBS}], args[${A_RESULTS}], args[${A_COUNT}], args[${A_GH}], args[${A_K}],
        args[${A_LAMBDA}], args[${A_J0}], args[${A_J1}], 1);
    } else if (op === ${OP_ADD_LEAVES}) {
      ${addLeafValues.name}(world, args[${A_JOBS}], args[${A_RESULTS}], args[${A_COUNT}], scoresAt, K, args[${A_K}], true);
    } else if (op === ${OP_PARTITION}) {
      ${partitionSplits.name}(world, args[${A_JOBS}], args[${A_COUNT}], lutAt + 256, true);
    } else if (op === ${OP_GRADIENTS}) {
      computeGradients({ task: tasks[ctrl[${TASK}]] }, y, scores, K, ghs, ctrl[${START}], ctrl[${END}]);
    } else if (op === ${OP_BIN}) {
      // Features j0.. of the columns on the port, claimed from the last one down until one is taken.
      const cols = receiveMessageOnPort(port).message;
      const colBins = new Uint8Array(mem.buffer, layout.colBinsAt, n * nf);
      const bins = new Uint8Array(mem.buffer, layout.binsAt, n * nf);
      const scratch = { idx: new Uint32Array(n), vals: new Float64Array(n) };
      const j0 = ctrl[${J0}];
      const done = [];
      for (let f = nf - 1; f >= j0 && Atomics.compareExchange(claims, f, 0, 1) === 0; f--) {
        done.push([f, ${binColumn.name}(cols[f - j0], ctrl[${VALUE_BINS}], colBins, 1, f * n, scratch)]);
        ${rowMajorCodes.name}(colBins, bins, f, n, nf);
      }
      port.postMessage(done);
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

/** What the worker needs besides its control slots. */
export interface HistWorkerData {
  module: WasmModule;
  mem: WasmMemory;
  layout: JobLayout;
  /** The main thread's partition lookup table (the worker's is the next 256 bytes). */
  lutAt: number;
  ghAt: number;
  yAt: number;
  scoresAt: number;
  n: number;
  K: number;
  /** Per feature, 1 once a thread has taken it for binning. */
  claims: Int32Array;
}

export interface HistWorker {
  /** Control slots (START, END, J0, TASK, VALUE_BINS) the caller sets before post. */
  readonly ctrl: Int32Array;
  /** f64 arguments (A_*) of OP_PARTITION, OP_EXPAND and OP_ADD_LEAVES. */
  readonly args: Float64Array;
  /** Carries binning columns and results (OP_BIN). */
  readonly port: MessagePort;
  /** Hands the worker job `op` (its slots and arguments set first). */
  post(op: number): void;
  /** Waits for the job posted last; throws the worker's failure if it threw. */
  wait(): void;
  /** Stops the thread; settles once it has exited. */
  close(): Promise<void>;
}

export function startHistWorker(data: HistWorkerData): HistWorker {
  const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
  const args = new Float64Array(new SharedArrayBuffer(8 * 8));
  const { port1: port, port2: workerPort } = new MessageChannel();
  port.unref();
  let worker: Worker | undefined = new Worker(WORKER_SOURCE, {
    transferList: [workerPort],
    eval: true,
    workerData: { ...data, ctrl, args, port: workerPort },
  });
  worker.unref();
  const w = worker;
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  let seq = 0;
  return {
    ctrl,
    args,
    port,
    post(op) {
      ctrl[OP] = op;
      seq++;
      Atomics.store(ctrl, SEQ, seq);
      Atomics.notify(ctrl, SEQ);
    },
    wait() {
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
    },
    close() {
      if (worker) {
        // Referenced again so the exit event is delivered (it exits at once on this signal).
        worker.ref();
        ctrl[EXIT] = 1;
        Atomics.store(ctrl, SEQ, ++seq);
        Atomics.notify(ctrl, SEQ);
        worker = undefined;
      }
      port.close();
      return exited;
    },
  };
}
