import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logIfServerError, toAppError } from '../../http/problem.js';

/**
 * WMLA defines no error body; a `{message}` object is what its clients print. One handler for
 * every WMLA surface (models, execs, EDI).
 */
export function installWmlaErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const err = toAppError(error);
    logIfServerError(request, err, error);
    const message =
      err.code === 'internal' ? 'internal error; see the server log for the request id' : err.message;
    return reply.status(err.status).send({ message });
  });
}
