/**
 * Greedy micro-batching for asynchronous runtimes: a request runs at once when the model is idle
 * (no added delay); requests arriving while a call is in flight queue up and are merged into one
 * call when it finishes (capped by rows), and the output is sliced back per request.
 */

export interface BatcherOptions {
  /** Values per input row. */
  nCols: number;
  /** Largest merged batch, in rows. */
  maxBatchRows: number;
}

export interface BatcherStats {
  requests: number;
  batches: number;
  rows: number;
  maxBatchRequests: number;
}

interface Waiting {
  x: Float64Array;
  nRows: number;
  resolve: (out: Float64Array) => void;
  reject: (e: unknown) => void;
}

export interface Batcher {
  submit(x: Float64Array, nRows: number): Promise<Float64Array>;
  readonly stats: BatcherStats;
}

export function createBatcher(
  run: (x: Float64Array, nRows: number) => Float64Array | Promise<Float64Array>,
  o: BatcherOptions,
): Batcher {
  const queue: Waiting[] = [];
  let busy = false;
  const stats: BatcherStats = { requests: 0, batches: 0, rows: 0, maxBatchRequests: 0 };

  async function execute(group: Waiting[]): Promise<void> {
    busy = true;
    stats.batches++;
    if (group.length > stats.maxBatchRequests) stats.maxBatchRequests = group.length;
    try {
      let x: Float64Array;
      let n = 0;
      if (group.length === 1) {
        x = group[0]!.x;
        n = group[0]!.nRows;
      } else {
        for (const w of group) n += w.nRows;
        x = new Float64Array(n * o.nCols);
        let off = 0;
        for (const w of group) {
          x.set(w.x.subarray(0, w.nRows * o.nCols), off);
          off += w.nRows * o.nCols;
        }
      }
      stats.rows += n;
      const out = await run(x, n);
      const per = n === 0 ? 0 : out.length / n;
      let row = 0;
      for (const w of group) {
        w.resolve(group.length === 1 ? out : out.slice(row * per, (row + w.nRows) * per));
        row += w.nRows;
      }
    } catch (e) {
      for (const w of group) w.reject(e);
    } finally {
      busy = false;
      drain();
    }
  }

  function drain(): void {
    if (busy || queue.length === 0) return;
    const group: Waiting[] = [];
    let rows = 0;
    while (queue.length > 0 && (group.length === 0 || rows + queue[0]!.nRows <= o.maxBatchRows)) {
      const w = queue.shift()!;
      rows += w.nRows;
      group.push(w);
    }
    void execute(group);
  }

  return {
    stats,
    submit(x, nRows) {
      stats.requests++;
      return new Promise<Float64Array>((resolve, reject) => {
        queue.push({ x, nRows, resolve, reject });
        drain();
      });
    },
  };
}
