/**
 * `auth.login`, the one call of ClearML's auth service a client makes before any other: it trades
 * credentials for a bearer token. Here the secret key IS a Modelyard API token (the access key is
 * free text), so the token handed back is that same API token, checked first.
 */
import type { FastifyRequest } from 'fastify';
import type { TokensService } from '../../modules/tokens/tokens.service.js';
import { ClearMlError } from './clearml-errors.js';

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

/** `{token}` for valid credentials; 401/20 without any, 401/22 for an unknown or revoked secret. */
export async function login(request: FastifyRequest, tokens: TokensService): Promise<{ token: string }> {
  const secret = secretOf(request);
  if (!secret)
    throw new ClearMlError(
      401,
      20,
      'send access_key:secret_key as HTTP Basic; the secret key is a Modelyard API token',
    );
  if (!(await tokens.verify(secret))) throw new ClearMlError(401, 22);
  return { token: secret };
}
