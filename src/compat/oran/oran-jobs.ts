/**
 * O-RAN training jobs as a service shared by the current TM API (oran-training-jobs.routes.ts)
 * and the legacy one (oran-legacy.routes.ts): create-and-start (feature group → dataset → run →
 * model registration), the TM's record dump, removal. A job is a run, labelled
 * `oran_training_job=<id>`; its integer id, request record and metrics are in `oran_training_jobs`.
 */
import { AppError, invalid, notFound } from '../../errors.js';
import type { Deps } from '../../deps.js';
import { nowIso } from '../../infra/db/kysely.js';
import type { Services } from '../../modules/index.js';
import type { PipelinesService } from '../../modules/runs/pipelines.js';
import { findOran, ORAN_PROJECT } from './oran-models.routes.js';
import { parseJobRequest, toRunParams } from './oran-training-request.js';

export const ORAN_JOB_LABEL = 'oran_training_job';

export interface OranJobRow {
  id: number;
  run_id: string;
  model_version_id: string;
  model_name: string;
  model_version: string;
  record: string;
  metrics: string;
  created_at: string;
}
export type OranJobRecord = ReturnType<typeof parseJobRequest>['record'];

export function createOranJobs(services: Services, deps: Deps, pipelines: PipelinesService) {
  const { runs, registry: reg, featureGroups } = services;
  const db = deps.db.withTables<{ oran_training_jobs: OranJobRow }>();

  async function get(id: number): Promise<OranJobRow> {
    const r = await db.selectFrom('oran_training_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('training job', id);
    return r;
  }

  /** The stored record as the TM dumps it: nulls as "", plus the live artifact version and model URL. */
  async function render(r: OranJobRow, baseUrl: string) {
    const rec = JSON.parse(r.record) as OranJobRecord;
    const steps = await runs.steps(r.run_id).catch(() => null);
    const v = await reg.get(r.model_version_id).catch(() => null);
    const artifactVersion = v?.artifactVersion ?? rec.artifactVersion;
    const modelUrl =
      steps?.TRAINED_MODEL === 'FINISHED'
        ? `${baseUrl}/model/${encodeURIComponent(r.model_name)}/${encodeURIComponent(r.model_version)}/${artifactVersion}/Model.zip`
        : '';
    return {
      id: r.id,
      modelId: {
        id: r.model_version_id,
        modelname: r.model_name,
        modelversion: r.model_version,
        artifactversion: artifactVersion,
      },
      model_id: r.model_version_id,
      training_config: rec.trainingConfig,
      model_location: rec.modelLocation,
      training_dataset: rec.trainingDataset,
      validation_dataset: rec.validationDataset,
      notification_url: rec.notificationUrl,
      consumer_rapp_id: rec.consumerRAppId,
      producer_rapp_id: rec.producerRAppId,
      model_url: modelUrl,
      run_id: r.run_id,
      steps_state: steps,
      creation_time: r.created_at,
    };
  }

  /** Allocates the next integer id with the row (retried if another request took the same id). */
  async function insertJob(row: Omit<OranJobRow, 'id'>): Promise<number> {
    for (let tries = 0; ; tries++) {
      const max = await db
        .selectFrom('oran_training_jobs')
        .select((eb) => eb.fn.max('id').as('m'))
        .executeTakeFirst();
      const id = Number(max?.m ?? 0) + 1;
      try {
        await db
          .insertInto('oran_training_jobs')
          .values({ id, ...row })
          .execute();
        return id;
      } catch (e) {
        if (tries >= 5) throw e;
      }
    }
  }

  /**
   * Creates and starts a job from a TM training request (either dialect): the new job's row. A
   * refused request leaves nothing behind (no job, no registration it made).
   */
  async function create(body: Record<string, unknown>, principal: string): Promise<OranJobRow> {
    const { record, pipeline: pick, dataPipeline } = parseJobRequest(body);
    let v = await findOran(reg, record.modelName, record.modelVersion);
    if (v && record.modelLocation && record.modelLocation !== v.uri)
      throw invalid(`modelLocation '${record.modelLocation}' differs from the registered '${v.uri}'`);
    let featureGroup = dataPipeline.featureGroupName;
    if (!featureGroup) {
      // As the TM: the group whose feature list is the model's registered input data type.
      const input = v?.metadata.find((m) => m.key === 'inputDataType')?.value ?? '';
      const all = (await featureGroups.list({ limit: 1000 })).items;
      const hits = all.filter((g) => input !== '' && g.featureList.join(',') === input);
      if (hits.length !== 1)
        throw invalid(
          `feature_group_name is empty and ${hits.length} feature groups match the model's inputDataType '${input}'`,
        );
      featureGroup = hits[0]!.name;
    }
    await featureGroups.get(featureGroup);
    const fresh = !v || (v.artifactVersion === '0.0.0' && v.uri === '');
    const chosen = fresh ? pick.training : pick.retraining;
    if (!chosen.name)
      throw invalid(
        fresh
          ? 'Provide training pipeline name (trainingPipeline.training_pipeline_name)'
          : 'Provide retraining pipeline name and version',
      );
    const pipeline = await pipelines.get(
      chosen.name,
      chosen.name.startsWith('builtin.') ? undefined : chosen.version || undefined,
    );
    // A model id the MME does not know yet is registered, as a client would do first (and
    // unregistered again if the job cannot start, so a refused request leaves nothing behind).
    const registered = v === undefined;
    v ??= await reg.create(
      {
        name: record.modelName,
        project: ORAN_PROJECT,
        comment: record.trainingConfig.description ?? '',
        uri: record.modelLocation,
        metadata: [
          { key: 'modelVersion', type: 'str', value: record.modelVersion },
          {
            key: 'inputDataType',
            type: 'str',
            value: (await featureGroups.get(featureGroup)).featureList.join(','),
          },
          { key: 'outputDataType', type: 'str', value: '' },
        ],
      },
      principal,
    );
    const id = await insertJob({
      run_id: `pending-${Date.now()}-${Math.random()}`,
      model_version_id: v.id,
      model_name: record.modelName,
      model_version: record.modelVersion,
      record: JSON.stringify({ ...record, artifactVersion: v.artifactVersion }),
      metrics: '{}',
      created_at: nowIso(),
    });
    try {
      const runInput = pipelines.runInputOf(pipeline);
      const params = toRunParams(dataPipeline.arguments, 'learner' in runInput, {
        trainingjob_id: String(id),
        featuregroup_name: featureGroup,
        modelName: record.modelName,
        modelVersion: record.modelVersion,
        modellocation: record.modelLocation,
      });
      const dataset = dataPipeline.queryFilter
        ? await featureGroups.extract(featureGroup, { queryFilter: dataPipeline.queryFilter })
        : null;
      const run = await runs.submit(
        {
          name: `oran-job-${id}`,
          ...runInput,
          params,
          ...(dataset ? { dataset: `${dataset.name}@${dataset.version}` } : { featureGroup }),
          modelVersionId: v.id,
          labels: { [ORAN_JOB_LABEL]: String(id), pipeline: `${pipeline.name}@${pipeline.version}` },
        },
        principal,
      );
      await db.updateTable('oran_training_jobs').set({ run_id: run.id }).where('id', '=', id).execute();
    } catch (e) {
      await db.deleteFrom('oran_training_jobs').where('id', '=', id).execute();
      if (registered)
        await reg
          .delete(v.id)
          .catch((err: unknown) => deps.logger.warn({ err, model: v.id }, 'O-RAN registration kept'));
      throw e;
    }
    return get(id);
  }

  /** Stops the job's run if it is still going and removes the job (the run stays as history). */
  async function remove(r: OranJobRow): Promise<void> {
    await runs.cancel(r.run_id).catch((e: unknown) => {
      // Already ended: nothing to stop.
      if (!(e instanceof AppError && (e.code === 'conflict' || e.code === 'not_found'))) throw e;
    });
    await db.deleteFrom('oran_training_jobs').where('id', '=', r.id).execute();
  }

  return { db, get, render, create, remove };
}

export type OranJobs = ReturnType<typeof createOranJobs>;
