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
  installLenientJson(app);
}

/**
 * WMLA's operations all "consume application/json", so its clients send that content type on
 * bodiless calls too (`PUT …/stop`, `DELETE …`, `PUT …/operation/start`): an empty JSON body is
 * read as no body instead of a 400. Anything else is parsed by Fastify's own JSON parser.
 */
function installLenientJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    parse(req, text, done);
  });
}
