/**
 * MISTK's error envelope, `ServiceError {code, message}` as JSON, for every failure of the MISTK
 * surface (unknown routes included); 5xx messages are generic, the cause is logged with the
 * request id. Also MISTK's JSON body reading: its generated client posts `application/json`
 * with no body for calls that take none (/train, /reset, …), which is not an error here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalid } from '../../errors.js';
import { logIfServerError, toAppError } from '../../http/problem.js';

export interface ServiceError {
  code: number;
  message: string;
}

export function sendServiceError(reply: FastifyReply, code: number, message: string): FastifyReply {
  return reply
    .status(code)
    .type('application/json')
    .send({ code, message } satisfies ServiceError);
}

/** Installs the ServiceError error and not-found handlers on this (encapsulated, prefixed) plugin. */
export function installMistkErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const err = toAppError(error);
    logIfServerError(request, err, error);
    const message =
      err.code === 'internal' ? 'internal error; see the server log for the request id' : err.message;
    return sendServiceError(reply, err.status, message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendServiceError(reply, 404, `no MISTK endpoint ${request.method} ${request.url.split('?')[0]}`),
  );
}

/** JSON bodies where an empty body means "no body". */
export function installLenientJson(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(invalid(`the body is not valid JSON: ${(e as Error).message}`, { reason: 'invalid_json' }));
    }
  });
}

/** A MISTK boolean query flag: its Python client sends `True`/`False`. */
export function flag(v: unknown): boolean {
  return typeof v === 'string' ? ['true', '1', 'yes'].includes(v.toLowerCase()) : v === true;
}
