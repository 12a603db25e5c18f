/**
 * Training runs: submit (built-in learner or user code), the state machine held in the database,
 * control (cancel, pause, resume), metrics/params/logs/artifacts, notifications on every change,
 * and recovery after a restart. This file composes the parts (run-core, run-submit,
 * run-lifecycle) and holds the queries; execution itself is in run-worker.ts.
 */
import type { Readable } from 'node:stream';
import { AppError, conflict } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import { createRunCore, type RunListener, type RunsServiceDeps } from './run-core.js';
import { createRunLifecycle } from './run-lifecycle.js';
import type { LabelMatch } from './run-labels.repository.js';
import { progressOf } from './run-progress.js';
import { createRunSubmission } from './run-submit.js';
import { toRunView, WRITER_ID } from './runs.repository.js';
import { isTerminal, type RunView } from './runs.schemas.js';
import { stepMap } from './run-steps.js';

export {
  HEARTBEAT_MS,
  HEARTBEAT_STALE_MS,
  jobIdOf,
  type ControlAction,
  type RunListener,
  type RunsServiceDeps,
} from './run-core.js';

export function createRunsService(deps: RunsServiceDeps) {
  const { blobs } = deps;
  const core = createRunCore(deps);
  const { repo, row } = core;
  const submission = createRunSubmission(deps, core);
  const lifecycle = createRunLifecycle(deps, core);

  async function reportMetrics(
    id: string,
    points: Array<{ name: string; value: number; step?: number }>,
    source: string,
  ) {
    const r = await row(id);
    if (isTerminal(r.state))
      throw conflict(`run ${id} has ended (${r.state}); metrics are closed`, { reason: 'run_ended' });
    const next = await repo.nextSteps(id);
    const rows = points.map((p) => {
      const step = p.step ?? next.get(p.name) ?? 0;
      next.set(p.name, Math.max(step + 1, next.get(p.name) ?? 0));
      return { name: p.name, value: p.value, step, source };
    });
    await repo.addMetrics(id, rows);
    return rows.length;
  }

  return {
    submit: submission.submit,
    uploadCode: submission.uploadCode,
    codeExists: submission.codeExists,
    get: async (id: string) => toRunView(await row(id)),
    list: async (q: { state?: string; queue?: string; limit?: number; offset?: number } = {}) =>
      (await repo.list({ ...q, limit: q.limit ?? 50, offset: q.offset ?? 0 })).map(toRunView),
    /** Every run whose labels hold all of `match` (undefined: any value), newest first; one query. */
    listByLabels: async (match: LabelMatch) => (await repo.listByLabels(match)).map(toRunView),
    /**
     * Replaces a run's labels. Runs are history and never deleted, so a surface that "deletes" one
     * of its objects relabels the run instead (it then no longer matches the surface's label).
     */
    setLabels: async (id: string, labels: Record<string, string>) => {
      await row(id);
      await repo.setLabels(id, labels, nowIso());
      return toRunView(await row(id));
    },
    /** Progress of each run in whole percent, keyed by id (see run-progress.ts); one query. */
    progress: (views: RunView[]) => progressOf(repo, views),
    events: async (id: string) => (await row(id), repo.events(id)),
    /** The O-RAN five-step map of the run's latest attempt. */
    steps: async (id: string) => stepMap((await row(id)).state, await repo.events(id)),
    logs: async (id: string, afterSeq = 0, limit = 1000) => (await row(id), repo.logs(id, afterSeq, limit)),
    metrics: async (id: string, name?: string) => (await row(id), repo.metrics(id, name)),
    reportMetrics,
    params: async (id: string) => (await row(id), repo.params(id)),
    logParams: async (id: string, params: Record<string, unknown>) => {
      await row(id);
      await repo.setParams(
        id,
        Object.fromEntries(
          Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        ),
      );
    },
    artifacts: async (id: string) => (
      await row(id),
      (await repo.artifacts(id)).map(({ blobKey: _b, ...a }) => a)
    ),
    openArtifact: async (id: string, path: string): Promise<{ stream: Readable; sizeBytes: number }> => {
      const a = (await repo.artifacts((await row(id)).id)).find((x) => x.path === path);
      if (!a)
        throw new AppError('not_found', `run ${id} has no artifact '${path}'`, {
          reason: 'artifact_not_found',
        });
      return { stream: await blobs.get(a.blobKey), sizeBytes: a.sizeBytes };
    },
    cancel: (id: string) => lifecycle.control(id, 'cancel'),
    pause: (id: string) => lifecycle.control(id, 'pause'),
    resume: (id: string) => lifecycle.control(id, 'resume'),
    /** Subscribes to every state change and phase event; returns the unsubscribe function. */
    onChange(listener: RunListener): () => void {
      core.listeners.add(listener);
      lifecycle.startPoller();
      return () => core.listeners.delete(listener);
    },
    recover: lifecycle.recover,
    /** For the run worker of this module only. */
    internal: {
      repo,
      row,
      transition: core.transition,
      phase: core.phase,
      enqueue: core.enqueue,
      orphan: lifecycle.orphan,
      releaseEnded: core.releaseEnded,
      localControl: core.localControl,
      writerId: WRITER_ID,
    },
    close() {
      lifecycle.stopPoller();
    },
  };
}

export type RunsService = ReturnType<typeof createRunsService>;
