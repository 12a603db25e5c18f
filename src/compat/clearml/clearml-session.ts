/**
 * ClearML session tokens. The ClearML Python SDK decodes the token `auth.login` hands back as a
 * JWT (no signature check) to learn the server's API version, and fails to start when it is not
 * one. So `auth.login` answers with a JWT that carries the caller's Modelyard API token, signed
 * with HMAC-SHA256 keyed on that same API token; on the ClearML surface such a bearer is
 * unwrapped back to the API token before authentication, so revoking the API token ends every
 * session made from it and no session state is kept on the server.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../modules/tokens/tokens.service.js';
import { COMPANY } from './clearml-fields.js';
import { MAX_VERSION } from './clearml-protocol.js';

/** The clearml-server release whose API (MAX_VERSION) we answer as. */
const SERVER_VERSION = '2.0.0';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const sign = (key: string, signingInput: string) => createHmac('sha256', key).update(signingInput).digest();

/**
 * A JWT for `auth.login`: the claims clearml-server puts in its tokens (identity, api_version,
 * server_version, feature_set) plus `tok`, the API token it stands for (none for the anonymous
 * session of a server running open). No `exp`: a session lasts as long as its API token.
 */
export function sessionToken(apiToken: string | null, principal: Principal, nowMs = Date.now()): string {
  const claims = {
    identity: {
      company: COMPANY,
      company_name: COMPANY,
      user: principal.name,
      user_name: principal.name,
      role: principal.role,
    },
    api_version: MAX_VERSION,
    server_version: SERVER_VERSION,
    feature_set: 'basic',
    env: 'modelyard',
    iat: Math.floor(nowMs / 1000),
    ...(apiToken ? { tok: apiToken } : {}),
  };
  const signingInput = `${HEADER}.${b64url(JSON.stringify(claims))}`;
  return `${signingInput}.${b64url(sign(apiToken ?? '', signingInput))}`;
}

/**
 * What a bearer is: one of our session tokens (with the API token it carries, or null for an
 * anonymous session), or not ours at all (altered ones included), which yields undefined.
 */
export function sessionOf(bearer: string): { apiToken: string | null } | undefined {
  const parts = bearer.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) return undefined;
  let tok: unknown;
  try {
    tok = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { tok?: unknown }).tok;
  } catch {
    return undefined;
  }
  if (tok !== undefined && (typeof tok !== 'string' || tok === '')) return undefined;
  const key = tok ?? '';
  const expected = sign(key, `${parts[0]}.${parts[1]}`);
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { apiToken: tok ?? null };
}

/**
 * Rewrites `Authorization: Bearer <session token>` to the API token it carries, and drops an
 * anonymous session's header (it grants no more than sending none), so the shared auth hook,
 * registered after this one, judges a plain API token or no credentials. Anything else is left as is.
 */
export function installSessionTokens(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const session = m ? sessionOf(m[1]!) : undefined;
    if (!session) return;
    if (session.apiToken) request.headers.authorization = `Bearer ${session.apiToken}`;
    else delete request.headers.authorization;
  });
}
