/**
 * Run lifecycle outside the executor: control requests (cancel, pause, resume), orphaned runs,
 * recovery after a start, and relaying events other processes (Redis workers) wrote.
 */
import { conflict } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import {
  checkpointKey,
  HEARTBEAT_STALE_MS,
  jobIdOf,
  type ControlAction,
  type RunCore,
  type RunsServiceDeps,
} from './run-core.js';
import { toRunView, type RunRow } from './runs.repository.js';
import type { RunState, RunView } from './runs.schemas.js';

export function createRunLifecycle(deps: RunsServiceDeps, core: RunCore) {
  const { logger } = deps;
  const { repo, row, transition, enqueue, releaseEnded } = core;
  let poller: NodeJS.Timeout | undefined;

  async function control(id: string, action: ControlAction): Promise<RunView> {
    const r = await row(id);
    if (action === 'cancel' && r.state === 'queued') {
      const done = await transition(id, ['queued'], 'cancelled', {
        reason: 'cancelled_by_user',
        set: { ended_at: nowIso() },
      });
      if (done) {
        await deps.queue.remove(r.queue, jobIdOf(id, r.attempt + 1)).catch(() => false);
        await releaseEnded(done);
        return toRunView(done);
      }
      return control(id, action); // it started meanwhile
    }
    const allowed: Record<ControlAction, RunState[]> = {
      cancel: ['running', 'paused'],
      pause: ['running'],
      resume: ['paused'],
    };
    if (!allowed[action].includes(r.state))
      throw conflict(`cannot ${action} a run that is ${r.state}`, {
        reason: `run_${r.state}`,
        details: { state: r.state },
      });
    if (r.state === 'paused' && r.worker_id === null)
      return detachedControl(r, action as 'cancel' | 'resume');
    await repo.update(id, { control: action });
    core.localControl.get(id)?.(action);
    return toRunView(await row(id));
  }

  /**
   * A paused run no process holds (its executor died while it was paused, see orphan): resume puts
   * it back on the queue for the same attempt, which continues from the saved checkpoint; cancel
   * ends it here.
   */
  async function detachedControl(r: RunRow, action: 'cancel' | 'resume'): Promise<RunView> {
    if (action === 'resume') {
      const back = await transition(r.id, ['paused'], 'queued', {
        reason: 'resumed_by_user',
        // The worker's claim counts the attempt again: this continues it rather than retrying.
        set: { attempt: r.attempt - 1, control: null, not_before: null },
      });
      if (!back) return control(r.id, action);
      await enqueue(back);
      return toRunView(back);
    }
    const done = await transition(r.id, ['paused'], 'cancelled', {
      reason: 'cancelled_by_user',
      set: { ended_at: nowIso(), control: null },
    });
    if (!done) return control(r.id, action);
    await releaseEnded(done);
    return toRunView(done);
  }

  /**
   * Settles a run whose executor died with a process: a paused built-in run with a saved
   * checkpoint stays paused (detached: resume continues it from the checkpoint); any other goes
   * back to the queue when attempts remain, or fails. Only the attempt `r` shows is settled: when
   * another worker has claimed the run again meanwhile, nothing changes.
   */
  async function orphan(r: RunRow, reason: string): Promise<void> {
    if (r.state === 'paused' && r.worker_id === null) return; // already detached
    if (r.token_id) await deps.tokens.revoke(r.token_id).catch(() => undefined);
    if (r.state === 'paused' && r.kind === 'builtin' && (await deps.blobs.stat(checkpointKey(r.id)))) {
      await transition(r.id, ['paused'], 'paused', {
        attempt: r.attempt,
        reason,
        message: 'the process executing the run ended; resume continues from the saved checkpoint',
        set: { worker_id: null, heartbeat_at: null, control: null, token_id: null },
      });
      return;
    }
    const from: RunState[] = ['running', 'paused'];
    if (r.attempt < r.max_attempts) {
      const back = await transition(r.id, from, 'queued', {
        attempt: r.attempt,
        reason,
        set: { worker_id: null, control: null, token_id: null, not_before: null },
      });
      if (back) await enqueue(back);
    } else {
      const done = await transition(r.id, from, 'failed', {
        attempt: r.attempt,
        reason,
        message: 'the process executing the run ended',
        set: { ended_at: nowIso(), token_id: null },
      });
      if (done) await releaseEnded(done);
    }
  }

  /**
   * After a start: re-enqueue what the database says is queued, and settle runs whose executor is
   * gone. With the in-process queue every running run was this installation's and died with it;
   * with Redis, only runs whose worker stopped sending heartbeats.
   */
  async function recover(): Promise<{ requeued: number; orphaned: number }> {
    const allLocal = deps.config.queueBackend === 'memory';
    let requeued = 0;
    let orphaned = 0;
    for (const r of await repo.byStates(['queued'])) {
      await enqueue(r);
      requeued++;
    }
    for (const r of await repo.byStates(['running', 'paused'])) {
      const stale = !r.heartbeat_at || Date.now() - Date.parse(r.heartbeat_at) > HEARTBEAT_STALE_MS;
      if (allLocal || stale) {
        await orphan(r, 'server_restarted');
        orphaned++;
      }
    }
    return { requeued, orphaned };
  }

  /** Events other processes (Redis workers) wrote reach this process's listeners by polling. */
  function startPoller() {
    if (poller || deps.config.queueBackend !== 'redis') return;
    let since = new Date(Date.now() - 1000).toISOString();
    const seen = new Set<string>();
    poller = setInterval(() => {
      repo
        .foreignEventsSince(since)
        .then(async (events) => {
          for (const e of events) {
            const key = `${e.run_id}/${e.seq}`;
            if (seen.has(key)) continue;
            seen.add(key);
            since = e.at;
            const r = await repo.get(e.run_id);
            const { run_id: _r, writer: _w, ...event } = e;
            if (r) core.emit(r, event);
          }
          if (seen.size > 10_000) seen.clear();
        })
        .catch((e: unknown) => logger.warn({ err: e }, 'run event poll failed'));
    }, 500);
    poller.unref();
  }

  function stopPoller() {
    if (poller) clearInterval(poller);
    poller = undefined;
  }

  return { control, orphan, recover, startPoller, stopPoller };
}
