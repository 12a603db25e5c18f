/**
 * Tuning jobs: a hyperparameter search run by the server, each trial a training run (a built-in
 * learner, or the job's uploaded code with the trial's params in config.json).
 * The service checks and stores jobs and answers for them; the driver (tuning-driver.ts) runs
 * them and resumes them after a restart.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { conflict, notFound } from '../../errors.js';
import type { Db } from '../../infra/db/kysely.js';
import { nowIso } from '../../infra/db/kysely.js';
import type { DatasetsService } from '../datasets/index.js';
import type { RunsService } from '../runs/index.js';
import { createTuningDriver, type DriverOptions } from './tuning-driver.js';
import { checkJobInput } from './tuning-input.js';
import { ACTIVE_JOB_STATES, createTuningRepository, type JobRow } from './tuning.repository.js';
import type { CreateTuningJob, TuningJobDetail, TuningJobView } from './tuning.schemas.js';
import { toJobDetail, toJobView } from './tuning-views.js';

export interface TuningServiceDeps {
  db: Db;
  logger: Logger;
  datasets: DatasetsService;
  runs: RunsService;
  /** Driver timings; tests shorten them. */
  driver?: DriverOptions;
}

const isActive = (j: JobRow) => (ACTIVE_JOB_STATES as readonly string[]).includes(j.state);

export function createTuningService(deps: TuningServiceDeps) {
  const repo = createTuningRepository(deps.db);
  const driver = createTuningDriver(repo, deps.runs, deps.logger, deps.driver);

  async function row(name: string): Promise<JobRow> {
    const j = await repo.byName(name);
    if (!j) throw notFound('tuning job', name);
    return j;
  }

  async function create(input: CreateTuningJob, user: string | null): Promise<TuningJobDetail> {
    const { study, seed } = await checkJobInput(input, deps.datasets, (id) => deps.runs.codeExists(id));
    const now = nowIso();
    const j: JobRow = {
      id: randomUUID(),
      name: input.name,
      learner: input.learner ?? '',
      dataset: input.dataset ?? '',
      code_id: input.codeId ?? null,
      command: input.codeId ? (input.command ?? null) : null,
      target: input.target ?? null,
      fixed_params: JSON.stringify(input.params ?? {}),
      space: JSON.stringify(input.space),
      algorithm: input.algorithm ?? 'tpe',
      algorithm_options: JSON.stringify(input.algorithmOptions ?? {}),
      seed,
      metric: input.metric,
      direction: input.direction as JobRow['direction'],
      max_trials: input.maxTrials,
      parallelism: input.parallelism ?? 1,
      state: 'queued',
      study: JSON.stringify(study.toJSON()),
      best_trial: null,
      best_value: null,
      error: null,
      owner: null,
      heartbeat_at: null,
      created_by: user,
      created_at: now,
      updated_at: now,
      ended_at: null,
    };
    if (!(await repo.insert(j)))
      throw conflict(`tuning job '${input.name}' already exists`, {
        reason: 'name_taken',
        errors: [{ field: 'name', message: 'already taken' }],
      });
    await driver.take(j.id);
    return toJobDetail(j, []);
  }

  /** Ends a job: its trials still running are cancelled with their runs. */
  async function cancel(name: string): Promise<TuningJobDetail> {
    const j = await row(name);
    if (!isActive(j)) throw conflict(`tuning job '${name}' has ended (${j.state})`, { reason: 'job_ended' });
    if (!(await repo.updateActive(j.id, { state: 'cancelled', ended_at: nowIso() }))) return cancel(name);
    driver.wake(j.id);
    for (const t of await repo.trials(j.id)) {
      if (t.state !== 'running') continue;
      if (t.run_id) await deps.runs.cancel(t.run_id).catch(() => {}); // it may have just ended
      await repo.updateTrial(j.id, t.number, {
        state: 'cancelled',
        error: 'job cancelled',
        ended_at: nowIso(),
      });
    }
    return get(name);
  }

  async function get(name: string): Promise<TuningJobDetail> {
    const j = await row(name);
    return toJobDetail(j, await repo.trials(j.id));
  }

  async function list(q: { state?: string; limit?: number; offset?: number } = {}): Promise<TuningJobView[]> {
    const rows = await repo.list({ state: q.state, limit: q.limit ?? 100, offset: q.offset ?? 0 });
    return Promise.all(rows.map(async (j) => toJobView(j, await repo.trials(j.id))));
  }

  /** Deletes an ended job and its trial rows; its runs stay (runs are history). */
  async function remove(name: string): Promise<void> {
    const j = await row(name);
    if (isActive(j))
      throw conflict(`tuning job '${name}' is ${j.state}: cancel it first`, { reason: 'job_active' });
    await repo.remove(j.id);
  }

  return { create, get, list, cancel, remove, start: driver.start, close: driver.close };
}

export type TuningService = ReturnType<typeof createTuningService>;
