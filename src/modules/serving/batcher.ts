/**
 * Adaptive micro-batching for every runtime. Requests are merged at two moments, neither of which
 * waits on a timer:
 * - within one event-loop turn: the first submission schedules a flush with setImmediate, which
 *   runs right after the current batch of I/O callbacks, so requests whose bodies completed in the
 *   same turn share one call (an idle server answers a lone request in the same turn it arrived);
 * - while an asynchronous call (ONNX) is in flight: later requests queue and go out together
 *   when it returns.
 * A merged batch is capped by rows; each request gets its own slice of the output.
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
  /**
   * Queues nRows × nCols values (row-major; `x` must stay untouched until the promise settles)
   * and resolves with this request's rows of the model output.
   */
  submit(x: Float64Array, nRows: number): Promise<Float64Array>;
  readonly stats: BatcherStats;
}

/** `run` may answer synchronously (built-in models) or with a promise (ONNX). */
export function createBatcher(
  run: (x: Float64Array, nRows: number) => Float64Array | Promise<Float64Array>,
  o: BatcherOptions,
): Batcher {
  const queue: Waiting[] = [];
  let head = 0;
  let busy = false;
  let scheduled = false;
  const stats: BatcherStats = { requests: 0, batches: 0, rows: 0, maxBatchRequests: 0 };

  function settle(group: Waiting[], n: number, out: Float64Array): void {
    if (group.length === 1) return group[0]!.resolve(out);
    const per = n === 0 ? 0 : out.length / n;
    let row = 0;
    for (const w of group) {
      w.resolve(out.subarray(row * per, (row + w.nRows) * per));
      row += w.nRows;
    }
  }

  /** Takes the next group off the queue (at least one request, then up to maxBatchRows rows). */
  function take(): Waiting[] {
    const group: Waiting[] = [];
    let rows = 0;
    while (head < queue.length && (group.length === 0 || rows + queue[head]!.nRows <= o.maxBatchRows)) {
      const w = queue[head++]!;
      rows += w.nRows;
      group.push(w);
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    }
    return group;
  }

  function flush(): void {
    scheduled = false;
    while (!busy && head < queue.length) {
      const group = take();
      let n = 0;
      for (const w of group) n += w.nRows;
      let x: Float64Array;
      if (group.length === 1) x = group[0]!.x;
      else {
        x = new Float64Array(n * o.nCols);
        let off = 0;
        for (const w of group) {
          x.set(w.x.subarray(0, w.nRows * o.nCols), off);
          off += w.nRows * o.nCols;
        }
      }
      stats.batches++;
      stats.rows += n;
      if (group.length > stats.maxBatchRequests) stats.maxBatchRequests = group.length;
      let r: Float64Array | Promise<Float64Array>;
      try {
        r = run(x, n);
      } catch (e) {
        for (const w of group) w.reject(e);
        continue;
      }
      if (!(r instanceof Promise)) {
        settle(group, n, r);
        continue;
      }
      busy = true;
      r.then(
        (out) => settle(group, n, out),
        (e: unknown) => {
          for (const w of group) w.reject(e);
        },
      ).finally(() => {
        busy = false;
        // Everything that queued during the call goes out now, merged.
        flush();
      });
    }
  }

  return {
    stats,
    submit(x, nRows) {
      stats.requests++;
      return new Promise<Float64Array>((resolve, reject) => {
        queue.push({ x, nRows, resolve, reject });
        if (!busy && !scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
