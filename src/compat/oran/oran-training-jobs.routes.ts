/**
 * O-RAN SC AI/ML Training Manager training jobs and pipelines on the runs service. A training job
 * is a run (started at once) trained into the MME registration of its model id; its integer id,
 * request record and free-form metrics are kept in `oran_training_jobs`. Pipelines map onto the
 * runs module's pipelines (`builtin.<learner>` or an uploaded code archive). Step notifications
 * come from the runs service's change hook. Field names of both request dialects are accepted:
 * the R1AP camelCase form and the older snake_case one.
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, invalid, notFound } from '../../errors.js';
import { installAuth } from '../../http/auth.js';
import { nowIso } from '../../infra/db/kysely.js';
import { stepMap, type RunView, type RunEventView, type StepMap } from '../../modules/runs/index.js';
import { createPipelinesService } from '../../modules/runs/pipelines.js';
import type { CompatSurface } from '../index.js';
import { findOran, ORAN_PROJECT } from './oran-models.routes.js';
import { installOranProblemHandler } from './oran-problem.js';
import { parseJobRequest, toRunParams } from './oran-training-request.js';

const V1 = '/ai-ml-model-training/v1';
const JOBS = `${V1}/training-jobs`;
const LABEL = 'oran_training_job';
const NOTIFY_TIMEOUT_MS = 10_000;
const tags = ['o-ran'];
const NOTHING_STARTED = JSON.stringify(stepMap('queued', []));

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
  installOranProblemHandler(app);
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

  // ---- notifications: the whole step map, POSTed on every change of it ----
  const chains = new Map<string, Promise<void>>();
  const lastSent = new Map<string, string>();
  async function notify(run: RunView, event: RunEventView) {
    const id = Number(run.labels[LABEL]);
    const r = await db.selectFrom('oran_training_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    const url = r ? (JSON.parse(r.record) as Record_).notificationUrl : '';
    if (!r || !url) return;
    const events = (await runs.events(run.id)).filter((e) => e.seq <= event.seq);
    const map: StepMap = stepMap(run.state, events);
    const body = JSON.stringify(map);
    // Like the TM, the first notification is the start of data extraction, not the empty map.
    if ((lastSent.get(run.id) ?? NOTHING_STARTED) === body) return;
    lastSent.set(run.id, body);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
    });
    // As the TM: a refused notification is logged, never retried.
    if (!res.ok) deps.logger.warn({ job: id, status: res.status }, 'O-RAN notification refused');
    await res.arrayBuffer().catch(() => undefined);
  }
  const unsubscribe = runs.onChange((run, event) => {
    if (run.labels[LABEL] === undefined) return;
    const next = (chains.get(run.id) ?? Promise.resolve())
      .then(() => notify(run, event))
      .catch((e: unknown) => deps.logger.warn({ err: e, run: run.id }, 'O-RAN notification failed'));
    chains.set(run.id, next);
    void next.then(() => {
      if (chains.get(run.id) === next) chains.delete(run.id);
      if (['succeeded', 'failed', 'cancelled'].includes(run.state)) lastSent.delete(run.id);
    });
  });
  app.addHook('onClose', async () => {
    unsubscribe();
    await Promise.all([...chains.values()]);
  });

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
      // A model id the MME does not know yet is registered, as a client would do first.
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

  // ---- pipelines ----
  app.post(
    '/pipelines/:name/upload',
    { schema: { tags, params: Type.Object({ name: Type.String() }) } },
    async (req) => {
      if (!req.isMultipart()) throw invalid('send the pipeline as multipart form field "file"');
      const fields: Record<string, string> = {};
      let file: { name: string; bytes: Buffer } | null = null;
      for await (const part of req.parts()) {
        if (part.type === 'file') file = { name: part.filename, bytes: await part.toBuffer() };
        else fields[part.fieldname] = String(part.value);
      }
      if (!file) throw invalid('multipart field "file" is missing');
      const p = await pipelines.upload(req.params.name, file.name, new Uint8Array(file.bytes), {
        ...(fields.command ? { command: fields.command } : {}),
        ...(fields.description ? { description: fields.description } : {}),
        ...(fields.version ? { version: fields.version } : {}),
      });
      return { result: `Pipeline uploaded ${p.name} Successfully!`, name: p.name, version: p.version };
    },
  );

  const toOran = (p: Awaited<ReturnType<typeof pipelines.get>>) => ({
    display_name: p.name,
    pipeline_name: p.name,
    version: p.version,
    description: p.description,
    kind: p.kind,
    created_at: p.createdAt ?? '',
  });
  app.get('/pipelines', { schema: { tags } }, async () => ({
    pipelines: (await pipelines.list()).map(toOran),
  }));
  app.get(
    '/pipelines/:name',
    { schema: { tags, params: Type.Object({ name: Type.String() }) } },
    async (req) => toOran(await pipelines.get(req.params.name)),
  );
  app.get(
    '/pipelines/:name/versions',
    { schema: { tags, params: Type.Object({ name: Type.String() }) } },
    async (req) => {
      const all = (await pipelines.list()).filter((p) => p.name === req.params.name);
      if (all.length === 0) throw notFound('pipeline', req.params.name);
      return { versions_list: all.map((p) => p.version) };
    },
  );
};
