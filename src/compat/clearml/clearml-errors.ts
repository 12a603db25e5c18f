/**
 * ClearML result codes and sub-codes (clearml-server `apierrors/errors.conf`) and the one table
 * that maps our AppError reasons onto them. Messages follow clearml-server's format:
 * `Default message (extra): key=value, key=value`, with the key/values echoed in `error_data`.
 */
import type { AppError } from '../../errors.js';

/** code → subcode → default message. */
const MESSAGES: Record<string, string> = {
  '301/1': 'Not supported for requested version',
  '400/0': 'Bad request',
  '400/1': 'Endpoint is not supported',
  '400/2': 'Request path has invalid version',
  '400/10': 'Invalid object id',
  '400/11': 'Missing required fields',
  '400/12': 'Validation error',
  '400/14': 'Fields not defined for object',
  '400/15': 'Conflicting fields',
  '400/16': 'Invalid value for fields',
  '400/17': 'Batch request contains no items',
  '400/20': 'Invalid type for fields',
  '400/21': 'Malformed regular expression',
  '400/101': 'Invalid task id',
  '400/122': 'Task is missing expected fields',
  '400/201': 'Invalid model id',
  '400/203': 'Model is ready',
  '400/205': 'Model is used by tasks',
  '400/401': 'Invalid project id',
  '400/407': 'Invalid project name',
  '400/1104': 'Invalid scroll id',
  '401/20': 'Unauthorized (missing credentials)',
  '401/21': 'Unauthorized (malformed credentials)',
  '401/22': 'Unauthorized (invalid credentials)',
  '401/30': 'Invalid token',
  '403/20': 'Forbidden (not allowed for role)',
  '404/0': 'Not found',
  '413/0': 'Request entity too large',
  '500/0': 'General server error',
  '500/102': 'Database is temporarily unavailable',
};

const formatValue = (v: unknown): string =>
  Array.isArray(v)
    ? `(${v.map(String).join(', ')})`
    : typeof v === 'object' && v !== null
      ? JSON.stringify(v)
      : String(v);

/** A ClearML-level failure: what the envelope's result_code/subcode/msg/error_data will say. */
export class ClearMlError extends Error {
  readonly code: number;
  readonly subcode: number;
  readonly data: Record<string, unknown>;

  constructor(code: number, subcode: number, extra?: string | null, data: Record<string, unknown> = {}) {
    const base = MESSAGES[`${code}/${subcode}`] ?? 'Error';
    const kv = Object.entries(data)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(', ');
    super(`${base}${extra ? ` (${extra})` : ''}${kv ? `: ${kv}` : ''}`);
    this.name = 'ClearMlError';
    this.code = code;
    this.subcode = subcode;
    this.data = data;
  }

  /** An error whose message is exactly `msg` (clearml-server's request-parsing failures). */
  static raw(code: number, subcode: number, msg: string): ClearMlError {
    const e = new ClearMlError(code, subcode);
    e.message = msg;
    return e;
  }
}

/** Our field names as ClearML spells them, so messages name what the client sent. */
const CLEARML_FIELD: Record<string, string> = {
  systemTags: 'system_tags',
  lastIteration: 'last_iteration',
  sourceRunId: 'task',
  parentId: 'parent',
  projectId: 'project',
  pageSize: 'page_size',
  scrollId: 'scroll_id',
  orderBy: 'order_by',
  onlyFields: 'only_fields',
  createdAt: 'created',
};
export const clearmlProse = (s: string) =>
  s.replace(/\b[a-z]+[A-Z][A-Za-z]*\b/g, (w) => CLEARML_FIELD[w] ?? w);

/** reason → [code, subcode]; reasons not listed fall back on the error code below. */
const BY_REASON: Record<string, [number, number]> = {
  model_not_found: [400, 201],
  already_ready: [400, 203],
  model_is_ready: [400, 203],
  model_in_use: [400, 205],
  bad_regex: [400, 21],
  unsupported_operator: [400, 16],
  bad_filter: [400, 16],
  unknown_field: [400, 14],
  bad_order_by: [400, 16],
  page_without_size: [400, 11],
  bad_page_size: [400, 12],
  page_size_too_large: [400, 12],
  invalid_scroll_id: [400, 1104],
  batch_empty: [400, 17],
  validation_failed: [400, 12],
  project_not_found: [400, 401],
  bad_project_name: [400, 407],
  missing_token: [401, 20],
  invalid_token: [401, 30],
  role_too_low: [403, 20],
  invalid_json: [400, 0],
  unsupported_media_type: [400, 0],
};

const BY_CODE: Record<string, [number, number]> = {
  invalid: [400, 12],
  unauthenticated: [401, 20],
  forbidden: [403, 20],
  not_found: [400, 10],
  conflict: [400, 15],
  precondition_failed: [400, 16],
  payload_too_large: [413, 0],
  rate_limited: [429, 0],
  unavailable: [500, 102],
  internal: [500, 0],
};

/** Maps any AppError to ClearML's code, sub-code, message and error data. */
export function fromAppError(err: AppError): ClearMlError {
  const [code, subcode] = BY_REASON[err.reason ?? ''] ?? BY_CODE[err.code] ?? [500, 0];
  if (err.code === 'internal') return new ClearMlError(500, 0, 'see the server log for the request id');
  const details = err.details ?? {};
  switch (err.reason) {
    case 'model_not_found':
      if (typeof details.task === 'string')
        return new ClearMlError(400, 122, 'no model was created by this task', {
          task: details.task,
          field: 'models.output',
        });
      return new ClearMlError(code, subcode, 'no such public or company model', { id: details.id });
    case 'model_in_use': {
      // Beyond clearml-server's count: what uses the model, which its users ask for (clearml#810).
      const uses = Array.isArray(details.referrers)
        ? (details.referrers as Array<{ kind: string; id: string }>)
        : [];
      return new ClearMlError(code, subcode, 'as execution model, use force=True to delete', {
        ...(typeof details.count === 'number' ? { num_tasks: details.count } : {}),
        ...(uses.length ? { used_by: uses.map((u) => `${u.kind} ${u.id}`) } : {}),
      });
    }
    case 'model_is_ready':
      return new ClearMlError(code, subcode, 'changing a ready model needs force=true', {
        model: details.id,
      });
    case 'already_ready':
      return new ClearMlError(code, subcode, null, { model: details.id });
    case 'project_not_found':
      return new ClearMlError(code, subcode, null, { id: details.project ?? null });
  }
  const extra = err.errors.length
    ? err.errors.map((e) => `${clearmlProse(e.field)}: ${clearmlProse(e.message)}`).join('; ')
    : clearmlProse(err.message);
  return new ClearMlError(code, subcode, extra);
}

/** 400/11 for required fields a call lacks. */
export function requireFields(body: Record<string, unknown>, ...fields: string[]): void {
  const missing = fields.filter((f) => body[f] === undefined || body[f] === null || body[f] === '');
  if (missing.length) throw new ClearMlError(400, 11, null, { fields: missing });
}
