/**
 * Batch prediction jobs: score uploaded files (CSV tables with a header) with one registry model
 * version, keep the results. A job is a row with a state machine (queued → running → succeeded |
 * failed | cancelled); its inputs and results are blobs, so a restarted server runs again what
 * was queued or running. Jobs run one at a time in the server process, on the same runtime as
 * deployments (a one-replica pool of the version, closed when the job ends).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppError, conflict, invalid } from '../../errors.js';
import type { Deps } from '../../deps.js';
import { isUniqueViolation, nowIso } from '../../infra/db/kysely.js';
import type { RegistryService } from '../registry/index.js';
import { parseCsvTable } from '../serving/csv-payload.js';
import { VERSION } from '../../version.js';
import { checkName } from './deployments-validate.js';
import { checkFiles, checkThreshold, resolveJobModel } from './predict-jobs-input.js';
import type { SubmitPredictJob } from './predict-jobs-input.js';
import {
  createPredictJobsRepository,
  type PredictJobInput,
  type PredictJobRow,
} from './predict-jobs.repository.js';
import { createReplicaPool } from './replica-pool.js';
import { loadVersion, registryServiceSource, versionRef } from './registry-model-loader.js';
import { samplesOf, type PredictSample } from './predict-samples.js';

export type { PredictJobInputFile, SubmitPredictJob } from './predict-jobs-input.js';

export type PredictJobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
const ACTIVE: PredictJobState[] = ['queued', 'running'];
const MAX_FILE_BYTES = 1024 ** 3;
/** The `references` kind a job records on its model version while it may run. */
const REFERRER_KIND = 'predict_job';

export type PredictJobsDeps = Pick<Deps, 'db' | 'blobs' | 'logger'> & {
  config: { dataDir: string; uploadLimitBytes?: number };
  registry: RegistryService;
};

