/**
 * Native API of batch prediction jobs: /api/v1/predict-jobs (submit files, list, show, results,
 * stop, delete). Mounted by the deployments routes plugin.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { invalid } from '../../errors.js';
import { readMultipartForm } from '../../http/multipart-form.js';
import type { Services } from '../index.js';

const tags = ['predict-jobs'];
const NameParams = Type.Object({ name: Type.String() });

const JobView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  model: Type.String(),
  versionId: Type.String(),
  threshold: Type.Union([Type.Number(), Type.Null()]),
  state: Type.String({ description: 'queued | running | succeeded | failed | cancelled' }),
  error: Type.Union([Type.String(), Type.Null()]),
  inputs: Type.Array(
    Type.Object({ field: Type.String(), fileName: Type.String(), sizeBytes: Type.Integer() }),
  ),
  samples: Type.Integer(),
  labels: Type.Record(Type.String(), Type.String()),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  endedAt: Type.Union([Type.String(), Type.Null()]),
});

const Sample = Type.Object({
  sampleId: Type.String(),
  input: Type.String(),
  row: Type.Integer(),
  predictions: Type.Array(Type.Object({ label: Type.String(), score: Type.Number() })),
});

export const predictJobsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const jobs = services.predictJobs;
  await app.register(multipart, { limits: { files: 1000, fields: 10, fileSize: jobs.maxFileBytes } });

  app.post(
    '/predict-jobs',
    {
      schema: {
        tags,
        summary:
          'Score CSV files with a registry model: multipart fields name, model (reference or name), threshold, and any number of files',
        consumes: ['multipart/form-data'],
        response: { 201: JobView },
      },
    },
    async (req, reply) => {
      const { fields, files } = await readMultipartForm(
        req,
        'send multipart/form-data: name, model, [threshold] and files',
      );
      for (const f of ['name', 'model'])
        if (!fields[f]) throw invalid(`${f} is required`, { errors: [{ field: f, message: 'is required' }] });
      const threshold = fields.threshold ? Number(fields.threshold) : null;
      const job = await jobs.submit(
        { name: fields.name!, model: fields.model!, threshold, files },
        req.principal?.name,
      );
      return reply.status(201).send(job);
    },
  );

  app.get(
    '/predict-jobs',
    {
      schema: {
        tags,
        querystring: Type.Object({
          model: Type.Optional(Type.String({ description: 'As given at submit' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(JobView) }) },
      },
    },
    async (req) => ({ items: await jobs.list({ model: req.query.model }) }),
  );

  app.get(
    '/predict-jobs/:name',
    { schema: { tags, params: NameParams, response: { 200: JobView } } },
    async (req) => jobs.get(req.params.name),
  );

  app.get(
    '/predict-jobs/:name/results',
    {
      schema: {
        tags,
        summary: 'Per-row predictions (empty until the job succeeded); offset/limit page them',
        params: NameParams,
        querystring: Type.Object({
          offset: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1 })),
        }),
        response: {
          200: Type.Object({
            job: JobView,
            model: Type.Union([Type.String(), Type.Null()]),
            targetType: Type.Union([Type.String(), Type.Null()]),
            total: Type.Integer({ description: 'Samples in all pages' }),
            samples: Type.Array(Sample),
          }),
        },
      },
    },
    async (req) => {
      const { job, result, total } = await jobs.results(req.params.name, req.query);
      return {
        job,
        model: result?.model ?? null,
        targetType: result?.targetType ?? null,
        total,
        samples: result?.samples ?? [],
      };
    },
  );

  app.post(
    '/predict-jobs/:name/stop',
    { schema: { tags, params: NameParams, response: { 200: JobView } } },
    async (req) => jobs.stop(req.params.name),
  );

  app.delete(
    '/predict-jobs/:name',
    {
      schema: {
        tags,
        params: NameParams,
        response: { 200: Type.Object({ deleted: Type.Boolean(), name: Type.String() }) },
      },
    },
    async (req) => jobs.delete(req.params.name),
  );
};
