/**
 * Training runs: submit (built-in learner or user code), the state machine held in the database,
 * control (cancel, pause, resume), metrics/params/logs/artifacts, notifications on every change,
 * and recovery after a restart. Execution itself is in run-worker.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Deps } from '../../deps.js';
import { AppError, conflict, invalid, notFound } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import { getLearner, learners, LearnParamError } from '../../learn/index.js';
import type { DatasetsService, DatasetVersionView } from '../datasets/index.js';
import type { RegistryService } from '../registry/index.js';
import type { TokensService } from '../tokens/tokens.service.js';
import { unpackCode } from './archive.js';
import {
  createRunsRepository,
  toRunView,
  WRITER_ID,
  type RunRow,
  type TransitionOptions,
} from './runs.repository.js';
import {
  isTerminal,
  type CodeView,
  type RunEventView,
  type RunInput,
  type RunState,
  type RunView,
} from './runs.schemas.js';
import { stepMap } from './run-steps.js';

export interface RunsServiceDeps extends Deps {
  datasets: DatasetsService;
  registry: RegistryService;
  tokens: TokensService;
  /** Extracts a feature group into a new dataset version (the feature-groups service's extract). */
  extractFeatureGroup?: (name: string) => Promise<DatasetVersionView>;
}

/** Called after every state change and phase event of any run. */
export type RunListener = (run: RunView, event: RunEventView) => void;
export type ControlAction = 'cancel' | 'pause' | 'resume';

/** A worker's heartbeat is refreshed this often; a running run silent for HEARTBEAT_STALE_MS is orphaned. */
export const HEARTBEAT_MS = 2000;
export const HEARTBEAT_STALE_MS = 15_000;
const QUEUE_RULE = /^[A-Za-z0-9._-]{1,100}$/;
const CODE_RULE = /^[A-Za-z0-9-]{1,64}$/;

export const jobIdOf = (runId: string, attempt: number) => `${runId}-a${attempt}`;