export interface PredictJobView {
  id: string;
  name: string;
  model: string;
  versionId: string;
  threshold: number | null;
  state: PredictJobState;
  error: string | null;
  inputs: Array<{ field: string; fileName: string; sizeBytes: number }>;
  samples: number;
  labels: Record<string, string>;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

/** The stored result of a succeeded job. */
export interface PredictJobResult {
  model: string;
  targetType: string;
  samples: PredictSample[];
}

export function createPredictJobsService(deps: PredictJobsDeps) {
  const repo = createPredictJobsRepository(deps.db);
  const source = registryServiceSource(deps.registry);
  const cacheDir = join(deps.config.dataDir, 'deployments-cache');
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const view = (r: PredictJobRow): PredictJobView => ({
    id: r.id,
    name: r.name,
    model: r.model_ref,
    versionId: r.version_id,
    threshold: r.threshold,
    state: r.state as PredictJobState,
    error: r.error,
    inputs: (JSON.parse(r.inputs) as PredictJobInput[]).map(({ field, fileName, sizeBytes }) => ({
      field,
      fileName,
      sizeBytes,
    })),
    samples: r.samples,
    labels: JSON.parse(r.labels) as Record<string, string>,
    createdBy: r.created_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  });

  async function mustGet(name: string): Promise<PredictJobRow> {
    const r = await repo.byName(name);
    if (!r)
      throw new AppError('not_found', `prediction '${name}' was not found`, {
        reason: 'predict_job_not_found',
      });
    return r;
  }

  async function submit(input: SubmitPredictJob, user?: string): Promise<PredictJobView> {
    const name = checkName(input.name);
    const threshold = input.threshold ?? null;
    checkThreshold(threshold);
    checkFiles(input.files);
    if (await repo.byName(name))
      throw conflict(`prediction '${name}' already exists`, { reason: 'predict_job_exists' });
    const v = await resolveJobModel(deps.registry, input.model, input.project);
    const id = randomBytes(16).toString('hex');
    const inputs: PredictJobInput[] = [];
    try {
      for (const [i, f] of input.files.entries()) {
        const blobKey = `predict-jobs/${id}/inputs/${i}`;
        const info = await deps.blobs.put(blobKey, f.bytes);
        inputs.push({ field: f.field, fileName: f.fileName, blobKey, sizeBytes: info.sizeBytes });
      }
      await repo.insert({
        id,
        name,
        model_ref: input.model,
        version_id: v.id,
        threshold,
        state: 'queued',
        error: null,
        inputs: JSON.stringify(inputs),
        result_key: null,
        samples: 0,
        labels: JSON.stringify(input.labels ?? {}),
        created_by: user ?? null,
        created_at: nowIso(),
        started_at: null,
        ended_at: null,
      });
      // While the job may still run, its version cannot be deleted (409 model_in_use).
      await deps.registry.addReference(v.id, { kind: REFERRER_KIND, id });
    } catch (e) {
      // Nothing half-written: the row and the uploaded inputs go with the refused job.
      await repo.remove(id);
      await deps.blobs.deletePrefix(`predict-jobs/${id}/`);
      if (isUniqueViolation(e))
        throw conflict(`prediction '${name}' already exists`, { reason: 'predict_job_exists' });
      throw e;
    }
    schedule(id);
    return view((await repo.byId(id))!);
  }

  /** Frees the job's model version for deletion once the job can no longer run. */
  async function release(r: PredictJobRow) {
    await deps.registry
      .removeReference(r.version_id, { kind: REFERRER_KIND, id: r.id })
      .catch((e: unknown) => deps.logger.warn({ err: e, job: r.id }, 'model reference not released'));
  }

  function schedule(id: string) {
    chain = chain
      .then(() => run(id))
      .catch((e: unknown) => deps.logger.error({ err: e, job: id }, 'prediction job crashed'));
  }

  /** Runs one queued job to an end state; a job cancelled meanwhile is left cancelled. */
  async function run(id: string): Promise<void> {
    if (closed) return;
    if (!(await repo.transition(id, ['queued'], { state: 'running', started_at: nowIso() }))) return;
    const row = (await repo.byId(id))!;
    let pool: Awaited<ReturnType<typeof createReplicaPool>> | null = null;
    try {
      const v = versionRef(await deps.registry.get(row.version_id));
      pool = await createReplicaPool({
        name: row.name,
        urlPrefix: `/predict-jobs/${row.name}`,
        label: `${v.name}/${v.version}`,
        versionId: v.id,
        replicas: 1,
        load: () => loadVersion(source, v, cacheDir),
        serve: {},
        serverVersion: VERSION,
      });
      const samples: PredictSample[] = [];
      for (const input of JSON.parse(row.inputs) as PredictJobInput[]) {
        if (closed) return; // left running: the next start runs it again
        if ((await repo.byId(id))?.state !== 'running') return; // stopped meanwhile
        const table = parseCsvTable(await deps.blobs.getBuffer(input.blobKey));
        const out = await pool.score(table);
        // One push per sample: spreading a large file's rows as arguments overflows the stack.
        for (const sample of samplesOf(
          input.fileName,
          pool.targetType,
          out.scores,
          out.labels,
          row.threshold,
        ))
          samples.push(sample);
      }
      const result: PredictJobResult = { model: pool.label, targetType: pool.targetType, samples };
      const resultKey = `predict-jobs/${id}/result.json`;
      await deps.blobs.put(resultKey, JSON.stringify(result));
      await repo.transition(id, ['running'], {
        state: 'succeeded',
        result_key: resultKey,
        samples: samples.length,
        ended_at: nowIso(),
      });
      await release(row);
    } catch (e) {
      await repo.transition(id, ['running'], {
        state: 'failed',
        error: (e as Error).message,
        ended_at: nowIso(),
      });
      await release(row);
    } finally {
      await pool?.drainAndClose(0);
    }
  }

  /**
   * A job with its result (null until it succeeded); `offset`/`limit` page the samples, `total`
   * counts them all.
   */
  async function results(
    name: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<{ job: PredictJobView; result: PredictJobResult | null; total: number }> {
    const r = await mustGet(name);
    const offset = page.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0)
      throw invalid(`offset must be an integer ≥ 0 (got ${offset})`, {
        errors: [{ field: 'offset', message: 'must be an integer ≥ 0' }],
      });
    if (page.limit !== undefined && !(Number.isInteger(page.limit) && page.limit >= 1))
      throw invalid(`limit must be an integer ≥ 1 (got ${page.limit})`, {
        errors: [{ field: 'limit', message: 'must be an integer ≥ 1' }],
      });
    if (!r.result_key) return { job: view(r), result: null, total: 0 };
    const all = JSON.parse((await deps.blobs.getBuffer(r.result_key)).toString('utf8')) as PredictJobResult;
    const end = page.limit === undefined ? undefined : offset + page.limit;
    return {
      job: view(r),
      result: { ...all, samples: all.samples.slice(offset, end) },
      total: all.samples.length,
    };
  }

  async function stop(name: string): Promise<PredictJobView> {
    const r = await mustGet(name);
    const moved = await repo.transition(r.id, ACTIVE, { state: 'cancelled', ended_at: nowIso() });
    if (!moved)
      throw invalid(`prediction '${name}' has already ended (${r.state})`, { reason: 'predict_job_ended' });
    await release(r);
    return view((await repo.byId(r.id))!);
  }

  async function remove(name: string): Promise<{ deleted: true; name: string }> {
    const r = await mustGet(name);
    if ((ACTIVE as string[]).includes(r.state))
      throw conflict(`prediction '${name}' is ${r.state}; stop it before deleting`, {
        reason: 'predict_job_active',
      });
    await repo.remove(r.id);
    await deps.blobs.deletePrefix(`predict-jobs/${r.id}/`);
    return { deleted: true as const, name };
  }

  return {
    /** Largest input file a caller should accept: the upload limit, at most 1 GiB (scored in memory). */
    maxFileBytes: Math.min(deps.config.uploadLimitBytes ?? Infinity, MAX_FILE_BYTES),
    submit,
    get: async (name: string) => view(await mustGet(name)),
    list: async (opts: { model?: string } = {}) => (await repo.list(opts.model)).map(view),
    results,
    stop,
    delete: remove,
    /** Server start: runs again what a previous process left queued or running. */
    async resume(): Promise<void> {
      closed = false;
      for (const r of await repo.byStates(ACTIVE)) {
        if (r.state === 'running')
          await repo.transition(r.id, ['running'], { state: 'queued', started_at: null });
        schedule(r.id);
      }
    },
    /** Resolves when every job scheduled so far has ended (or been left for the next start). */
    idle: () => chain,
    async close(): Promise<void> {
      closed = true;
      await chain;
    },
  };
}

export type PredictJobsService = ReturnType<typeof createPredictJobsService>;
