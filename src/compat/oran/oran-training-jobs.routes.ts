/**
 * O-RAN SC AI/ML Training Manager training jobs on the runs service. A training job is a run
 * (started at once) trained into the MME registration of its model id; its integer id, request
 * record and free-form metrics are kept in `oran_training_jobs`. Pipelines (oran-pipelines.routes.ts)
 * map onto the runs module's pipelines; step notifications (oran-notifications.ts) come from the
 * runs service's change hook. Field names of both request dialects are accepted:
 * the R1AP camelCase form and the older snake_case one.
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, invalid, notFound } from '../../errors.js';
import { installAuth } from '../../http/auth.js';
import { nowIso } from '../../infra/db/kysely.js';
import { createPipelinesService } from '../../modules/runs/pipelines.js';
import type { CompatSurface } from '../index.js';
import { findOran, ORAN_PROJECT } from './oran-models.routes.js';
import { startOranNotifications } from './oran-notifications.js';
import { installOranProblemHandler } from './oran-problem.js';
import { registerOranPipelineRoutes } from './oran-pipelines.routes.js';
import { parseJobRequest, toRunParams } from './oran-training-request.js';

const V1 = '/ai-ml-model-training/v1';
const JOBS = `${V1}/training-jobs`;
const LABEL = 'oran_training_job';
const tags = ['o-ran'];

interface JobRow {
  id: number;
  run_id: string;
  model_version_id: string;
  model_name: string;
  model_version: string;
  record: string;
  metrics: string;
  created_at: string;
}
type Record_ = ReturnType<typeof parseJobRequest>['record'];

const IdParams = Type.Object({ id: Type.Integer({ minimum: 0 }) });

export const oranTrainingJobRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { runs, registry: reg, featureGroups } = services;
  const db = deps.db.withTables<{ oran_training_jobs: JobRow }>();
  const pipelines = createPipelinesService({ db: deps.db, runs });
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
  // The feature-groups service names the filter `queryFilter`; the client sent `query_filter`.
  installOranProblemHandler(app, { detail: (e) => e.message.replace(/\bqueryFilter\b/g, 'query_filter') });
  await app.register(multipart, { limits: { files: 1, fields: 8, fileSize: deps.config.uploadLimitBytes } });

  async function job(id: number): Promise<JobRow> {
    const r = await db.selectFrom('oran_training_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw notFound('training job', id);
    return r;
  }

  const baseUrl = (req: FastifyRequest) => deps.config.publicUrl || `${req.protocol}://${req.host}`;

  /** The stored record as the TM dumps it: nulls as "", plus the live artifact version and model URL. */
  async function render(r: JobRow, req: FastifyRequest) {
    const rec = JSON.parse(r.record) as Record_;
    const steps = await runs.steps(r.run_id).catch(() => null);
    const v = await reg.get(r.model_version_id).catch(() => null);
    const artifactVersion = v?.artifactVersion ?? rec.artifactVersion;
    const modelUrl =
      steps?.TRAINED_MODEL === 'FINISHED'
        ? `${baseUrl(req)}/model/${encodeURIComponent(r.model_name)}/${encodeURIComponent(r.model_version)}/${artifactVersion}/Model.zip`
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
  async function insertJob(row: Omit<JobRow, 'id'>): Promise<number> {
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

  // The whole step map, POSTed to the job's notification URL on every change of it.
  const notifications = startOranNotifications({
    runs,
    logger: deps.logger,
    label: LABEL,
    urlOf: async (id) => {
      const r = await db
        .selectFrom('oran_training_jobs')
        .select('record')
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? (JSON.parse(r.record) as Record_).notificationUrl : '';
    },
  });
  app.addHook('onClose', () => notifications.close());

  // ---- training jobs ----
  app.post(
    JOBS,
    { schema: { tags, body: Type.Record(Type.String(), Type.Unknown()) } },
    async (req, reply) => {
      const { record, pipeline: pick, dataPipeline } = parseJobRequest(req.body);
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
        req.principal.name,
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
            labels: { [LABEL]: String(id), pipeline: `${pipeline.name}@${pipeline.version}` },
          },
          req.principal.name,
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
      void reply.status(201).header('location', `${JOBS.slice(1)}/${id}`);
      return render(await job(id), req);
    },
  );

  app.get(`${JOBS}/`, { schema: { tags } }, async (req) => {
    const rows = await db.selectFrom('oran_training_jobs').selectAll().orderBy('id').execute();
    return Promise.all(rows.map((r) => render(r, req)));
  });

  // The TM answers an unknown id with a 500 (it has no 404 path); we answer 404.
  app.get(`${JOBS}/:id`, { schema: { tags, params: IdParams } }, async (req) =>
    render(await job(req.params.id), req),
  );

  app.get(`${JOBS}/:id/status`, { schema: { tags, params: IdParams } }, async (req) =>
    runs.steps((await job(req.params.id)).run_id),
  );

  app.delete(`${JOBS}/:id`, { schema: { tags, params: IdParams } }, async (req, reply) => {
    const r = await job(req.params.id);
    await runs.cancel(r.run_id).catch((e: unknown) => {
      // Already ended: nothing to stop.
      if (!(e instanceof AppError && (e.code === 'conflict' || e.code === 'not_found'))) throw e;
    });
    await db.deleteFrom('oran_training_jobs').where('id', '=', r.id).execute();
    void reply.status(204);
  });

  app.get(
    `${JOBS}/:modelName/:modelVersion`,
    { schema: { tags, params: Type.Object({ modelName: Type.String(), modelVersion: Type.String() }) } },
    async (req) => {
      const rows = await db
        .selectFrom('oran_training_jobs')
        .selectAll()
        .where('model_name', '=', req.params.modelName)
        .where('model_version', '=', req.params.modelVersion)
        .orderBy('id')
        .execute();
      return Promise.all(rows.map((r) => render(r, req)));
    },
  );

  app.post(
    `${JOBS}/update-model-metrics/:id`,
    { schema: { tags, params: IdParams, body: Type.Record(Type.String(), Type.Unknown()) } },
    async (req) => {
      await job(req.params.id);
      await db
        .updateTable('oran_training_jobs')
        .set({ metrics: JSON.stringify(req.body) })
        .where('id', '=', req.params.id)
        .execute();
      return {};
    },
  );

  app.get(
    `${JOBS}/get-model-metrics/:id`,
    { schema: { tags, params: IdParams } },
    async (req) => JSON.parse((await job(req.params.id)).metrics) as unknown,
  );

  registerOranPipelineRoutes(app, pipelines);
};
