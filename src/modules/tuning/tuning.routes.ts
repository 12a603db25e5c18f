import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../index.js';
import { CreateTuningJob, ListQuery, NameParams, TuningJobDetail, TuningJobView } from './tuning.schemas.js';

const tags = ['tuning-jobs'];

/**
 * Native tuning-jobs API. Once the app is ready the service resumes the jobs a stopped server
 * left running (and keeps looking for jobs whose driving server died); on close it hands them back.
 */
export const tuningRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tuning = services.tuning;
  app.addHook('onReady', async () => {
    await tuning.start();
  });
  app.addHook('onClose', async () => {
    await tuning.close();
  });

  app.post(
    '/tuning-jobs',
    {
      schema: {
        tags,
        summary: 'Create a tuning job: a search over a learner’s params, each trial a training run',
        body: CreateTuningJob,
        response: { 201: TuningJobDetail },
      },
    },
    async (req, reply) => {
      const job = await tuning.create(req.body, req.principal?.name ?? null);
      return reply.status(201).header('location', `/api/v1/tuning-jobs/${job.name}`).send(job);
    },
  );

  app.get(
    '/tuning-jobs',
    {
      schema: {
        tags,
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(TuningJobView) }) },
      },
    },
    async (req) => ({ items: await tuning.list(req.query) }),
  );

  app.get(
    '/tuning-jobs/:name',
    { schema: { tags, params: NameParams, response: { 200: TuningJobDetail } } },
    async (req) => tuning.get(req.params.name),
  );

  app.post(
    '/tuning-jobs/:name/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a job and its running trial runs',
        params: NameParams,
        response: { 200: TuningJobDetail },
      },
    },
    async (req) => tuning.cancel(req.params.name),
  );

  app.delete(
    '/tuning-jobs/:name',
    {
      schema: {
        tags,
        summary: 'Delete an ended job and its trials (409 while it runs); the trial runs stay',
        params: NameParams,
        response: { 200: Type.Object({ deleted: Type.Boolean(), name: Type.String() }) },
      },
    },
    async (req) => {
      await tuning.remove(req.params.name);
      return { deleted: true, name: req.params.name };
    },
  );
};
