/**
 * Progress a running task reports (MISTK's update_status(payload)): each report becomes the
 * instance's payload, one state write that bumps the resourceVersion and reaches /status and watch
 * streams. Reports are throttled: a 1000-round training writes about once a second, not 1000 rows.
 */

/** At most one progress write per this many ms (the first report is written at once). */
export const PROGRESS_WRITE_EVERY_MS = 1000;

export interface ProgressReporter {
  /** Keeps `payload` as the latest report; writes it now or once the throttle allows. */
  report(payload: Record<string, unknown>): void;
  /** Drops a report not yet written and waits for a write in flight: the task settles after. */
  end(): Promise<void>;
}

export function createProgressReporter(o: {
  everyMs: number;
  /** Stores one report (a conditional state write; it may find the task superseded and skip). */
  write(payload: Record<string, unknown>): Promise<void>;
  logError(err: unknown, msg: string): void;
}): ProgressReporter {
  let latest: Record<string, unknown> | null = null;
  let lastWriteMs = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let ended = false;

  const flush = () => {
    timer = undefined;
    const payload = latest;
    latest = null;
    if (!payload || ended) return;
    lastWriteMs = Date.now();
    // Chained: two writes never race each other on the instance's version.
    writing = writing
      .then(() => o.write(payload))
      .catch((err: unknown) => o.logError(err, 'model instances: could not record task progress'));
  };

  return {
    report(payload) {
      if (ended) return;
      latest = payload;
      if (timer) return;
      const waitMs = lastWriteMs + o.everyMs - Date.now();
      if (waitMs <= 0) flush();
      else timer = setTimeout(flush, waitMs);
    },
    async end() {
      ended = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await writing;
    },
  };
}
