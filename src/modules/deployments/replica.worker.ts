/**
 * One replica thread of a built-in model: loads the model from the bytes it was started with and
 * answers predict messages until it is terminated. Protocol (parent ⇄ thread):
 * - workerData `{ __modelyardReplica: true, bytes, source }`; the thread posts `{t:'ready'}` once
 *   the model loaded, or `{t:'failed', message}`.
 * - `{id, x, nRows}` (x row-major, its buffer transferred) → `{id, out}` (buffer transferred) or
 *   `{id, error}` when the model threw.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createBuiltinRuntime } from '../serving/builtin-runtime.js';

export interface ReplicaThreadData {
  __modelyardReplica: true;
  bytes: Uint8Array;
  source: string;
}

export interface PredictMessage {
  id: number;
  x: Float64Array;
  nRows: number;
}

export type ReplicaThreadMessage =
  | { t: 'ready' }
  | { t: 'failed'; message: string }
  | { t: 'answer'; id: number; out: Float64Array }
  | { t: 'error'; id: number; message: string };

function serveReplica(): void {
  const data = workerData as ReplicaThreadData | undefined;
  if (isMainThread || !parentPort || data?.__modelyardReplica !== true) return;
  const port = parentPort;
  const post = (m: ReplicaThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  let predict: (x: Float64Array, nRows: number) => Float64Array;
  try {
    predict = createBuiltinRuntime(data.bytes, data.source).predictMatrixSync!;
  } catch (e) {
    post({ t: 'failed', message: (e as Error).message });
    return;
  }
  port.on('message', (m: PredictMessage) => {
    let out: Float64Array;
    try {
      out = predict(m.x, m.nRows);
    } catch (e) {
      post({ t: 'error', id: m.id, message: (e as Error).message });
      return;
    }
    post({ t: 'answer', id: m.id, out }, [out.buffer as ArrayBuffer]);
  });
  post({ t: 'ready' });
}

serveReplica();
