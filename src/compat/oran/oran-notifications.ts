/**
 * O-RAN step notifications: after every change of a training job's five-step map, the whole map
 * (the `/status` body) is POSTed to the job's notification URL as JSON. Notifications of one run
 * are sent in order (one chain per run); a refused or failed one is logged and never retried, as
 * the Training Manager does.
 */
import type { Logger } from 'pino';
import { stepMap, type RunEventView, type RunView, type RunsService } from '../../modules/runs/index.js';

const NOTIFY_TIMEOUT_MS = 10_000;
const NOTHING_STARTED = JSON.stringify(stepMap('queued', []));
const ENDED = ['succeeded', 'failed', 'cancelled'];

export interface OranNotificationOptions {
  runs: RunsService;
  logger: Logger;
  /** The run label holding the training job id; runs without it are not O-RAN jobs. */
  label: string;
  /** The job's notification URL ('' for none, or when the job is gone). */
  urlOf: (jobId: number) => Promise<string>;
}

/** Subscribes to run changes; `close()` unsubscribes and waits for notifications under way. */
export function startOranNotifications(opts: OranNotificationOptions): { close(): Promise<void> } {
  const { runs, logger, label } = opts;
  const chains = new Map<string, Promise<void>>();
  const lastSent = new Map<string, string>();

  async function notify(run: RunView, event: RunEventView) {
    const id = Number(run.labels[label]);
    const url = await opts.urlOf(id);
    if (!url) return;
    const events = (await runs.events(run.id)).filter((e) => e.seq <= event.seq);
    const body = JSON.stringify(stepMap(run.state, events));
    // Like the TM, the first notification is the start of data extraction, not the empty map.
    if ((lastSent.get(run.id) ?? NOTHING_STARTED) === body) return;
    lastSent.set(run.id, body);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
    });
    if (!res.ok) logger.warn({ job: id, status: res.status }, 'O-RAN notification refused');
    await res.arrayBuffer().catch(() => undefined);
  }

  const unsubscribe = runs.onChange((run, event) => {
    if (run.labels[label] === undefined) return;
    const next = (chains.get(run.id) ?? Promise.resolve())
      .then(() => notify(run, event))
      .catch((e: unknown) => logger.warn({ err: e, run: run.id }, 'O-RAN notification failed'));
    chains.set(run.id, next);
    void next.then(() => {
      if (chains.get(run.id) === next) chains.delete(run.id);
      if (ENDED.includes(run.state)) lastSent.delete(run.id);
    });
  });

  return {
    async close() {
      unsubscribe();
      await Promise.all([...chains.values()]);
    },
  };
}
