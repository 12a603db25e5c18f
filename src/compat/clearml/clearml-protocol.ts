/**
 * ClearML's calling convention: `[/api]/[v<major.minor>/]service.action` paths, version
 * negotiation against each action's list of definitions, and the `{meta, data}` envelope.
 * Behaviour follows clearml-server's service repository (see docs/compat-clearml.md).
 */
import { randomBytes } from 'node:crypto';

/** Highest API version we answer as (clearml-server 2.0.0). Paths without a version use it. */
export const MAX_VERSION = '2.31';

/**
 * Every models.* action with the versions at which its definition changed (ascending). A call at
 * version V runs the highest definition ≤ V; below the first one the action does not exist.
 */
export const ACTION_VERSIONS: Record<string, string[]> = {
  get_by_id: ['2.1'],
  get_by_task_id: ['2.1'],
  get_all: ['2.1', '2.15', '2.26'],
  get_all_ex: ['2.1', '2.13', '2.15', '2.20', '2.23', '2.27'],
  get_by_id_ex: ['2.11'],
  get_frameworks: ['2.8'],
  update_for_task: ['2.1'],
  create: ['2.1', '2.13'],
  edit: ['2.1', '2.13'],
  update: ['2.1', '2.13'],
  set_ready: ['2.1'],
  publish_many: ['2.13'],
  archive_many: ['2.13'],
  unarchive_many: ['2.13'],
  delete: ['2.1', '2.13'],
  delete_many: ['2.13'],
  make_public: ['2.9'],
  make_private: ['2.9'],
  move: ['2.12'],
  add_or_update_metadata: ['2.13'],
  delete_metadata: ['2.13'],
  update_tags: ['2.27'],
};

/** Actions that only read: a viewer token may call them. */
export const READ_ACTIONS = new Set([
  'get_by_id',
  'get_by_task_id',
  'get_all',
  'get_all_ex',
  'get_by_id_ex',
  'get_frameworks',
]);

/** `get_by_task_id` and `update_for_task` were removed after this version (301 above it). */
export const BACKWARDS_COMPAT_MAX = '2.13';

/** A parsed `major.minor` version, kept with the text the client sent. */
export interface ApiVersion {
  text: string;
  major: number;
  minor: number;
}

export function parseVersion(text: string): ApiVersion | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  return { text, major: Number(m[1]), minor: Number(m[2] ?? 0) };
}

/** Numeric comparison: 2.9 < 2.13. */
export function compareVersions(a: ApiVersion, b: ApiVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

const MAX = parseVersion(MAX_VERSION)!;
const FIRST_STRING_VERSION = parseVersion('2.1')!;

/** The endpoint part of `meta`: clients older than 2.1 expect versions as numbers. */
export interface EndpointMeta {
  name: string;
  requested_version: string | number | null;
  actual_version: string | number | null;
}

export function endpointMeta(name: string, requested: ApiVersion, actual: string | null): EndpointMeta {
  const asNumber = compareVersions(requested, FIRST_STRING_VERSION) < 0;
  const fmt = (v: string | null) => (v === null ? null : asNumber ? Number(v) : v);
  return { name, requested_version: fmt(requested.text), actual_version: fmt(actual) };
}

/** What the path says: either a call to resolve, or a ClearML error to answer with. */
export type ParsedPath =
  | { ok: true; endpoint: string; service: string; action: string; requested: ApiVersion; explicit: boolean }
  | { ok: false; code: number; subcode: number; msg: string };

const ENDPOINT_PATH = /^\/?(?:v(\d+\.?\d+)\/)?([a-zA-Z_]\w+)\.([a-zA-Z_]\w+)\/?$/;

/** Parses `[/api]/[vX.Y/]service.action` as clearml-server does (the `/api` prefix is the web server's). */
export function parsePath(url: string): ParsedPath {
  let path = url.split('?')[0] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path: the pattern below rejects it
  }
  if (path.startsWith('/api/')) path = path.slice(4);
  const m = ENDPOINT_PATH.exec(path);
  if (!m) return { ok: false, code: 400, subcode: 0, msg: `Invalid request path ${path}` };
  const service = m[2]!;
  const action = m[3]!;
  let requested = MAX;
  if (m[1] !== undefined) {
    const v = parseVersion(m[1]);
    if (!v)
      return {
        ok: false,
        code: 400,
        subcode: 2,
        msg: `Request path has invalid version: version=${m[1]}`,
      };
    if (compareVersions(v, MAX) > 0)
      return {
        ok: false,
        code: 400,
        subcode: 0,
        msg: `Invalid API version (max. supported version is ${MAX_VERSION})`,
      };
    requested = v;
  }
  return {
    ok: true,
    endpoint: `${service}.${action}`,
    service,
    action,
    requested,
    explicit: m[1] !== undefined,
  };
}

/** The definition a call at `requested` runs, or null when the action does not exist at that version. */
export function resolveVersion(action: string, requested: ApiVersion): string | null {
  const versions = ACTION_VERSIONS[action];
  if (!versions) return null;
  let actual: string | null = null;
  for (const v of versions) if (compareVersions(parseVersion(v)!, requested) <= 0) actual = v;
  return actual;
}

/** `get_by_task_id` / `update_for_task` answer 301 when called above BACKWARDS_COMPAT_MAX. */
export function removedFor(requested: ApiVersion): boolean {
  return compareVersions(requested, parseVersion(BACKWARDS_COMPAT_MAX)!) > 0;
}

/** True when the call's version is at least `v` (definitions that add fields to an answer). */
export function atLeast(actual: string, v: string): boolean {
  return compareVersions(parseVersion(actual)!, parseVersion(v)!) >= 0;
}

export interface Meta {
  id: string;
  trx: string;
  endpoint: EndpointMeta;
  result_code: number;
  result_subcode: number;
  result_msg: string;
  error_stack: string | null;
  error_data: Record<string, unknown>;
  /** Modelyard addition on list calls: how the answer was paged (never a silent cap). */
  paging?: Record<string, unknown>;
}

export const newCallId = () => randomBytes(16).toString('hex');

/** The `{meta, data}` body clearml-server returns for every call (keys in its order). */
export function envelope(
  m: Omit<Meta, 'error_stack' | 'error_data'> & { error_data?: Record<string, unknown> },
  data: unknown,
) {
  const meta: Meta = {
    id: m.id,
    trx: m.trx,
    endpoint: m.endpoint,
    result_code: m.result_code,
    result_subcode: m.result_subcode,
    result_msg: m.result_msg,
    error_stack: null,
    error_data: m.error_data ?? {},
    ...(m.paging ? { paging: m.paging } : {}),
  };
  return { meta, data: data ?? {} };
}
