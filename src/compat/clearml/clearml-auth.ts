/**
 * `auth.login`, the one call of ClearML's auth service a client makes before any other: it trades
 * credentials for a session token. Here the secret key IS a Modelyard API token (the access key is
 * free text); the session token handed back is a JWT carrying it (see clearml-session.ts), because
 * the ClearML SDK decodes that token and cannot start without it.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal, TokensService } from '../../modules/tokens/tokens.service.js';
import { ClearMlError } from './clearml-errors.js';
import { sessionToken } from './clearml-session.js';

/** Who an anonymous session belongs to while the server runs open (as the shared auth hook names it). */
const OPEN_PRINCIPAL: Principal = { tokenId: null, name: 'local', role: 'admin' };

/** The secret a client logs in with: HTTP Basic password, or an existing bearer token. */
function secretOf(request: FastifyRequest): string | null {
  const h = request.headers.authorization ?? '';
  const basic = /^Basic\s+(\S+)$/i.exec(h);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new ClearMlError(401, 21);
    return decoded.slice(colon + 1);
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(h);
  return bearer ? bearer[1]! : null;
}

/**
 * `{token}` for valid credentials. While the server runs open (`runsOpen()`), any credentials get
 * an anonymous session, since the SDK insists on sending some; otherwise 401/20 without any and
 * 401/22 for an unknown or revoked secret.
 */
export async function login(
  request: FastifyRequest,
  tokens: TokensService,
  runsOpen: () => Promise<boolean>,
): Promise<{ token: string }> {
  const secret = secretOf(request);
  const principal = secret ? await tokens.verify(secret) : null;
  if (secret && principal) return { token: sessionToken(secret, principal) };
  if (await runsOpen()) return { token: sessionToken(null, OPEN_PRINCIPAL) };
  if (!secret)
    throw new ClearMlError(
      401,
      20,
      'send access_key:secret_key as HTTP Basic; the secret key is a Modelyard API token',
    );
  throw new ClearMlError(401, 22);
}
