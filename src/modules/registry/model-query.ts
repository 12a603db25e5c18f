/**
 * The registry filter language: parses a JSON filter (a superset of what ClearML `models.get_all`
 * accepts, plus `$or` / `$and` / `$not`) into a small condition tree. Pure: no SQL here (see
 * model-query-sql.ts). Every rejection is an `invalid` AppError naming the field and the rule.
 * The language is documented in docs/registry.md ("Filter language").
 */
import { invalid } from '../../errors.js';

export type ListFieldName =
  | 'id'
  | 'project'
  | 'projectName'
  | 'modelId'
  | 'version'
  | 'framework'
  | 'uri'
  | 'user'
  | 'task'
  | 'parent'
  | 'datasetVersion'
  | 'tags'
  | 'systemTags'
  | 'metadata';
export type PatternFieldName = 'name' | 'comment' | Exclude<ListFieldName, 'metadata' | 'version'>;
export type DateFieldName = 'created' | 'updated' | 'lastChange';
export type MetricStat = 'value' | 'min_value' | 'max_value';

export interface ListField {
  name: ListFieldName;
  /** Metadata key for `metadata.<key>`. */
  key?: string;
}

export interface RangeField {
  name: DateFieldName | 'lastIteration' | 'metric';
  metric?: string;
  variant?: string;
  stat?: MetricStat;
}

export interface Bounds {
  gt?: string | number;
  gte?: string | number;
  lt?: string | number;
  lte?: string | number;
}

export type Cond =
  | { kind: 'and' | 'or'; items: Cond[] }
  | { kind: 'not'; item: Cond }
  | { kind: 'pattern'; field: PatternFieldName; pattern: string; ignoreCase: boolean }
  | {
      kind: 'list';
      field: ListField;
      /** contains any of */
      any: string[];
      /** contains all of */
      all: string[];
      /** contains none of */
      none: string[];
      /** lacks at least one of */
      notAll: string[];
      /** how the non-empty groups above combine */
      op: 'and' | 'or';
      /** `null` was listed: an empty / missing field also matches */
      allowEmpty: boolean;
    }
  | { kind: 'bool'; field: 'ready' | 'archived' | 'public'; value: boolean }
  | ({ kind: 'range'; field: RangeField; nullMatchesMissing: boolean } & Bounds)
  | { kind: 'text'; terms: string[]; phrases: string[]; negated: string[] };

const LIST_FIELDS: Record<string, ListFieldName> = {
  id: 'id',
  project: 'project',
  project_name: 'projectName',
  projectName: 'projectName',
  model_id: 'modelId',
  modelId: 'modelId',
  version: 'version',
  framework: 'framework',
  uri: 'uri',
  user: 'user',
  task: 'task',
  source_run: 'task',
  sourceRun: 'task',
  parent: 'parent',
  dataset_version: 'datasetVersion',
  datasetVersion: 'datasetVersion',
  tags: 'tags',
  system_tags: 'systemTags',
  systemTags: 'systemTags',
};
const DATE_FIELDS: Record<string, DateFieldName> = {
  created: 'created',
  last_update: 'updated',
  updated: 'updated',
  last_change: 'lastChange',
  lastChange: 'lastChange',
};
const BOOL_FIELDS = new Set(['ready', 'archived', 'public']);
const METRIC_STATS: Record<string, MetricStat> = {
  value: 'value',
  min_value: 'min_value',
  max_value: 'max_value',
  min: 'min_value',
  max: 'max_value',
};

/** Field names `_any_` / `_all_` patterns may name (case-insensitive regex over each). */
export const MULTI_PATTERN_FIELDS: Record<string, PatternFieldName> = {
  name: 'name',
  comment: 'comment',
  ...(Object.fromEntries(Object.entries(LIST_FIELDS).filter(([, v]) => v !== 'version')) as Record<
    string,
    PatternFieldName
  >),
};

const fail = (field: string, rule: string, reason = 'bad_filter') =>
  invalid(`filter ${field}: ${rule}`, { reason, errors: [{ field, message: rule }] });

/** Validates a regex the way the server will run it; `(?i)` prefixes (Python style) turn on ignoreCase. */
export function checkPattern(
  field: string,
  raw: unknown,
  ignoreCase: boolean,
): { pattern: string; ignoreCase: boolean } {
  if (typeof raw !== 'string') throw fail(field, 'must be a regular expression string');
  let pattern = raw;
  if (pattern.startsWith('(?i)')) {
    pattern = pattern.slice(4);
    ignoreCase = true;
  }
  try {
    new RegExp(pattern);
  } catch (e) {
    throw fail(field, `invalid regular expression: ${(e as Error).message}`, 'bad_regex');
  }
  return { pattern, ignoreCase };
}