export function createRunsService(deps: RunsServiceDeps) {
  const { db, blobs, logger, datasets } = deps;
  const repo = createRunsRepository(db);
  const listeners = new Set<RunListener>();
  /** Runs executing in this process: how to deliver a control request at once. */
  const localControl = new Map<string, (action: ControlAction) => void>();
  let poller: NodeJS.Timeout | undefined;

  function emit(row: RunRow, event: RunEventView) {
    const view = toRunView(row);
    for (const l of listeners) {
      try {
        l(view, event);
      } catch (e) {
        logger.warn({ err: e }, 'a run listener threw');
      }
    }
  }

  async function row(id: string): Promise<RunRow> {
    const r = await repo.get(id);
    if (!r) throw notFound('run', id);
    return r;
  }

  async function transition(id: string, from: RunState[], to: RunState, opts: TransitionOptions = {}) {
    const done = await repo.transition(id, from, to, opts);
    if (done) emit(done.row, done.event);
    return done?.row ?? null;
  }

  async function phase(id: string, name: string, status: string, message: string | null = null) {
    const event = await repo.phase(id, name, status, message);
    emit(await row(id), event);
  }

  async function enqueue(r: RunRow): Promise<void> {
    const delayMs = r.not_before ? Math.max(0, Date.parse(r.not_before) - Date.now()) : 0;
    await deps.queue.add(r.queue, {
      id: jobIdOf(r.id, r.attempt + 1),
      name: 'run',
      data: { runId: r.id, attempt: r.attempt + 1 },
      ...(r.priority > 0 ? { priority: r.priority } : {}),
      ...(delayMs > 0 ? { delayMs } : {}),
    });
  }

  function checkLearner(name: string, params: Record<string, unknown>) {
    if (!(name in learners)) {
      throw invalid(`learner '${name}' is unknown (known: ${Object.keys(learners).join(', ')})`, {
        reason: 'unknown_learner',
        errors: [{ field: 'learner', message: `must be one of ${Object.keys(learners).join(', ')}` }],
      });
    }
    try {
      getLearner(name).validate(params);
    } catch (e) {
      if (e instanceof LearnParamError)
        throw invalid(e.message, {
          reason: 'invalid_param',
          errors: [{ field: `params.${e.param}`, message: e.message }],
        });
      throw e;
    }
  }

  async function datasetOf(input: RunInput): Promise<DatasetVersionView | null> {
    if (input.dataset && input.featureGroup)
      throw invalid('give dataset or featureGroup, not both', {
        errors: [{ field: 'featureGroup', message: 'conflicts with dataset' }],
      });
    if (input.featureGroup) {
      if (!deps.extractFeatureGroup)
        throw invalid('feature groups are not available here', { reason: 'no_feature_groups' });
      return deps.extractFeatureGroup(input.featureGroup);
    }
    if (!input.dataset) return null;
    const m = /^(.+?)(?:@(\d+|latest))?$/.exec(input.dataset)!;
    return datasets.getVersion(m[1]!, m[2] && m[2] !== 'latest' ? Number(m[2]) : 'latest');
  }

  async function submit(input: RunInput, user: string | null): Promise<RunView> {
    const params = input.params ?? {};
    if (!!input.learner === !!input.codeId)
      throw invalid('a run needs either learner (built-in) or codeId + command (user code)', {
        reason: 'invalid_run',
        errors: [
          { field: input.learner ? 'codeId' : 'learner', message: 'exactly one of learner and codeId' },
        ],
      });
    if (input.learner) checkLearner(input.learner, params);
    if (input.codeId && !input.command)
      throw invalid('command is required with codeId', {
        errors: [{ field: 'command', message: 'required with codeId' }],
      });
    if (input.codeId && !(CODE_RULE.test(input.codeId) && (await repo.getCode(input.codeId))))
      throw notFound('code', input.codeId);
    const queue = input.queue ?? 'default';
    if (!QUEUE_RULE.test(queue))
      throw invalid(`queue '${queue}' is invalid`, {
        errors: [{ field: 'queue', message: 'letters, digits, . _ - (1–100)' }],
      });
    // Fails early (404) when the target registry version does not exist.
    if (input.modelVersionId) await deps.registry.get(input.modelVersionId);
    const version = await datasetOf(input);
    const target = input.target ?? version?.target ?? null;
    if (input.learner) {
      if (!version)
        throw invalid('a built-in learner needs a dataset or featureGroup', {
          errors: [{ field: 'dataset', message: 'required with learner' }],
        });
      if (version.format !== 'csv')
        throw invalid(`dataset ${version.name}@${version.version} is not tabular`, {
          errors: [{ field: 'dataset', message: 'must be a CSV dataset' }],
        });
      if (!target)
        throw invalid('target is required: the dataset has none', {
          errors: [{ field: 'target', message: 'required' }],
        });
    }
    if (version && target && !version.columns.some((c) => c.name === target))
      throw invalid(`target '${target}' is not a column of ${version.name}@${version.version}`, {
        reason: 'unknown_column',
        errors: [
          {
            field: 'target',
            message: `not a column (columns: ${version.columns.map((c) => c.name).join(', ')})`,
          },
        ],
      });
    const now = nowIso();
    const id = randomUUID();
    const r: RunRow = {
      id,
      name: input.name ?? (input.learner ? `${input.learner}${version ? `-${version.name}` : ''}` : 'run'),
      kind: input.learner ? 'builtin' : 'code',
      learner: input.learner ?? null,
      command: input.command ?? null,
      code_id: input.codeId ?? null,
      params: JSON.stringify(params),
      dataset_version_id: version?.id ?? null,
      dataset_name: version?.name ?? null,
      dataset_version: version?.version ?? null,
      feature_group: input.featureGroup ?? null,
      target,
      resources: JSON.stringify(input.resources ?? {}),
      timeout_ms: input.timeoutMs ?? null,
      max_attempts: (input.retries ?? 0) + 1,
      backoff_ms: input.backoffMs ?? 1000,
      attempt: 0,
      priority: input.priority ?? 0,
      queue,
      state: 'queued',
      reason: 'submitted',
      message: null,
      control: null,
      model_name: input.modelName ?? null,
      model_version_id: input.modelVersionId ?? null,
      token_id: null,
      worker_id: null,
      heartbeat_at: null,
      not_before: null,
      labels: JSON.stringify(input.labels ?? {}),
      created_by: user,
      created_at: now,
      updated_at: now,
      started_at: null,
      ended_at: null,
    };
    const event = await repo.insert(r);
    if (version) await datasets.addReference(version.id, { kind: 'run', id });
    emit(r, event);
    await enqueue(r);
    return toRunView(r);
  }

  async function uploadCode(fileName: string, bytes: Uint8Array): Promise<CodeView> {
    const { format, files } = unpackCode(fileName, bytes);
    const id = randomUUID();
    const key = `runs/code/${id}`;
    await blobs.put(key, Buffer.from(bytes));
    const createdAt = nowIso();
    const paths = files.map((f) => f.path);
    await repo.insertCode({
      id,
      file_name: fileName,
      format,
      blob_key: key,
      size_bytes: bytes.length,
      files: JSON.stringify(paths),
      created_at: createdAt,
    });
    return { id, fileName, format, sizeBytes: bytes.length, files: paths, createdAt };
  }

  async function control(id: string, action: ControlAction): Promise<RunView> {
    const r = await row(id);
    if (action === 'cancel' && r.state === 'queued') {
      const done = await transition(id, ['queued'], 'cancelled', {
        reason: 'cancelled_by_user',
        set: { ended_at: nowIso() },
      });
      if (done) {
        await deps.queue.remove(r.queue, jobIdOf(id, r.attempt + 1)).catch(() => false);
        await datasetsRelease(done);
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
    await repo.update(id, { control: action });
    localControl.get(id)?.(action);
    return toRunView(await row(id));
  }

  async function datasetsRelease(r: RunRow) {
    if (r.dataset_version_id)
      await datasets.removeReference(r.dataset_version_id, { kind: 'run', id: r.id }).catch(() => undefined);
  }

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

  /** Moves an orphaned run (its executor died with a process) back to queued, or fails it. */
  async function orphan(r: RunRow, reason: string): Promise<void> {
    if (r.token_id) await deps.tokens.revoke(r.token_id).catch(() => undefined);
    const from: RunState[] = ['running', 'paused'];
    if (r.attempt < r.max_attempts) {
      const back = await transition(r.id, from, 'queued', {
        reason,
        set: { worker_id: null, control: null, token_id: null, not_before: null },
      });
      if (back) await enqueue(back);
    } else {
      const done = await transition(r.id, from, 'failed', {
        reason,
        message: 'the process executing the run ended',
        set: { ended_at: nowIso(), token_id: null },
      });
      if (done) await datasetsRelease(done);
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
            if (r) emit(r, event);
          }
          if (seen.size > 10_000) seen.clear();
        })
        .catch((e: unknown) => logger.warn({ err: e }, 'run event poll failed'));
    }, 500);
    poller.unref();
  }

  return {
    submit,
    uploadCode,
    get: async (id: string) => toRunView(await row(id)),
    list: async (q: { state?: string; queue?: string; limit?: number; offset?: number } = {}) =>
      (await repo.list({ ...q, limit: q.limit ?? 50, offset: q.offset ?? 0 })).map(toRunView),
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
    cancel: (id: string) => control(id, 'cancel'),
    pause: (id: string) => control(id, 'pause'),
    resume: (id: string) => control(id, 'resume'),
    /** Subscribes to every state change and phase event; returns the unsubscribe function. */
    onChange(listener: RunListener): () => void {
      listeners.add(listener);
      startPoller();
      return () => listeners.delete(listener);
    },
    recover,
    /** For the run worker of this module only. */
    internal: {
      repo,
      row,
      transition,
      phase,
      enqueue,
      orphan,
      datasetsRelease,
      localControl,
      writerId: WRITER_ID,
    },
    close() {
      if (poller) clearInterval(poller);
      poller = undefined;
    },
  };
}

export type RunsService = ReturnType<typeof createRunsService>;
