/**
 * DRUM prediction-server routes (datarobot-user-models `drum server`), trailing slashes as DRUM
 * has them; a path missing its slash gets the 308 redirect Flask gives. Errors are
 * `{"message":"ERROR: …"}`: 422 bad input, 500 model failure, 513 when the model failed to load.
 */
import { parseCsvTable } from '../../modules/serving/csv-payload.js';
import { json, JSON_TYPE, charsetOf, mediaType, toAppError } from '../../modules/serving/serving.http.js';
import type {
  MaybeAsync,
  ServingHost,
  ServingRequest,
  ServingResponse,
} from '../../modules/serving/serving.http.js';
import type { ServingService } from '../../modules/serving/serving.service.js';
import type { Scores, Table } from '../../modules/serving/serving.types.js';
import { mlflowInvocations } from '../mlflow/mlflow.routes.js';
import { readStructured, structuredTable } from './drum.payload.js';
import { renderPredictions } from './drum.render.js';
import { transformResponse } from './drum.transform.js';

const OK = json(200, { message: 'OK' });
const DRUM_STATUS: Record<string, number> = {
  invalid: 422,
  payload_too_large: 413,
  not_found: 404,
  unavailable: 503,
};

export function drumError(e: unknown): ServingResponse {
  const err = toAppError(e);
  const status = DRUM_STATUS[err.code] ?? 500;
  return json(status, { message: `ERROR: ${err.message}` });
}

const loadFailed = (host: ServingHost) => json(513, { message: `ERROR: ${host.loadError}` });

function render(svc: ServingService, s: Scores): ServingResponse {
  return { status: 200, body: renderPredictions(s, svc.labels !== null), contentType: JSON_TYPE };
}

function predict(req: ServingRequest, svc: ServingService): MaybeAsync<ServingResponse> {
  try {
    const p = readStructured(req);
    if (p.kind === 'csv') {
      const fast = svc.scoreCsv(p.bytes);
      if (fast) return fast.then((s) => render(svc, s), drumError);
      return svc.scoreTable(parseCsvTable(p.bytes)).then((s) => render(svc, s), drumError);
    }
    return structuredTable(p)
      .then((t: Table) => svc.scoreTable(t))
      .then((s) => render(svc, s), drumError);
  } catch (e) {
    return drumError(e);
  }
}

async function unstructured(req: ServingRequest, svc: ServingService): Promise<ServingResponse> {
  const mimetype = mediaType(req) || 'text/plain';
  const charset = charsetOf(req) ?? 'utf-8';
  const isText = mimetype.startsWith('text/') || mimetype === 'application/json';
  let data: string | Uint8Array = req.body;
  if (isText) {
    try {
      data = new TextDecoder(charset).decode(req.body);
    } catch {
      data = req.body.toString('utf8');
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = String(v);
  const r = await svc.scoreUnstructured({
    data,
    mimetype,
    charset,
    query: Object.fromEntries(new URLSearchParams(req.query)),
    headers,
  });
  if (typeof r.data === 'string')
    return {
      status: 200,
      body: Buffer.from(r.data, 'utf8'),
      contentType: `${r.mimetype ?? 'text/plain'}; charset=${r.charset ?? 'utf-8'}`,
    };
  return {
    status: 200,
    body: Buffer.from(r.data),
    contentType: r.mimetype
      ? `${r.mimetype}${r.charset ? `; charset=${r.charset}` : ''}`
      : 'application/octet-stream',
  };
}

function info(host: ServingHost, svc: ServingService): ServingResponse {
  const rt = svc.runtime;
  const labels =
    svc.targetType === 'binary'
      ? { positiveClassLabel: svc.labels![1], negativeClassLabel: svc.labels![0] }
      : svc.targetType === 'multiclass'
        ? { classLabels: svc.labels }
        : {};
  return json(200, {
    codeDir: rt.source,
    targetType: svc.targetType,
    language: rt.language,
    drumVersion: host.version,
    drumServer: 'modelyard',
    modelMetadata: null,
    predictor: rt.predictor,
    modelName: svc.name,
    ...labels,
  });
}

/** This process's figures, or the whole server's when it is one of several worker processes. */
function stats(host: ServingHost, svc: ServingService): MaybeAsync<ServingResponse> {
  if (host.gatherStats) return host.gatherStats().then((body) => json(200, body), drumError);
  return json(200, svc.stats.snapshot({ batching: svc.batching() }));
}

const CAPABILITIES = json(200, {
  supported_payload_formats: { csv: null, mtx: null, arrow: null },
  supported_methods: { chat: false },
});

interface Route {
  method: 'GET' | 'POST';
  run: (req: ServingRequest, host: ServingHost, svc: ServingService) => MaybeAsync<ServingResponse>;
}

const ping: Route = { method: 'GET', run: () => OK };
const predictRoute: Route = { method: 'POST', run: (req, _h, svc) => predict(req, svc) };
const unstructuredRoute: Route = {
  method: 'POST',
  run: (req, _h, svc) => unstructured(req, svc).catch(drumError),
};

const ROUTES = new Map<string, Route>([
  ['/', ping],
  ['/ping/', ping],
  ['/ping', ping],
  ['/health/', ping],
  ['/info/', { method: 'GET', run: (_r, host, svc) => info(host, svc) }],
  ['/stats/', { method: 'GET', run: (_r, host, svc) => stats(host, svc) }],
  ['/capabilities/', { method: 'GET', run: () => CAPABILITIES }],
  ['/predict/', predictRoute],
  ['/predictions/', predictRoute],
  [
    '/invocations',
    {
      method: 'POST',
      run: (req, host, svc) =>
        mediaType(req) === 'application/json' ? mlflowInvocations(req, host) : predict(req, svc),
    },
  ],
  ['/predictUnstructured/', unstructuredRoute],
  ['/predictionsUnstructured/', unstructuredRoute],
  ['/transform/', { method: 'POST', run: (req, _h, svc) => transformResponse(req, svc).catch(drumError) }],
]);

/** Handles a DRUM route, or returns null when the path is not one. */
export function drumRoutes(req: ServingRequest, host: ServingHost): MaybeAsync<ServingResponse> | null {
  const route = ROUTES.get(req.path);
  if (!route) {
    if (ROUTES.has(req.path + '/'))
      return { status: 308, body: '', contentType: 'text/plain', headers: { location: `${req.path}/` } };
    return null;
  }
  if (req.method !== route.method && !(route.method === 'GET' && req.method === 'HEAD'))
    return json(405, { message: `ERROR: ${req.method} is not allowed on ${req.path}` });
  if (!host.service) {
    return req.path === '/capabilities/' ? CAPABILITIES : loadFailed(host);
  }
  return route.run(req, host, host.service);
}
