/**
 * Authentication of every WMLA surface: our tokens, as the native API takes them, plus HTTP Basic,
 * because WMLA's clients (dlicmd, the notebooks' `requests` calls) log in with a user name and a
 * password. A Basic password is read as an API token (the user name is only informative), so a
 * client keeps its login code and sends `<user>:<token>`.
 */
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { installAuth } from '../../http/auth.js';
import type { Services } from '../../modules/index.js';

/** The token of an `Authorization: Basic base64(user:token)` header, or null. */
export function tokenFromBasic(header: string | undefined): string | null {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header) : null;
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // `user:token`; a client that can only send one value sends the token as the user (`token:`).
  const secret = colon < 0 ? decoded : decoded.slice(colon + 1) || decoded.slice(0, colon);
  return secret === '' ? null : secret;
}

export function installWmlaAuth(app: FastifyInstance, services: Services, deps: Deps): void {
  // Runs before installAuth's hook (hooks run in the order they are added).
  app.addHook('onRequest', async (request) => {
    const secret = tokenFromBasic(request.headers.authorization);
    if (!secret) return;
    // While no token exists, Basic credentials cannot name one: a client that always sends its
    // old login (admin:admin) must still reach a server running open, so they are dropped.
    if ((await services.tokens.activeCount()) === 0) delete request.headers.authorization;
    else request.headers.authorization = `Bearer ${secret}`;
  });
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
}
