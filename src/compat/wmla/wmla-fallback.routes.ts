/**
 * Every other path under the WMLA base answers in WMLA's `{message}` envelope instead of the native
 * problem+json: 501 for the WMLA operations this server does not offer (hypersearch user plugin
 * algorithms and restart, model-bound tuning, the Spark scheduler's instances, dlpd.conf; see
 * docs/compat-wmla.md), 404 for paths WMLA never had.
 * Registered routes always win over this wildcard.
 */
import type { CompatSurface } from '../index.js';
import { installWmlaAuth } from './wmla-auth.js';
import { WMLA_BASE } from './wmla-common.js';
import { installWmlaErrors } from './wmla-errors.js';

/** First path segment → what WMLA calls it, for the operations left out here. */
const NOT_OFFERED: Record<string, string> = {
  // The HPO tasks themselves are served by wmla-hypersearch.routes.ts; these are the rest.
  hypersearch: 'hypersearch operation (user plugin algorithms, restart)',
  scheduler: 'the Spark scheduler instance view',
  conf: 'dlpd.conf (conf)',
};
const MODEL_TUNING = /^models\/[^/]+\/hypersearch(\/|$)/;

export const wmlaFallbackRoutes: CompatSurface = async (app, { services, deps }) => {
  installWmlaAuth(app, services, deps);
  installWmlaErrors(app);
  // Left-out operations upload files too (hypersearch takes multipart): take any body unread.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  app.all(`${WMLA_BASE}/*`, { schema: { hide: true } }, async (req, reply) => {
    const path = (req.params as { '*': string })['*'].split('?')[0] ?? '';
    const what = MODEL_TUNING.test(path)
      ? 'model tuning (models/{m}/hypersearch)'
      : NOT_OFFERED[path.split('/')[0] ?? ''];
    if (what) return reply.status(501).send({ message: `WMLA ${what} is not supported by this server` });
    return reply.status(404).send({ message: `no WMLA endpoint ${req.method} ${WMLA_BASE}/${path}` });
  });
};