/** Parses a ClearML-style list value (`["a", "-b", "__$all", "c", null]`) or its structured form. */
export function parseList(fieldName: string, field: ListField, raw: unknown): Cond | null {
  const cond: Extract<Cond, { kind: 'list' }> = {
    kind: 'list',
    field,
    any: [],
    all: [],
    none: [],
    notAll: [],
    op: 'and',
    allowEmpty: false,
  };
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    parseStructured(fieldName, raw as Record<string, unknown>, cond);
  } else {
    parseOperators(fieldName, raw === null ? [null] : Array.isArray(raw) ? raw : [raw], cond);
  }
  const empty = [cond.any, cond.all, cond.none, cond.notAll].every((g) => g.length === 0);
  return empty && !cond.allowEmpty ? null : cond;
}

function scalar(fieldName: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw fail(fieldName, 'list items must be strings, numbers or null');
}

function parseOperators(fieldName: string, items: unknown[], c: Extract<Cond, { kind: 'list' }>) {
  let context: 'any' | 'all' = 'any';
  let negateNext = false;
  let legacyDash = true;
  let globalOp: 'and' | 'or' | null = null;
  for (const item of items) {
    if (item === null || item === undefined) {
      if (negateNext) throw fail(fieldName, '__$not must be followed by a value', 'unsupported_operator');
      c.allowEmpty = true;
      continue;
    }
    const v = scalar(fieldName, item);
    if (v.startsWith('__$')) {
      if (negateNext) throw fail(fieldName, '__$not must be followed by a value', 'unsupported_operator');
      const op = v.slice(3);
      if (op === 'not') negateNext = true;
      else if (op === 'all' || op === 'and' || op === 'any' || op === 'or') {
        context = op === 'all' || op === 'and' ? 'all' : 'any';
        globalOp ??= context === 'all' ? 'and' : 'or';
        legacyDash = false;
      } else if (op === 'nop') {
        context = 'any';
        legacyDash = true;
      } else throw fail(fieldName, `unsupported operator '${v}'`, 'unsupported_operator');
      if (op === 'not') legacyDash = false;
      continue;
    }
    if (negateNext) {
      (context === 'all' ? c.none : c.notAll).push(v);
      negateNext = false;
    } else if (legacyDash && v.startsWith('-') && v.length > 1) {
      c.none.push(v.slice(1));
    } else {
      (context === 'all' ? c.all : c.any).push(v);
    }
  }
  if (negateNext) throw fail(fieldName, '__$not must be followed by a value', 'unsupported_operator');
  c.op = globalOp ?? 'and';
}

function parseStructured(
  fieldName: string,
  raw: Record<string, unknown>,
  c: Extract<Cond, { kind: 'list' }>,
) {
  const group = (name: 'any' | 'all') => {
    const g = raw[name];
    if (g === undefined || g === null) return;
    if (typeof g !== 'object' || Array.isArray(g))
      throw fail(`${fieldName}.${name}`, 'must be an object {include, exclude}');
    for (const part of ['include', 'exclude'] as const) {
      const list = (g as Record<string, unknown>)[part];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) throw fail(`${fieldName}.${name}.${part}`, 'must be a list');
      for (const item of list) {
        if (item === null) {
          if (part === 'include') c.allowEmpty = true;
          continue;
        }
        const v = scalar(fieldName, item);
        if (name === 'any') (part === 'include' ? c.any : c.notAll).push(v);
        else (part === 'include' ? c.all : c.none).push(v);
      }
    }
  };
  for (const k of Object.keys(raw))
    if (!['any', 'all', 'op'].includes(k)) throw fail(`${fieldName}.${k}`, 'unknown key; use any, all, op');
  group('any');
  group('all');
  const op = raw.op ?? 'and';
  if (op !== 'and' && op !== 'or') throw fail(`${fieldName}.op`, "must be 'and' or 'or'");
  c.op = op;
}

const DATE_PREFIX = /^(>=|<=|>|<)?\s*(.*)$/;

function isoDate(field: string, text: string): string {
  const d = new Date(text);
  if (text.trim() === '' || Number.isNaN(d.getTime())) throw fail(field, `'${text}' is not a date`);
  return d.toISOString();
}

