import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import {
  roleAllows,
  type Principal,
  type Role,
  type TokensService,
} from '../modules/tokens/tokens.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Least role a caller needs, or a function of the (routed) request that picks it, for one
     * route serving several operations. Default: viewer for GET/HEAD, editor otherwise.
     */
    role?: Role | ((request: FastifyRequest) => Role);
    /** No authentication at all (health probes, docs). */
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

const ANONYMOUS_OPEN: Principal = { tokenId: null, name: 'local', role: 'admin' };

/** Reads `Authorization: Bearer <token>` (or `X-Api-Key`, for clients that cannot set Authorization). */
export function tokenFromRequest(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (m) return m[1]!;
  }
  const k = request.headers['x-api-key'];
  return typeof k === 'string' && k !== '' ? k : null;
}

/**
 * Every request gets a principal or is refused. The server runs open (every caller is admin) only
 * when it is bound to loopback, auth mode is `auto`, and no live token exists.
 */
export function installAuth(
  app: FastifyInstance,
  opts: { tokens: TokensService; host: string; authMode: 'auto' | 'required' },
) {
  const mayRunOpen = opts.authMode === 'auto' && isLoopbackHost(opts.host);
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const cfg = request.routeOptions.config;
    if (cfg?.public) return;
    const need: Role =
      (typeof cfg?.role === 'function' ? cfg.role(request) : cfg?.role) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'editor');
    const secret = tokenFromRequest(request);
    let principal: Principal | null = null;
    if (secret) {
      principal = await opts.tokens.verify(secret);
      if (!principal)
        throw new AppError('unauthenticated', 'the API token is unknown or revoked', {
          reason: 'invalid_token',
        });
    } else if (mayRunOpen && (await opts.tokens.activeCount()) === 0) {
      principal = ANONYMOUS_OPEN;
    } else {
      throw new AppError('unauthenticated', 'an API token is required: send Authorization: Bearer <token>', {
        reason: 'missing_token',
      });
    }
    if (!roleAllows(principal.role, need)) {
      throw new AppError('forbidden', `this call needs the ${need} role; the token has ${principal.role}`, {
        reason: 'role_too_low',
      });
    }
    request.principal = principal;
  });
}
