/**
 * The legacy (≤ 2024) O-RAN TM training-job operations behind oran-legacy.routes.ts: start a
 * version (a current-API O-RAN job for model id (name, "<version>")), the edit/retrain rule
 * (`enable_versioning`: a new version, else the latest edited in place and reset), deletion of what
 * a version trained, and the legacy record dump.
 */
import { AppError, conflict, invalid } from '../../errors.js';
import type { Deps } from '../../deps.js';
import type { Services } from '../../modules/index.js';
import type { PipelinesService } from '../../modules/runs/pipelines.js';
import type { OranJobs } from './oran-jobs.js';
import {
  createLegacyStore,
  overallStatus,
  startable,
  type LegacyRecord,
  type LegacyRow,
} from './oran-legacy-store.js';
import { findOran } from './oran-models.routes.js';

export interface LegacyDeps {
  services: Services;
  deps: Deps;
  jobs: OranJobs;
  pipelines: PipelinesService;
}

export function createLegacyService({ services, deps, jobs, pipelines }: LegacyDeps) {
  const { runs, registry: reg, featureGroups } = services;
  const store = createLegacyStore(deps.db, runs);

  async function checkRefs(rec: LegacyRecord) {
    await featureGroups.get(rec.featuregroup_name);
    const builtin = rec.pipeline_name.startsWith('builtin.');
    await pipelines.get(rec.pipeline_name, builtin ? undefined : rec.pipeline_version || undefined);
  }

  async function insert(name: string, version: number, rec: LegacyRecord) {
    try {
      await store.insert(name, version, rec);
    } catch (e) {
      if (e instanceof AppError) throw e;
      if ((await store.versions(name)).some((r) => r.version === version))
        throw conflict(`trainingjob name(${name}) version ${version} is already present in database`);
      throw e;
    }
  }

  /** Starts a version: a current-API job for model id (name, "<version>"). */
  async function start(r: LegacyRow, principal: string): Promise<void> {
    if (r.deletion_in_progress) throw invalid(`Trainingjob(${r.name}) version ${r.version} is being deleted`);
    if (!startable(r) || !(await store.claim(r)))
      throw invalid(
        `Trainingjob(${r.name}) version ${r.version} is already started; edit it (PUT) or retrain it when it is FINISHED or FAILED`,
      );
    const rec = JSON.parse(r.record) as LegacyRecord;
    const builtin = rec.pipeline_name.startsWith('builtin.');
    // User code also gets the legacy job's name and version, as the TM passed them to the pipeline.
    const args = builtin
      ? rec.arguments
      : { ...rec.arguments, trainingjob_name: r.name, version: String(r.version) };
    const body = {
      model_id: { modelname: r.name, modelversion: String(r.version) },
      training_config: {
        description: rec.description,
        dataPipeline: {
          feature_group_name: rec.featuregroup_name,
          query_filter: rec.query_filter,
          arguments: args,
        },
        trainingPipeline: {
          training_pipeline_name: rec.pipeline_name,
          training_pipeline_version: rec.pipeline_version,
          retraining_pipeline_name: rec.pipeline_name,
          retraining_pipeline_version: rec.pipeline_version,
        },
      },
      notification_url: rec.notification_url,
    };
    try {
      const job = await jobs.create(body, principal);
      await store.setStarted(r, job.id, job.run_id);
    } catch (e) {
      await store.setStarted(r, null, null);
      throw e;
    }
  }

  /** Drops the current-API job a version points at (stopping its run if still going). */
  async function dropJob(r: LegacyRow) {
    if (r.job_id === null) return;
    const job = await jobs.get(r.job_id).catch(() => null);
    if (job) await jobs.remove(job);
  }

  /** The latest version if it may be edited or retrained: not running, not being deleted. */
  async function editable(name: string): Promise<LegacyRow> {
    const r = await store.latest(name);
    if (r.deletion_in_progress) throw invalid(`Trainingjob(${name}) is being deleted`);
    const status = overallStatus(await store.steps(r));
    if (status === 'IN_PROGRESS')
      throw invalid(
        `Trainingjob(${name}) version ${r.version} is IN_PROGRESS, not in finished or failed status`,
      );
    return r;
  }

  /** A new version (enable_versioning) or the latest one edited in place and reset. */
  async function nextVersion(r: LegacyRow, rec: LegacyRecord): Promise<LegacyRow> {
    if (rec.enable_versioning) {
      await insert(r.name, r.version + 1, rec);
      return store.get(r.name, r.version + 1);
    }
    await dropJob(r);
    await store.overwrite(r, rec);
    return store.get(r.name, r.version);
  }

  async function render(r: LegacyRow, base: string) {
    const rec = JSON.parse(r.record) as LegacyRecord;
    const steps = await store.steps(r);
    const started = r.run_id !== null && !r.run_id.startsWith('starting:');
    return {
      trainingjob_name: r.name,
      description: rec.description,
      featuregroup_name: rec.featuregroup_name,
      feature_list: rec.featuregroup_name,
      pipeline_name: rec.pipeline_name,
      pipeline_version: rec.pipeline_version,
      experiment_name: rec.experiment_name,
      arguments: rec.arguments,
      query_filter: rec.query_filter,
      creation_time: r.created_at,
      updation_time: r.updated_at,
      run_id: started ? r.run_id : '',
      training_job_id: r.job_id,
      steps_state: steps,
      overall_status: overallStatus(steps),
      version: r.version,
      accuracy: await store.accuracy(r),
      enable_versioning: rec.enable_versioning,
      datalake_source: rec.datalake_source,
      model_url: steps.TRAINED_MODEL === 'FINISHED' ? modelUrl(base, r) : '',
      notification_url: rec.notification_url,
      _measurement: rec._measurement,
      bucket: rec.bucket,
      is_mme: rec.is_mme,
      model_name: rec.model_name,
      deletion_in_progress: r.deletion_in_progress === 1,
    };
  }
  const modelUrl = (base: string, r: LegacyRow) =>
    `${base}/model/${encodeURIComponent(r.name)}/${r.version}/Model.zip`;

  /** The MME registration this version trained, as the TM deleted the model from its store. */
  async function deleteModel(r: LegacyRow) {
    if (r.run_id === null) return;
    const v = await findOran(reg, r.name, String(r.version));
    if (!v || v.metadata.find((m) => m.key === 'modelVersion')?.value !== String(r.version)) return;
    await reg
      .delete(v.id)
      .catch((err: unknown) => deps.logger.warn({ err, model: v.id }, 'legacy O-RAN job: registration kept'));
  }

  return { store, checkRefs, insert, start, dropJob, editable, nextVersion, render, modelUrl, deleteModel };
}
