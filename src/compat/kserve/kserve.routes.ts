/**
 * KServe surfaces: Open Inference Protocol v2 (`/v2`, health, model metadata/ready/infer, with or
 * without `/versions/{v}`) and V1 (`/v1/models`, `/v1/models/{name}`, `:predict`). Errors are
 * `{"error": "…"}`: 400 bad input, 404 unknown model, 503 not ready, 500 model failure.
 */
import { AppError, invalid } from '../../errors.js';
import { columnsToTable, rowsToTable, v2InputsToTable } from '../../modules/serving/json-payload.js';
import { json, predictedValues, toAppError } from '../../modules/serving/serving.http.js';
import type {
  MaybeAsync,
  ServingHost,
  ServingRequest,
  ServingResponse,
} from '../../modules/serving/serving.http.js';
import type { ServingService } from '../../modules/serving/serving.service.js';
import type { Scores } from '../../modules/serving/serving.types.js';

export function kserveError(e: unknown): ServingResponse {
  const err = toAppError(e);
  return json(err.code === 'invalid' ? 400 : err.status, { error: err.message });
}

function parseJson(body: Buffer): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw invalid(`invalid JSON body: ${(e as Error).message}`, { reason: 'bad_json' });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw invalid('the request body must be a JSON object', { reason: 'bad_json' });
  return doc as Record<string, unknown>;
}

function outputsMeta(svc: ServingService) {
  if (!svc.labels) return [{ name: 'predict', datatype: 'FP64', shape: [-1] }];
  return [
    { name: 'predict', datatype: 'BYTES', shape: [-1] },
    { name: 'predict_proba', datatype: 'FP64', shape: [-1, svc.labels.length] },
  ];
}

function metadata(svc: ServingService) {
  const inp = svc.runtime.inputs;
  return {
    name: svc.name,
    ...(svc.version ? { versions: [svc.version] } : {}),
    platform: svc.runtime.platform,
    inputs: [
      {
        name: 'input-0',
        datatype: 'FP64',
        shape: [-1, inp.count ?? -1],
        ...(inp.names ? { parameters: { feature_names: inp.names.join(',') } } : {}),
      },
    ],
    outputs: outputsMeta(svc),
    ...(svc.labels ? { parameters: { class_labels: svc.labels.join(',') } } : {}),
  };
}

function v2Outputs(svc: ServingService, s: Scores, wanted: string[] | null) {
  const all: Record<string, () => Record<string, unknown>> = {
    predict: () => ({
      name: 'predict',
      shape: [s.nRows],
      datatype: svc.labels ? 'BYTES' : 'FP64',
      data: predictedValues(s, svc.labels),
    }),
  };
  if (svc.labels)
    all.predict_proba = () => ({
      name: 'predict_proba',
      shape: [s.nRows, s.columns.length],
      datatype: 'FP64',
      data: Array.from(s.values, (v) => (Number.isFinite(v) ? v : null)),
    });
  const names = wanted ?? Object.keys(all);
  for (const n of names)
    if (!all[n])
      throw invalid(`unknown output '${n}'; this model has ${Object.keys(all).join(', ')}`, {
        reason: 'bad_output',
      });
  return names.map((n) => all[n]!());
}

async function infer(req: ServingRequest, svc: ServingService): Promise<ServingResponse> {
  const doc = parseJson(req.body);
  if (doc.id !== undefined && typeof doc.id !== 'string')
    throw invalid('"id" must be a string', { reason: 'bad_json' });
  let wanted: string[] | null = null;
  if (doc.outputs !== undefined) {
    if (!Array.isArray(doc.outputs)) throw invalid('"outputs" must be a list', { reason: 'bad_json' });
    wanted = doc.outputs.map((o: unknown) => {
      const name = (o as { name?: unknown } | null)?.name;
      if (typeof name !== 'string')
        throw invalid('each requested output needs a "name"', { reason: 'bad_json' });
      return name;
    });
  }
  const table = v2InputsToTable(doc.inputs, svc.runtime.inputs);
  const scores = await svc.scoreTable(table);
  return json(200, {
    model_name: svc.name,
    ...(svc.version ? { model_version: svc.version } : {}),
    ...(doc.id !== undefined ? { id: doc.id } : {}),
    outputs: v2Outputs(svc, scores, wanted),
  });
}

