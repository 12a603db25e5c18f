import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, STATUS_BY_CODE, type ErrorCode } from '../errors.js';

/**
 * Turns anything thrown in a handler into an AppError: our own errors pass through, Fastify's
 * validation / body-size / content-type errors become 4xx with the field named, the rest 500.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError & {
    validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>;
  };
  if (fe?.validation) {
    const where = fe.validationContext ?? 'body';
    const errors = fe.validation.map((v) => {
      const missing = v.params?.missingProperty as string | undefined;
      const extra = v.params?.additionalProperty as string | undefined;
      const field = `${where}${v.instancePath ?? ''}${missing ? `/${missing}` : ''}${extra ? `/${extra}` : ''}`;
      const allowed = v.params?.allowedValues as unknown[] | undefined;
      const message = extra
        ? 'is not an accepted field'
        : allowed
          ? `must be one of ${allowed.join(', ')}`
          : (v.message ?? 'is invalid');
      return { field, message };
    });
    const first = errors[0];
    return new AppError('invalid', first ? `${first.field} ${first.message}` : 'request is invalid', {
      reason: 'validation_failed',
      errors,
    });
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', fe.message, { reason: 'body_too_large' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('invalid', fe.message, { reason: 'unsupported_media_type' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid', fe.message, { reason: 'invalid_json' });
  }
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = (Object.entries(STATUS_BY_CODE).find(([, s]) => s === fe.statusCode)?.[0] ??
      'invalid') as ErrorCode;
    return new AppError(code, fe.message, { reason: fe.code });
  }
  return new AppError('internal', 'internal error', { cause: error });
}

/** RFC 9457 body for the native API. */
export function problemBody(err: AppError, instance?: string) {
  const internal = err.code === 'internal';
  return {
    type: `https://modelyard.dev/problems/${err.reason ?? err.code}`,
    title: err.code.replace(/_/g, ' '),
    status: err.status,
    detail: internal ? 'internal error; see the server log for the request id' : err.message,
    code: err.code,
    ...(err.reason && !internal ? { reason: err.reason } : {}),
    ...(instance ? { instance } : {}),
    errors: internal ? [] : err.errors,
    ...(err.details && !internal ? { details: err.details } : {}),
  };
}

/** Logs 5xx with its cause under the request id; 4xx are the client's business. */
export function logIfServerError(request: FastifyRequest, err: AppError, original: unknown): void {
  if (err.status >= 500) request.log.error({ err: original }, 'request failed');
}

/** Installs the problem+json error and not-found handlers on an instance (native API scope). */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const err = toAppError(error);
    logIfServerError(request, err, error);
    void reply.status(err.status).type('application/problem+json').send(problemBody(err, request.url));
  });
  app.setNotFoundHandler((request, reply) => {
    const err = new AppError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`, {
      reason: 'route_not_found',
    });
    void reply.status(404).type('application/problem+json').send(problemBody(err, request.url));
  });
}
