/**
 * The worker threads behind a built-in model's replicas (replicas > 1). The main thread keeps
 * HTTP parsing and rendering; each model call goes to the least-busy thread with its input buffer
 * transferred, not copied. A thread that dies is replaced at once, and the calls it held fail with
 * 503 `replica_crashed` (never hang). Each thread loads the model from the same bytes.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker, workerModuleUrl } from '../../infra/worker-threads.js';
import { AppError } from '../../errors.js';
import type { PredictMessage, ReplicaThreadData, ReplicaThreadMessage } from './replica.worker.js';

const WORKER_PATH = 'modules/deployments/replica.worker';

export interface ReplicaThreads {
  readonly size: number;
  /** Runs the model on the least-busy live thread; x is nRows × nCols row-major. */
  predict(x: Float64Array, nRows: number): Promise<Float64Array>;
  /** Calls waiting on each thread. */
  pending(): number[];
  /** Threads started to replace ones that died. */
  replaced(): number;
  /** Threads started and not yet exited (0 once close() resolved). */
  live(): number;
  /** Ends thread `i` as a crash would (operators' restart, tests); it is replaced. */
  kill(i: number): Promise<void>;
  /** Terminates every thread; calls still waiting fail with 503. */
  close(): Promise<void>;
}

export interface ReplicaThreadsOptions {
  bytes: Uint8Array;
  source: string;
  count: number;
  /** Values per input row. */
  nCols: number;
  /** Told when a thread died and was replaced (deployment logs). */
  onEvent?: (message: string) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  calls: Map<number, { resolve: (out: Float64Array) => void; reject: (e: unknown) => void }>;
  /** Calls waiting for this slot's thread to come up. */
  queued: number;
}

const crashed = (why: string) =>
  new AppError('unavailable', `the replica answering this request ended (${why}); it was replaced, retry`, {
    reason: 'replica_crashed',
  });

export async function startReplicaThreads(o: ReplicaThreadsOptions): Promise<ReplicaThreads> {
  const url = workerModuleUrl(WORKER_PATH);
  const data: ReplicaThreadData = { __modelyardReplica: true, bytes: o.bytes, source: o.source };
  const slots: Slot[] = [];
  let nextId = 1;
  let closing = false;
  let replacedCount = 0;
  let running = 0;

  function start(index: number): Slot {
    const worker = startModuleWorker(url, { workerData: data });
    running++;
    const slot: Slot = { worker, ready: Promise.resolve(), calls: new Map(), queued: 0 };
    let up = false;
    slot.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: ReplicaThreadMessage) => {
        if (m.t === 'ready') {
          up = true;
          resolve();
        } else if (m.t === 'failed') reject(new Error(`replica thread cannot load the model: ${m.message}`));
        else {
          const call = slot.calls.get(m.id);
          if (!call) return;
          slot.calls.delete(m.id);
          if (m.t === 'answer') call.resolve(m.out);
          else call.reject(new AppError('internal', `the model failed: ${m.message}`));
        }
      });
      worker.on('error', (e) => {
        if (!up) reject(e);
      });
      worker.on('exit', (code) => {
        running--;
        if (!up) reject(new Error(`replica thread exited with code ${code} before loading the model`));
        const why = closing ? 'the deployment stopped' : `thread exited with code ${code}`;
        for (const call of slot.calls.values()) call.reject(crashed(why));
        slot.calls.clear();
        if (closing || !up || slots[index] !== slot) return;
        replacedCount++;
        o.onEvent?.(`replica thread ${index + 1} ended (code ${code}); started a new one`);
        slots[index] = start(index);
        // A replacement that cannot load leaves its slot failing calls; others keep answering.
        slots[index]!.ready.catch((e: unknown) => o.onEvent?.(`replica thread ${index + 1}: ${String(e)}`));
      });
    });
    return slot;
  }

  try {
    for (let i = 0; i < o.count; i++) slots.push(start(i));
    await Promise.all(slots.map((s) => s.ready));
  } catch (e) {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw e;
  }

  const load = (s: Slot) => s.calls.size + s.queued;

  async function predict(x: Float64Array, nRows: number): Promise<Float64Array> {
    if (closing) throw crashed('the deployment stopped');
    let slot = slots[0]!;
    for (const s of slots) if (load(s) < load(slot)) slot = s;
    slot.queued++;
    try {
      await slot.ready;
    } finally {
      slot.queued--;
    }
    const n = nRows * o.nCols;
    // Transfer the caller's buffer when it is exactly this matrix (the batcher's and aligner's
    // fresh arrays); copy a view of a bigger or shared buffer.
    const whole = x.length === n && x.byteOffset === 0 && x.buffer.byteLength === x.byteLength;
    const send = whole && x.buffer instanceof ArrayBuffer ? x : x.slice(0, n);
    const id = nextId++;
    return new Promise<Float64Array>((resolve, reject) => {
      slot.calls.set(id, { resolve, reject });
      const m: PredictMessage = { id, x: send, nRows };
      slot.worker.postMessage(m, [send.buffer as ArrayBuffer]);
    });
  }

  return {
    size: o.count,
    predict,
    pending: () => slots.map(load),
    replaced: () => replacedCount,
    live: () => running,
    async kill(i) {
      await slots[i]?.worker.terminate();
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
