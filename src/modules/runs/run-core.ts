/**
 * The shared core of the runs service: the repository, change listeners, and the primitives every
 * other part builds on (load a row, transition it, record a phase, put it on the queue).
 */
import type { Deps } from '../../deps.js';
import { notFound } from '../../errors.js';
import type { DatasetsService, DatasetVersionView } from '../datasets/index.js';
import type { RegistryService } from '../registry/index.js';
import type { TokensService } from '../tokens/tokens.service.js';
import { createRunsRepository, toRunView, type RunRow, type TransitionOptions } from './runs.repository.js';
import type { RunEventView, RunState, RunView } from './runs.schemas.js';

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

export const jobIdOf = (runId: string, attempt: number) => `${runId}-a${attempt}`;
/** Where a built-in run's training state lives between attempts (JSON of a learn Checkpoint). */
export const checkpointKey = (runId: string) => `runs/${runId}/checkpoint.json`;

export function createRunCore(deps: RunsServiceDeps) {
  const { db, logger, datasets } = deps;
  const repo = createRunsRepository(db);
  const listeners = new Set<RunListener>();
  /** Runs executing in this process: how to deliver a control request at once. */
  const localControl = new Map<string, (action: ControlAction) => void>();

  function emit(r: RunRow, event: RunEventView) {
    const view = toRunView(r);
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

  /** Frees what a run held once it ended: its dataset and model version uses and any saved checkpoint. */
  async function releaseEnded(r: RunRow) {
    if (r.dataset_version_id)
      await datasets.removeReference(r.dataset_version_id, { kind: 'run', id: r.id }).catch(() => undefined);
    await deps.registry.forgetReferrer({ kind: 'run', id: r.id }).catch(() => undefined);
    if (r.kind === 'builtin') await deps.blobs.delete(checkpointKey(r.id)).catch(() => undefined);
  }

  return { repo, listeners, localControl, emit, row, transition, phase, enqueue, releaseEnded };
}

export type RunCore = ReturnType<typeof createRunCore>;