/** Dates: `[">=2024-01-01", "<2024-02-01"]`, a 2-item inclusive range, or `{gte, lt, …}`. */
export function parseDateRange(fieldName: string, field: RangeField, raw: unknown): Cond | null {
  const b: Bounds = {};
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!['gt', 'gte', 'lt', 'lte'].includes(k)) throw fail(`${fieldName}.${k}`, 'use gt, gte, lt or lte');
      if (v === null || v === undefined) continue;
      b[k as keyof Bounds] = isoDate(fieldName, String(v));
    }
  } else {
    const items = (Array.isArray(raw) ? raw : [raw]).filter((x) => x !== null && x !== undefined);
    const prefixed = items.some((x) => typeof x === 'string' && /^[<>]/.test(x));
    if (!prefixed && items.length === 2 && Array.isArray(raw)) {
      if (raw[0] !== null) b.gte = isoDate(fieldName, String(raw[0]));
      if (raw[1] !== null) b.lte = isoDate(fieldName, String(raw[1]));
    } else {
      for (const item of items) {
        if (typeof item !== 'string') throw fail(fieldName, 'dates must be strings');
        const m = DATE_PREFIX.exec(item.trim())!;
        const op = ({ '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' } as const)[m[1] ?? ''] ?? 'gte';
        b[op] = isoDate(fieldName, m[2]!);
        if (!m[1] && items.length === 1) b.lte = b.gte;
      }
    }
  }
  if (Object.keys(b).length === 0) return null;
  return { kind: 'range', field, nullMatchesMissing: false, ...b };
}

/** Numbers: exactly `[min, max]` (either may be null; a null min also matches a missing value) or `{gte, …}`. */
export function parseNumberRange(fieldName: string, field: RangeField, raw: unknown): Cond | null {
  const num = (v: unknown, where: string): number => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw fail(where, `'${String(v)}' is not a number`);
    return n;
  };
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const b: Bounds = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!['gt', 'gte', 'lt', 'lte'].includes(k)) throw fail(`${fieldName}.${k}`, 'use gt, gte, lt or lte');
      if (v !== null && v !== undefined) b[k as keyof Bounds] = num(v, `${fieldName}.${k}`);
    }
    return Object.keys(b).length === 0 ? null : { kind: 'range', field, nullMatchesMissing: false, ...b };
  }
  if (!Array.isArray(raw) || raw.length !== 2)
    throw fail(fieldName, 'a range must be [min, max] (either may be null)');
  const b: Bounds = {};
  if (raw[0] !== null && raw[0] !== undefined) b.gte = num(raw[0], fieldName);
  if (raw[1] !== null && raw[1] !== undefined) b.lte = num(raw[1], fieldName);
  const nullMin = raw[0] === null || raw[0] === undefined;
  if (Object.keys(b).length === 0) return null;
  return { kind: 'range', field, nullMatchesMissing: nullMin, ...b };
}

/** `metrics.<metric>.<variant>[.value|.min_value|.max_value]` (also `last_metrics.…`, hashes or names). */
export function parseMetricKey(key: string): RangeField | null {
  const m = /^(?:last_metrics|metrics)\.(.+)$/.exec(key);
  if (!m) return null;
  const parts = m[1]!.split('.');
  let stat: MetricStat = 'value';
  const last = parts[parts.length - 1]!;
  if (parts.length >= 3 && METRIC_STATS[last]) {
    stat = METRIC_STATS[last];
    parts.pop();
  }
  if (parts.length !== 2 || parts.some((p) => p === ''))
    throw fail(key, 'metric filters are metrics.<metric>.<variant>[.value|.min_value|.max_value]');
  return { name: 'metric', metric: parts[0]!, variant: parts[1]!, stat };
}

/** Mongo-like free text: words are ORed, "quoted phrases" are required, -word excludes. */
export function parseSearchText(raw: unknown): Cond | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string') throw fail('search', 'must be a string');
  const phrases: string[] = [];
  const rest = raw.replace(/"([^"]*)"/g, (_, p: string) => {
    if (p.trim() !== '') phrases.push(p.trim());
    return ' ';
  });
  const terms: string[] = [];
  const negated: string[] = [];
  for (const w of rest.split(/\s+/).filter((x) => x !== '')) {
    if (w.startsWith('-') && w.length > 1) negated.push(w.slice(1));
    else terms.push(w);
  }
  if (terms.length + phrases.length + negated.length === 0) return null;
  return { kind: 'text', terms, phrases, negated };
}

export { LIST_FIELDS, DATE_FIELDS, BOOL_FIELDS, fail as filterError };
