import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import { randomUUID } from 'node:crypto';
import type { Deps } from './deps.js';
import { installAuth } from './http/auth.js';
import { installDocs } from './http/docs.js';
import { installMetrics } from './http/metrics.js';
import { installProblemHandlers } from './http/problem.js';
import { installWebUi } from './http/web-ui.js';
import { createLazyCompilers } from './http/lazy-compilers.js';
import { pingDb } from './infra/db/kysely.js';
import { createServices, nativeRoutes, type Services } from './modules/index.js';
import { compatSurfaces } from './compat/index.js';

import { VERSION } from './version.js';

export { VERSION };

export interface BuiltApp {
  app: FastifyInstance;
  services: Services;
  /** Compiles every route schema now instead of on first use; returns how many (tests prove all compile). */
  compileSchemas(): number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the HTTP application on given deps; does not listen (tests use app.inject or listen on port 0). */
export async function buildApp(deps: Deps): Promise<BuiltApp> {
  // Route schemas compile on first use: compiling all ~330 at boot was most of the start-up time.
  const compilers = createLazyCompilers();
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimitBytes,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    schemaController: compilers.schemaController,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const services = createServices(deps);

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  installProblemHandlers(app);
  installMetrics(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Modelyard API',
        version: VERSION,
        description: 'Datasets, training, tuning, registry and serving.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  installDocs(app, { prefix: '/docs', specUrl: '/openapi.json', spec: () => app.swagger() });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok', version: VERSION }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await pingDb(deps.db);
      checks.db = 'ok';
    } catch (e) {
      checks.db = `error: ${(e as Error).message}`;
    }
    try {
      await deps.blobs.ping();
      checks.blobs = 'ok';
    } catch (e) {
      checks.blobs = `error: ${(e as Error).message}`;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', checks };
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  installWebUi(app);

  await app.register(
    async (api) => {
      installAuth(api, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
      for (const routes of nativeRoutes) await api.register(routes, { services });
    },
    { prefix: '/api/v1' },
  );
  for (const surface of compatSurfaces) await app.register(surface, { services, deps });

  return { app, services, compileSchemas: compilers.compileAll };
}