/** `/v2/models/{name}[/versions/{v}][/ready|/infer]` → [name, version, action]. */
function splitModelPath(rest: string): [string, string | null, string] {
  const parts = rest.split('/');
  const name = decodeURIComponent(parts[0] ?? '');
  let i = 1;
  let version: string | null = null;
  if (parts[1] === 'versions' && parts.length >= 3) {
    version = decodeURIComponent(parts[2]!);
    i = 3;
  }
  return [name, version, parts.slice(i).join('/')];
}

function requireModel(host: ServingHost, name: string, version: string | null): ServingService {
  const svc = host.service;
  if (name !== host.name || (version !== null && svc?.version !== undefined && version !== svc.version))
    throw new AppError(
      'not_found',
      `Model with name ${name}${version ? ` and version ${version}` : ''} does not exist.`,
    );
  if (!svc) throw new AppError('unavailable', `Model with name ${name} is not ready: ${host.loadError}`);
  return svc;
}

function v2(req: ServingRequest, host: ServingHost): MaybeAsync<ServingResponse> | null {
  const p = req.path;
  const get = req.method === 'GET';
  if (p === '/v2' && get) return json(200, { name: 'modelyard', version: host.version, extensions: [] });
  if (p === '/v2/health/live' && get) return json(200, { live: true });
  if (p === '/v2/health/ready' && get)
    return host.service
      ? json(200, { ready: true })
      : json(503, { error: `model not ready: ${host.loadError}` });
  if (p === '/v2/models' && get) return json(200, { models: [host.name] });
  if (!p.startsWith('/v2/models/')) return null;
  const [name, version, action] = splitModelPath(p.slice('/v2/models/'.length));
  try {
    if (action === '' && get) return json(200, metadata(requireModel(host, name, version)));
    if (action === 'ready' && get) {
      requireModel(host, name, version);
      return json(200, { name, ready: true });
    }
    if (action === 'infer' && req.method === 'POST')
      return infer(req, requireModel(host, name, version)).catch(kserveError);
  } catch (e) {
    return kserveError(e);
  }
  return json(404, { error: `no route ${req.method} ${p}` });
}

async function v1Predict(req: ServingRequest, svc: ServingService): Promise<ServingResponse> {
  const doc = parseJson(req.body);
  const body = doc.instances ?? doc.inputs;
  if (body === undefined) throw invalid('the body needs "instances" or "inputs"', { reason: 'bad_json' });
  const table =
    body && typeof body === 'object' && !Array.isArray(body)
      ? columnsToTable(body as Record<string, unknown>, 'inputs')
      : rowsToTable(body, doc.instances !== undefined ? 'instances' : 'inputs');
  const scores = await svc.scoreTable(table);
  return json(200, { predictions: predictedValues(scores, svc.labels) });
}

function v1(req: ServingRequest, host: ServingHost): MaybeAsync<ServingResponse> | null {
  const p = req.path;
  if (p === '/v1/models' && req.method === 'GET') return json(200, { models: [host.name] });
  if (!p.startsWith('/v1/models/')) return null;
  const rest = decodeURIComponent(p.slice('/v1/models/'.length));
  try {
    if (rest.endsWith(':predict') && req.method === 'POST')
      return v1Predict(req, requireModel(host, rest.slice(0, -':predict'.length), null)).catch(kserveError);
    if (!rest.includes(':') && req.method === 'GET') {
      requireModel(host, rest, null);
      return json(200, { name: rest, ready: true });
    }
  } catch (e) {
    return kserveError(e);
  }
  return json(404, { error: `no route ${req.method} ${p}` });
}

/** Handles a KServe V2/V1 route, or returns null when the path is not one. */
export function kserveRoutes(req: ServingRequest, host: ServingHost): MaybeAsync<ServingResponse> | null {
  if (req.path.startsWith('/v2')) return v2(req, host);
  if (req.path.startsWith('/v1/models')) return v1(req, host);
  return null;
}
