/**
 * The O-RAN AI/ML Framework error envelope, shared by every O-RAN surface: RFC 7807-style
 * ProblemDetails `{title, status, detail}` as `application/problem+json`; 5xx details are generic
 * (the cause is logged with the request id). `Model.zip` downloads answer errors in plain text,
 * as the Training Manager does.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../../errors.js';
import { logIfServerError, toAppError } from '../../http/problem.js';

export const ORAN_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface OranProblemOptions {
  /** The `detail` of a 4xx (default: the error's message). */
  detail?: (err: AppError) => string;
}

/** Installs the ProblemDetails error handler on this (encapsulated) plugin. */
export function installOranProblemHandler(app: FastifyInstance, opts: OranProblemOptions = {}): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const err = toAppError(error);
    logIfServerError(request, err, error);
    const detail =
      err.code === 'internal'
        ? 'internal error; see the server log for the request id'
        : (opts.detail ?? ((e: AppError) => e.message))(err);
    const path = request.url.split('?')[0] ?? '';
    if (path.endsWith('/Model.zip') || path.endsWith('/model.zip'))
      return reply.status(err.status).type('text/plain; charset=utf-8').send(detail);
    return reply
      .status(err.status)
      .type('application/problem+json')
      .send({ title: ORAN_TITLES[err.status] ?? 'Error', status: err.status, detail });
  });
}
