/**
 * MLflow scoring-server surface: POST /invocations with JSON (`dataframe_split`,
 * `dataframe_records`, `instances`, `inputs`; CSV goes through the DRUM path), GET /health and
 * /version. Predictions are labels for classifiers (pyfunc `predict`), values otherwise.
 * Errors: `{"error_code": "BAD_REQUEST", "message"}` with 400 (415 for a wrong charset).
 */
import { AppError, invalid } from '../../errors.js';
import { columnsToTable, rowsToTable, splitToTable } from '../../modules/serving/json-payload.js';
import { charsetOf, json, predictedValues, toAppError } from '../../modules/serving/serving.http.js';
import type { ServingHost, ServingRequest, ServingResponse } from '../../modules/serving/serving.http.js';
import type { Table } from '../../modules/serving/serving.types.js';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

export function mlflowError(e: unknown): ServingResponse {
  const err = toAppError(e);
  const status = err.code === 'invalid' ? 400 : err.status;
  const code = status === 400 ? 'BAD_REQUEST' : status === 413 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL_ERROR';
  return json(status, { error_code: code, message: err.message });
}

/** Parses an MLflow JSON body into a Table (exactly one of the four formats). */
export function mlflowTable(body: Buffer): Table {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw invalid(`invalid JSON input: ${(e as Error).message}`, { reason: 'bad_json' });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw invalid(`the JSON body must be an object with one of: ${FORMATS.join(', ')}`, {
      reason: 'bad_json',
    });
  const o = doc as Record<string, unknown>;
  const present = FORMATS.filter((f) => f in o);
  if (present.length !== 1)
    throw invalid(`the JSON body must have exactly one of: ${FORMATS.join(', ')} (found ${present.length})`, {
      reason: 'bad_json',
    });
  const f = present[0]!;
  const v = o[f];
  if (f === 'dataframe_split') return splitToTable(v);
  if (f === 'dataframe_records') return rowsToTable(v, 'dataframe_records');
  if (v && typeof v === 'object' && !Array.isArray(v)) return columnsToTable(v as Record<string, unknown>, f);
  return rowsToTable(v, f);
}

export async function mlflowInvocations(req: ServingRequest, host: ServingHost): Promise<ServingResponse> {
  try {
    const cs = charsetOf(req);
    if (cs && cs !== 'utf-8' && cs !== 'utf8')
      return json(415, { error_code: 'BAD_REQUEST', message: `the charset must be utf-8, not ${cs}` });
    if (!host.service) throw new AppError('unavailable', `the model failed to load: ${host.loadError}`);
    const svc = host.service;
    const scores = await svc.scoreTable(mlflowTable(req.body));
    return json(200, { predictions: predictedValues(scores, svc.labels) });
  } catch (e) {
    return mlflowError(e);
  }
}

/** MLflow's GET /health (no slash) and /version; null for other paths. */
export function mlflowRoutes(req: ServingRequest, host: ServingHost): ServingResponse | null {
  if (req.method !== 'GET') return null;
  if (req.path === '/health')
    return host.service
      ? { status: 200, body: '\n', contentType: 'text/plain' }
      : json(503, { error_code: 'INTERNAL_ERROR', message: host.loadError });
  if (req.path === '/version') return { status: 200, body: host.version, contentType: 'text/plain' };
  return null;
}
