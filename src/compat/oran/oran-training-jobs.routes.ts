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
import { installAuth } from '../../http/auth.js';
import { createPipelinesService } from '../../modules/runs/pipelines.js';
import type { CompatSurface } from '../index.js';
import { createOranJobs, ORAN_JOB_LABEL, type OranJobRecord } from './oran-jobs.js';
import { oranLegacyRoutes } from './oran-legacy.routes.js';
import { startOranNotifications } from './oran-notifications.js';
import { installOranProblemHandler } from './oran-problem.js';
import { registerOranPipelineRoutes } from './oran-pipelines.routes.js';

const V1 = '/ai-ml-model-training/v1';
const JOBS = `${V1}/training-jobs`;
const tags = ['o-ran'];

const IdParams = Type.Object({ id: Type.Integer({ minimum: 0 }) });

export const oranTrainingJobRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { runs } = services;
  const pipelines = createPipelinesService({ db: deps.db, runs });
  const jobs = createOranJobs(services, deps, pipelines);
  const { db } = jobs;
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
  // The legacy (≤ 2024) trainingjobs API, with its own `{"Exception"}` error envelope.
  await app.register(oranLegacyRoutes, { services, deps, jobs, pipelines });
  // The feature-groups service names the filter `queryFilter`; the client sent `query_filter`.
  installOranProblemHandler(app, { detail: (e) => e.message.replace(/\bqueryFilter\b/g, 'query_filter') });
  await app.register(multipart, { limits: { files: 1, fields: 8, fileSize: deps.config.uploadLimitBytes } });

  const job = jobs.get;
  const baseUrl = (req: FastifyRequest) => deps.config.publicUrl || `${req.protocol}://${req.host}`;
  const render = (r: Awaited<ReturnType<typeof job>>, req: FastifyRequest) => jobs.render(r, baseUrl(req));

  // The whole step map, POSTed to the job's notification URL on every change of it.
  const notifications = startOranNotifications({
    runs,
    logger: deps.logger,
    label: ORAN_JOB_LABEL,
    urlOf: async (id) => {
      const r = await db
        .selectFrom('oran_training_jobs')
        .select('record')
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? (JSON.parse(r.record) as OranJobRecord).notificationUrl : '';
    },
  });
  app.addHook('onClose', () => notifications.close());

  // ---- training jobs ----
  app.post(
    JOBS,
    { schema: { tags, body: Type.Record(Type.String(), Type.Unknown()) } },
    async (req, reply) => {
      const r = await jobs.create(req.body, req.principal.name);
      void reply.status(201).header('location', `${JOBS.slice(1)}/${r.id}`);
      return render(r, req);
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
    await jobs.remove(await job(req.params.id));
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
