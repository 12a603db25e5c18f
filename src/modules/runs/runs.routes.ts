import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { invalid } from '../../errors.js';
import { learners } from '../../learn/index.js';
import type { Services } from '../index.js';
import {
  ArtifactView,
  CodeView,
  MetricInputs,
  MetricPoint,
  RUN_STATES,
  RunEventView,
  RunInput,
  RunView,
  StepMap,
  isTerminal,
} from './runs.schemas.js';

const tags = ['runs'];
const IdParams = Type.Object({ id: Type.String() });
const POLL_MS = 200;

/** Native runs API: submit, list, control, logs (JSON or live SSE), metrics, params, artifacts. */
export const runsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const runs = services.runs;
  app.addContentTypeParser(
    ['application/octet-stream', 'application/zip', 'application/x-tar', 'application/gzip'],
    { parseAs: 'buffer', bodyLimit: 512 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.get(
    '/runs/learners',
    { schema: { tags, summary: 'Built-in learners and their parameters' } },
    async () =>
      Object.values(learners).map((l) => ({
        name: l.name,
        description: l.description,
        tasks: l.tasks,
        iterative: l.iterative,
        params: l.params,
      })),
  );

  app.post(
    '/runs/code',
    {
      schema: {
        tags,
        summary:
          'Upload user code: one file, a tar(.gz) or a zip (raw body); returns the codeId for POST /runs',
        querystring: Type.Object({ fileName: Type.String({ minLength: 1, maxLength: 255 }) }),
        response: { 201: CodeView },
      },
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body) || req.body.length === 0)
        throw invalid('send the code as the raw request body (application/octet-stream)', {
          reason: 'bad_archive',
          errors: [{ field: 'code', message: 'empty body' }],
        });
      return reply.status(201).send(await runs.uploadCode(req.query.fileName, new Uint8Array(req.body)));
    },
  );

  app.post(
    '/runs',
    { schema: { tags, summary: 'Submit a run', body: RunInput, response: { 201: RunView } } },
    async (req, reply) => {
      const run = await runs.submit(req.body, req.principal?.name ?? null);
      return reply.status(201).header('location', `/api/v1/runs/${run.id}`).send(run);
    },
  );

  app.get(
    '/runs',
    {
      schema: {
        tags,
        summary: 'List runs, newest first',
        querystring: Type.Object({
          state: Type.Optional(Type.Union(RUN_STATES.map((s) => Type.Literal(s)))),
          queue: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          offset: Type.Optional(Type.Integer({ minimum: 0 })),
        }),
        response: { 200: Type.Array(RunView) },
      },
    },
    async (req) => runs.list(req.query),
  );

  app.get('/runs/:id', { schema: { tags, params: IdParams, response: { 200: RunView } } }, async (req) =>
    runs.get(req.params.id),
  );
  app.get(
    '/runs/:id/events',
    {
      schema: {
        tags,
        summary: 'State transitions and phases, timestamped',
        params: IdParams,
        response: { 200: Type.Array(RunEventView) },
      },
    },
    async (req) => runs.events(req.params.id),
  );
  app.get(
    '/runs/:id/steps',
    { schema: { tags, summary: 'O-RAN five-step status map', params: IdParams, response: { 200: StepMap } } },
    async (req) => runs.steps(req.params.id),
  );

  for (const action of ['cancel', 'pause', 'resume'] as const) {
    app.post(
      `/runs/:id/${action}`,
      {
        schema: {
          tags,
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a run`,
          params: IdParams,
          response: { 202: RunView },
        },
      },
      async (req, reply) => reply.status(202).send(await runs[action](req.params.id)),
    );
  }

  app.get(
    '/runs/:id/logs',
    {
      schema: {
        tags,
        summary: 'Log lines; `follow=1` streams them live as Server-Sent Events until the run ends',
        params: IdParams,
        querystring: Type.Object({
          after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only lines with a higher seq' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          follow: Type.Optional(
            Type.Union([Type.Boolean(), Type.Literal('1'), Type.Literal('0')], {
              description: '1/true: stream live',
            }),
          ),
        }),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      let after = req.query.after ?? 0;
      const follow = req.query.follow === true || req.query.follow === '1';
      if (!follow) return { lines: await runs.logs(id, after, req.query.limit ?? 1000) };
      await runs.get(id);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      req.raw.on('close', () => (closed = true));
      let lastState = '';
      while (!closed) {
        const run = await runs.get(id);
        const lines = await runs.logs(id, after, 1000);
        for (const l of lines) res.write(`id: ${l.seq}\nevent: log\ndata: ${JSON.stringify(l)}\n\n`);
        if (lines.length) after = lines[lines.length - 1]!.seq;
        if (run.state !== lastState) {
          lastState = run.state;
          res.write(`event: state\ndata: ${JSON.stringify({ state: run.state, reason: run.reason })}\n\n`);
        }
        if (isTerminal(run.state) && lines.length < 1000) {
          res.write(
            `event: end\ndata: ${JSON.stringify({ state: run.state, reason: run.reason, message: run.message })}\n\n`,
          );
          break;
        }
        if (lines.length < 1000) await new Promise((r) => setTimeout(r, POLL_MS));
      }
      res.end();
    },
  );

  app.get(
    '/runs/:id/metrics',
    {
      schema: {
        tags,
        summary: 'Metric time series',
        params: IdParams,
        querystring: Type.Object({ name: Type.Optional(Type.String()) }),
        response: { 200: Type.Array(MetricPoint) },
      },
    },
    async (req) => runs.metrics(req.params.id, req.query.name),
  );
  app.post(
    '/runs/:id/metrics',
    {
      schema: {
        tags,
        summary: 'Report metric points (user code over HTTP)',
        params: IdParams,
        body: MetricInputs,
        response: { 200: Type.Object({ accepted: Type.Integer() }) },
      },
    },
    async (req) => {
      const points = req.body.map((p, i) => {
        const name = p.metric ?? p.name;
        if (!name)
          throw invalid(`point ${i} has no metric name`, {
            errors: [{ field: `/${i}/metric`, message: 'required' }],
          });
        return { name, value: p.value, ...(p.step !== undefined ? { step: p.step } : {}) };
      });
      return { accepted: await runs.reportMetrics(req.params.id, points, 'http') };
    },
  );
  app.get(
    '/runs/:id/params',
    { schema: { tags, params: IdParams, response: { 200: Type.Record(Type.String(), Type.String()) } } },
    async (req) => runs.params(req.params.id),
  );
  app.post(
    '/runs/:id/params',
    {
      schema: {
        tags,
        summary: 'Log params (values stored as text)',
        params: IdParams,
        body: Type.Record(Type.String({ maxLength: 250 }), Type.Unknown()),
      },
    },
    async (req, reply) => {
      await runs.logParams(req.params.id, req.body);
      return reply.status(204).send();
    },
  );
  app.get(
    '/runs/:id/artifacts',
    { schema: { tags, params: IdParams, response: { 200: Type.Array(ArtifactView) } } },
    async (req) => runs.artifacts(req.params.id),
  );
  app.get(
    '/runs/:id/artifacts/*',
    { schema: { tags, summary: 'Download one artifact' } },
    async (req, reply) => {
      const { id, '*': path } = req.params as { id: string; '*': string };
      const a = await runs.openArtifact(id, path);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', a.sizeBytes)
        .send(a.stream);
    },
  );
};
