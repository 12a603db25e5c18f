/**
 * Mounts every deployment on the main server at /deployments/{name}/…: the request is handed,
 * unparsed, to the deployment's router and its prediction servers (DRUM, KServe V2/V1, MLflow
 * routes), so the main server speaks exactly what `modelyard serve` speaks. Also ties the
 * deployments' lifecycle (and batch prediction jobs') to the server's: resume on ready, stop on close.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { installAuth } from '../../http/auth.js';
import { logIfServerError, toAppError } from '../../http/problem.js';
import type { Deps } from '../../deps.js';
import type { Services } from '../index.js';

export async function deploymentsMount(
  app: FastifyInstance,
  { services, deps }: { services: Services; deps: Deps },
): Promise<void> {
  const svc = services.deployments;
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const err = toAppError(error);
    logIfServerError(request, err, error);
    // DRUM's error body, which every prediction client prints.
    return reply.status(err.status).send({ message: `ERROR: ${err.message}` });
  });
  app.addHook('onReady', async () => {
    await svc.resume();
    await services.predictJobs.resume();
  });
  app.addHook('onClose', async () => {
    await services.predictJobs.close();
    await svc.close();
  });

  const handoff = async (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
    // Hijacked before body parsing: the raw stream goes to the prediction server untouched.
    reply.hijack();
    svc.handle(request.params.name, request.raw, reply.raw);
  };
  for (const url of ['/deployments/:name', '/deployments/:name/*'])
    app.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url,
      schema: { hide: true },
      // Any valid token may predict; managing deployments goes through /api/v1.
      config: { role: 'viewer' },
      onRequest: handoff,
      handler: async () => undefined,
    });
}
