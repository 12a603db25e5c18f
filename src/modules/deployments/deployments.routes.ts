/** Native API: /api/v1/deployments (create, list, show, start, stop, update, delete, logs) and /predict-jobs. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../index.js';
import { predictJobsRoutes } from './predict-jobs.routes.js';
import {
  CreateDeploymentBody,
  DeploymentEvent,
  DeploymentView,
  UpdateDeploymentBody,
} from './deployments.schemas.js';

const tags = ['deployments'];
const NameParams = Type.Object({ name: Type.String() });

export const deploymentsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const svc = services.deployments;
  await app.register(predictJobsRoutes, { services });
  const user = (req: { principal?: { name: string } }) => req.principal?.name ?? undefined;

  app.post(
    '/deployments',
    {
      schema: {
        tags,
        summary: 'Create a deployment from a registry version or alias (starts it unless start=false)',
        body: CreateDeploymentBody,
        response: { 201: DeploymentView },
      },
    },
    async (req, reply) => reply.status(201).send(await svc.create(req.body, user(req))),
  );

  app.get(
    '/deployments',
    { schema: { tags, response: { 200: Type.Object({ items: Type.Array(DeploymentView) }) } } },
    async () => ({ items: await svc.list() }),
  );

  app.get(
    '/deployments/:name',
    { schema: { tags, params: NameParams, response: { 200: DeploymentView } } },
    async (req) => svc.get(req.params.name),
  );

  app.patch(
    '/deployments/:name',
    {
      schema: {
        tags,
        summary:
          'Change model, canary, replicas, profile or readme; a running deployment swaps without downtime',
        params: NameParams,
        body: UpdateDeploymentBody,
        response: { 200: DeploymentView },
      },
    },
    async (req) => svc.update(req.params.name, req.body),
  );

  for (const action of ['start', 'stop'] as const)
    app.post(
      `/deployments/:name/${action}`,
      {
        schema: { tags, summary: `${action} serving`, params: NameParams, response: { 200: DeploymentView } },
      },
      async (req) => svc[action](req.params.name),
    );

  app.delete(
    '/deployments/:name',
    {
      schema: {
        tags,
        params: NameParams,
        response: { 200: Type.Object({ deleted: Type.Boolean(), name: Type.String() }) },
      },
    },
    async (req) => svc.delete(req.params.name),
  );

  app.get(
    '/deployments/:name/logs',
    {
      schema: {
        tags,
        summary: 'Events, oldest first: loads, swaps, alias moves, failures (kept in the database, last 500)',
        params: NameParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'Only the newest N' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(DeploymentEvent) }) },
      },
    },
    async (req) => ({ items: await svc.logs(req.params.name, req.query.limit) }),
  );
};
