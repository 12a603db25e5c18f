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
import type { WasmMemory, WasmModule } from './wasm-asm.js';
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
/** Take the workspace on the port (a pooled thread starting on a new training). */
const OP_ATTACH = 6;
/** Drop the workspace (the thread goes back to the pool). */
const OP_DETACH = 7;
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
const { ctrl, args, port, module } = workerData;
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
// One workspace's memory and layout at a time (OP_ATTACH / OP_DETACH): the thread outlives
// trainings, so its compiled code stays warm.
let mem, layout, lutAt, ghAt, yAt, scoresAt, n, K, claims, nf, y, scores, ghs, kernels, world;
function attach(d) {
  ({ mem, layout, lutAt, ghAt, yAt, scoresAt, n, K, claims } = d);
  nf = layout.nf;
  y = new Float64Array(mem.buffer, d.yAt, n);
  scores = new Float64Array(mem.buffer, scoresAt, n * K);
  ghs = Array.from({ length: K }, (_, k) => new Float64Array(mem.buffer, ghAt + k * 16 * n, 2 * n));
  kernels = new WebAssembly.Instance(module, { env: { mem } }).exports;
  world = null;
}
function detach() {
  mem = layout = claims = y = scores = ghs = kernels = world = null;
}
attach(workerData.data);
let seen = 0;
for (;;) {
  for (let i = 0; i < ${SPINS} && Atomics.load(ctrl, ${SEQ}) === seen; i++);
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (ctrl[${EXIT}] === 1) break;
  try {
    const op = ctrl[${OP}];
    if (op === ${OP_ATTACH}) attach(receiveMessageOnPort(port).message);
    else if (op === ${OP_DETACH}) detach();
    if (op >= ${OP_PARTITION} && op <= ${OP_ADD_LEAVES}) world = ${jobWorld.name}(world, mem, kernels, layout);
    if (op === ${OP_EXPAND}) {
      ${expandChildren.name}(world, args[${A_JOBS}], args[${A_RESULTS}], args[${A_COUNT}], args[${A_GH}], args[${A_K}],
        args[${A_LAMBDA}], args[${A_J0}], args[${A_J1}], 1);
    } else if (op === ${OP_ADD_LEAVES}) {
      ${addLeafValues.name}(world, args[${A_JOBS}], args[${A_RESULTS}], args[${A_COUNT}], scoresAt, K, args[${A_K}], true);
    } else if (op === ${OP_PARTITION}) {
      ${partitionSplits.name}(world, args[${A_JOBS}], args[${A_COUNT}], lutAt + 256, true);
    } else if (op === ${OP_GRADIENTS}) {
      // Binary log-loss in the wasm kernel, as on the main thread (hist-parallel.ts gradients).
      const task = tasks[ctrl[${TASK}]];
      if (task === 'binary' && K === 1) kernels.binaryGradients(yAt, scoresAt, ghAt, ctrl[${START}], ctrl[${END}]);
      else computeGradients({ task }, y, scores, K, ghs, ctrl[${START}], ctrl[${END}]);
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
  /**
   * Releases the thread: back to the pool for the next workspace (settles at once), or stopped
   * when the pool is taken or the thread failed (settles once it has exited).
   */
  close(): Promise<void>;
}

/** One worker thread with its control slots; it serves one workspace at a time. */
interface Thread {
  worker: Worker | undefined;
  ctrl: Int32Array;
  args: Float64Array;
  port: MessagePort;
  exited: Promise<void>;
  seq: number;
}

/**
 * A thread whose workspace closed, kept for the next one: a new thread costs a start-up and runs
 * its JavaScript (binning, gradients, split scans) cold; a kept one has it compiled already.
 * Unreferenced, so it never keeps the process alive.
 */
let idle: Thread | null = null;

function spawnThread(data: HistWorkerData): Thread {
  const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
  const args = new Float64Array(new SharedArrayBuffer(8 * 8));
  const { port1: port, port2: workerPort } = new MessageChannel();
  port.unref();
  const worker = new Worker(WORKER_SOURCE, {
    transferList: [workerPort],
    eval: true,
    workerData: { ctrl, args, port: workerPort, module: data.module, data },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return { worker, ctrl, args, port, exited, seq: 0 };
}

/** A worker thread for this workspace: the idle one attached to it, or a new one. */
export function startHistWorker(data: HistWorkerData): HistWorker {
  let t: Thread;
  let attaching = false;
  if (idle) {
    t = idle;
    idle = null;
    attaching = true;
  } else t = spawnThread(data);
  const { ctrl, port } = t;
  const post = (op: number): void => {
    ctrl[OP] = op;
    t.seq++;
    Atomics.store(ctrl, SEQ, t.seq);
    Atomics.notify(ctrl, SEQ);
  };
  let failed = false;
  const wait = (): void => {
    let done = Atomics.load(ctrl, DONE);
    for (let i = 0; i < SPINS && done !== t.seq; i++) done = Atomics.load(ctrl, DONE);
    while (done !== t.seq) {
      Atomics.wait(ctrl, DONE, done);
      done = Atomics.load(ctrl, DONE);
    }
    if (ctrl[FAILED] === 1) {
      failed = true;
      const report = receiveMessageOnPort(port)?.message as { failure?: string } | undefined;
      // The worker has left its loop and exits; referenced so close() sees the exit event.
      t.worker?.ref();
      t.worker = undefined;
      throw new Error(`GBDT worker thread failed: ${report?.failure ?? 'no report'}`);
    }
  };
  if (attaching) {
    port.postMessage(data);
    post(OP_ATTACH);
    wait();
  }
  let closed = false;
  return {
    ctrl,
    args: t.args,
    port,
    post,
    wait,
    close() {
      if (closed) return t.exited;
      closed = true;
      if (t.worker && !failed && !idle) {
        // Back to the pool, without this workspace's memory.
        post(OP_DETACH);
        wait();
        idle = t;
        return Promise.resolve();
      }
      if (t.worker) {
        // Referenced again so the exit event is delivered (it exits at once on this signal).
        t.worker.ref();
        ctrl[EXIT] = 1;
        Atomics.store(ctrl, SEQ, ++t.seq);
        Atomics.notify(ctrl, SEQ);
        t.worker = undefined;
      }
      port.close();
      return t.exited;
    },
  };
}

/** Ends the pooled worker thread, if any (tests; the thread never keeps a process alive). */
export function endIdleHistWorker(): Promise<void> {
  const t = idle;
  idle = null;
  if (!t?.worker) return Promise.resolve();
  t.worker.ref();
  t.ctrl[EXIT] = 1;
  Atomics.store(t.ctrl, SEQ, ++t.seq);
  Atomics.notify(t.ctrl, SEQ);
  t.worker = undefined;
  t.port.close();
  return t.exited;
}
