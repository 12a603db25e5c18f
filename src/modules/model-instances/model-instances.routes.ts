import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../index.js';
import {
  CreateInstanceBody,
  InstanceList,
  InstanceViewSchema,
  NameParams,
} from './model-instances.schemas.js';

const tags = ['model-instances'];

/**
 * Native model-instance API: create, list, show (MISTK status plus the current task), delete.
 * The MISTK calls themselves are the compat surface at /model-instances/{name}/v1/mistk.
 * Also, once the app is ready, takes over the tasks stopped server processes left unfinished, and
 * keeps looking for them while it runs (see the service's start).
 */
export const modelInstancesRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const mi = services.modelInstances;
  app.addHook('onReady', async () => {
    await mi.start();
  });
  app.addHook('onClose', async () => {
    await mi.close();
  });

  app.post(
    '/model-instances',
    { schema: { tags, body: CreateInstanceBody, response: { 201: InstanceViewSchema } } },
    async (req, reply) => {
      const view = await mi.create(req.body.name);
      void reply.status(201).header('location', `/api/v1/model-instances/${view.objectInfo.name}`);
      return view;
    },
  );

  app.get('/model-instances', { schema: { tags, response: { 200: InstanceList } } }, async () => ({
    items: await mi.list(),
  }));

  app.get(
    '/model-instances/:name',
    { schema: { tags, params: NameParams, response: { 200: InstanceViewSchema } } },
    async (req) => mi.get(req.params.name),
  );

  app.delete('/model-instances/:name', { schema: { tags, params: NameParams } }, async (req, reply) => {
    await mi.remove(req.params.name);
    void reply.status(204);
  });
};
