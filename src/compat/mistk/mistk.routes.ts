/**
 * MISTK's model-instance API (basePath /v1/mistk, spec 1.0.0) on the model-instances service, so
 * MISTK's generated client and test harness work unchanged. Every instance has its own base path,
 * `/model-instances/{name}/v1/mistk` (404 ServiceError for an unknown name: create it natively
 * first); `/v1/mistk` itself addresses the instance `default`, created on first use, for a client
 * pointed at the server root. Accepted calls answer 200 with an empty body, as the 1.0 spec says;
 * what differs from upstream (synchronous 400s, 501s) is in docs/compat-mistk.md.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { installAuth } from '../../http/auth.js';
import { DEFAULT_INSTANCE, type ModelInstancesService } from '../../modules/model-instances/index.js';
import type { CompatSurface } from '../index.js';
import { flag, installLenientJson, installMistkErrors, sendServiceError } from './mistk-errors.js';
import { streamWatch } from './mistk-watch.js';

/** The MISTK API version we implement (the seed swagger's info.version). */
export const MISTK_API_VERSION = '1.0.0';

/** Calls the built-in learners have nothing to offer for: 501 instead of upstream's 500 / silent accept. */
const UNSUPPORTED: Array<{ method: 'POST' | 'DELETE'; url: string; what: string }> = [
  { method: 'POST', url: '/generate', what: 'generate' },
  { method: 'POST', url: '/saveGenerations', what: 'saveGenerations' },
  { method: 'POST', url: '/miniaturize', what: 'miniaturize' },
  { method: 'POST', url: '/buildEnsemble', what: 'buildEnsemble' },
  { method: 'POST', url: '/updateStreamProperties', what: 'updateStreamProperties' },
  { method: 'POST', url: '/streamPredict/source', what: 'streamPredict/source' },
  { method: 'DELETE', url: '/streamPredict/source/cancel', what: 'streamPredict/source/cancel' },
];
const NOT_IMPLEMENTED = ['/pause', '/resumeTraining', '/resumePredict'];

type Query = Record<string, string | undefined>;
const query = (req: FastifyRequest) => req.query as Query;
/** MISTK's client sends the literal `None` for an absent optional path. */
const optionalPath = (v: string | undefined) => (v === undefined || v === '' || v === 'None' ? null : v);

interface EndpointOptions {
  mi: ModelInstancesService;
  /** The instance a request addresses (creating the default one when needed). */
  instance: (req: FastifyRequest) => Promise<string>;
  hide: boolean;
  open: Set<() => void>;
}

async function endpoints(app: FastifyInstance, o: EndpointOptions): Promise<void> {
  const { mi } = o;
  installMistkErrors(app);
  const schema = { tags: ['mistk'], hide: o.hide };
  const accepted = (reply: FastifyReply) => reply.status(200).send();
  const post = (url: string, handler: (name: string, req: FastifyRequest) => Promise<unknown>) =>
    app.post(url, { schema }, async (req, reply) => {
      await handler(await o.instance(req), req);
      return accepted(reply);
    });

  post('/initialize', (name, req) => mi.initialize(name, req.body));
  post('/loadData', (name, req) => mi.loadData(name, req.body));
  post('/buildModel', (name, req) => mi.buildModel(name, optionalPath(query(req).modelPath)));
  post('/train', (name) => mi.train(name));
  post('/saveModel', (name, req) => mi.saveModel(name, optionalPath(query(req).modelPath) ?? undefined));
  post('/predict', (name) => mi.predict(name));
  post('/savePredictions', (name, req) =>
    mi.savePredictions(name, optionalPath(query(req).dataPath) ?? undefined),
  );
  post('/shutdown', (name) => mi.shutdown(name));

  app.post('/streamPredict', { schema }, async (req) =>
    mi.streamPredict(await o.instance(req), req.body, flag(query(req).details)),
  );

  app.post('/reset', { schema }, async (req, reply) => {
    await mi.reset(await o.instance(req));
    return reply.type('text/plain; charset=utf-8').send('resetting...');
  });

  app.get('/status', { schema }, async (req, reply) => {
    const name = await o.instance(req);
    const q = query(req);
    if (!flag(q.watch)) return mi.status(name);
    const from = Number(q.resourceVersion ?? 0);
    if (!Number.isInteger(from) || from < 0)
      return sendServiceError(reply, 400, 'resourceVersion must be a non-negative integer');
    await streamWatch(mi, name, from, req, reply, o.open);
    return reply;
  });

  app.get('/apiVersion', { schema }, async (_req, reply) =>
    reply.type('text/plain; charset=utf-8').send(MISTK_API_VERSION),
  );

  for (const u of UNSUPPORTED)
    app.route({
      method: u.method,
      url: u.url,
      schema,
      handler: async (req, reply) => {
        await mi.status(await o.instance(req));
        return sendServiceError(
          reply,
          501,
          `${u.what} is not supported: Modelyard's built-in learners (tabular classification and regression) have no such capability`,
        );
      },
    });
  for (const url of NOT_IMPLEMENTED)
    app.post(url, { schema }, async (req, reply) => {
      await mi.status(await o.instance(req));
      return sendServiceError(reply, 501, `${url.slice(1)} is not implemented (as in upstream MISTK)`);
    });
}

export const mistkRoutes: CompatSurface = async (app, { services, deps }) => {
  const mi = services.modelInstances;
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
  installLenientJson(app);
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  await app.register(endpoints, {
    prefix: '/model-instances/:name/v1/mistk',
    mi,
    open,
    hide: false,
    instance: async (req) => (req.params as { name: string }).name,
  });
  await app.register(endpoints, {
    prefix: '/v1/mistk',
    mi,
    open,
    hide: true,
    instance: async () => {
      await mi.ensure(DEFAULT_INSTANCE);
      return DEFAULT_INSTANCE;
    },
  });
};
