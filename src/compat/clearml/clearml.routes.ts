/**
 * ClearML models service (`[/api]/[v<major.minor>/]models.<action>`), mounted at the root as
 * clearml-server answers on its own port, and under `/api` as behind ClearML's web server. Any
 * HTTP method; query string and form fields are merged into the body. Every answer, success or
 * failure, is ClearML's `{meta, data}` envelope with HTTP status = result_code.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { installAuth, isLoopbackHost } from '../../http/auth.js';
import { logIfServerError, toAppError } from '../../http/problem.js';
import type { CompatSurface } from '../index.js';
import { login } from './clearml-auth.js';
import { installSessionTokens } from './clearml-session.js';
import { ClearMlError, fromAppError } from './clearml-errors.js';
import type { Body } from './clearml-fields.js';
import { callData, installBodyParsers } from './clearml-body.js';
import {
  ACTION_VERSIONS,
  MAX_VERSION,
  READ_ACTIONS,
  endpointMeta,
  envelope,
  newCallId,
  parsePath,
  parseVersion,
  resolveVersion,
  type EndpointMeta,
} from './clearml-protocol.js';
import { readActions, type Action, type ActionResult } from './clearml-read.actions.js';
import { writeActions } from './clearml-write.actions.js';

const ACTIONS: Record<string, Action> = { ...readActions, ...writeActions };

function trxOf(request: FastifyRequest, id: string): string {
  const h = request.headers['x-clearml-trx'] ?? request.headers['x-trains-trx'];
  return typeof h === 'string' && h !== '' ? h : id;
}

/** The endpoint part of meta for a URL (empty, version 1.0, when the path does not parse — as clearml-server). */
function endpointOf(url: string): { meta: EndpointMeta; known: boolean } {
  const p = parsePath(url);
  if (!p.ok) return { meta: endpointMeta('', parseVersion('1.0')!, null), known: false };
  const actual = p.endpoint === 'auth.login' ? '2.1' : resolveVersion(p.action, p.requested);
  return { meta: endpointMeta(p.endpoint, p.requested, actual), known: true };
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  endpoint: EndpointMeta,
  result: { code: number; subcode: number; msg: string; errorData?: Body; data?: unknown; paging?: Body },
) {
  return reply
    .status(result.code)
    .type('application/json')
    .send(
      envelope(
        {
          id,
          trx: trxOf(request, id),
          endpoint,
          result_code: result.code,
          result_subcode: result.subcode,
          result_msg: result.msg,
          ...(result.errorData ? { error_data: result.errorData } : {}),
          ...(result.paging ? { paging: result.paging } : {}),
        },
        result.data ?? {},
      ),
    );
}

export const clearmlRoutes: CompatSurface = async (app, { services, deps }) => {
  // Session tokens from auth.login are unwrapped before the shared auth hook judges the caller.
  installSessionTokens(app);
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
  const mayRunOpen = deps.config.authMode === 'auto' && isLoopbackHost(deps.config.host);
  const runsOpen = async () => mayRunOpen && (await services.tokens.activeCount()) === 0;

  installBodyParsers(app);

  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const id = newCallId();
    const { meta } = endpointOf(request.url);
    let e: ClearMlError;
    if (error instanceof ClearMlError) e = error;
    else {
      const err = toAppError(error);
      logIfServerError(request, err, error);
      e = err.reason === 'invalid_json' ? ClearMlError.raw(400, 0, err.message) : fromAppError(err);
    }
    return send(request, reply, id, meta, {
      code: e.code,
      subcode: e.subcode,
      msg: e.message,
      errorData: e.data,
    });
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const id = newCallId();
    const p = parsePath(request.url);
    if (!p.ok)
      return send(request, reply, id, endpointOf(request.url).meta, {
        code: p.code,
        subcode: p.subcode,
        msg: p.msg,
      });
    const actual = resolveVersion(p.action, p.requested);
    const action = ACTIONS[p.action];
    const endpoint = endpointMeta(p.endpoint, p.requested, actual);
    if (p.service !== 'models' || !actual || !action)
      return send(request, reply, id, endpoint, {
        code: 404,
        subcode: 0,
        msg: `Unable to find endpoint for name ${p.endpoint} and version ${p.requested.text}`,
      });
    const result: ActionResult = await action({
      body: await callData(request, deps.config.bodyLimitBytes),
      actual,
      requested: p.requested,
      reg: services.registry,
      user: request.principal.name,
    });
    for (const [k, v] of Object.entries(result.headers ?? {})) void reply.header(k, v);
    return send(request, reply, id, endpoint, {
      code: 200,
      subcode: 0,
      msg: 'OK',
      data: result.data,
      paging: result.paging,
    });
  };

  const schema = { hide: true };
  // Unknown actions need only viewer: they get ClearML's 404 envelope, not a 403.
  const roleOf = (request: FastifyRequest) => {
    const action = (request.params as { action?: string }).action ?? '';
    return Object.hasOwn(ACTION_VERSIONS, action) && !READ_ACTIONS.has(action) ? 'editor' : 'viewer';
  };
  for (const prefix of ['', '/api']) {
    for (const version of ['', '/:version']) {
      // One route for every action: a route per action, times every HTTP method, made start-up slow.
      app.all(`${prefix}${version}/models.:action`, { schema, config: { role: roleOf } }, handle);
      app.all(
        `${prefix}${version}/auth.login`,
        { schema, config: { public: true } },
        async (request, reply) => {
          const p = parsePath(request.url);
          const requested = p.ok ? p.requested : parseVersion(MAX_VERSION)!;
          const data = await login(request, services.tokens, runsOpen);
          const id = newCallId();
          return send(request, reply, id, endpointMeta('auth.login', requested, '2.1'), {
            code: 200,
            subcode: 0,
            msg: 'OK',
            data,
          });
        },
      );
    }
  }
};
