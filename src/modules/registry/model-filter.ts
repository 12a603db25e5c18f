/**
 * Top level of the filter language: a filter object (field → condition, combined with AND, plus
 * `$or` / `$and` / `$not` and ClearML's `_any_` / `_all_`) becomes one condition tree; `order_by`
 * becomes a list of sort keys. Unknown fields are rejected (ClearML ignores them silently, which
 * hides typos).
 */
import {
  BOOL_FIELDS,
  DATE_FIELDS,
  LIST_FIELDS,
  MULTI_PATTERN_FIELDS,
  checkPattern,
  filterError,
  parseDateRange,
  parseList,
  parseMetricKey,
  parseNumberRange,
  parseSearchText,
  type Cond,
  type MetricStat,
} from './model-query.js';

export type SortKey =
  | {
      kind: 'column';
      column:
        | 'name'
        | 'created'
        | 'updated'
        | 'lastChange'
        | 'version'
        | 'framework'
        | 'comment'
        | 'id'
        | 'ready'
        | 'uri'
        | 'project'
        | 'user'
        | 'lastIteration';
      desc: boolean;
    }
  | { kind: 'metric'; metric: string; variant: string; stat: MetricStat; desc: boolean }
  | { kind: 'metadata'; key: string; desc: boolean }
  | { kind: 'textScore'; desc: boolean };

const SORT_COLUMNS: Record<string, Extract<SortKey, { kind: 'column' }>['column']> = {
  name: 'name',
  created: 'created',
  last_update: 'updated',
  updated: 'updated',
  last_change: 'lastChange',
  lastChange: 'lastChange',
  version: 'version',
  framework: 'framework',
  comment: 'comment',
  id: 'id',
  ready: 'ready',
  uri: 'uri',
  project: 'project',
  user: 'user',
  last_iteration: 'lastIteration',
  lastIteration: 'lastIteration',
};

const NON_FILTER_KEYS = new Set(['$or', '$and', '$not', '_any_', '_or_', '_all_', '_and_']);

/** Parses a filter object into a condition (null = match everything). */
export function parseFilter(raw: unknown, path = 'filter'): Cond | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw filterError(path, 'must be an object');
  const items: Cond[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === undefined) continue;
    const c = NON_FILTER_KEYS.has(key) ? parseCombinator(key, value, path) : parseField(key, value);
    if (c) items.push(c);
  }
  if (items.length === 0) return null;
  return items.length === 1 ? items[0]! : { kind: 'and', items };
}

function parseCombinator(key: string, value: unknown, path: string): Cond | null {
  if (key === '$not') {
    const inner = parseFilter(value, `${path}.$not`);
    return inner ? { kind: 'not', item: inner } : null;
  }
  if (key === '$or' || key === '$and') {
    if (!Array.isArray(value)) throw filterError(key, 'must be a list of filter objects');
    const items = value
      .map((v, i) => parseFilter(v, `${path}.${key}[${i}]`))
      .filter((c): c is Cond => c !== null);
    if (items.length === 0) return null;
    // An $or with an empty member matches everything.
    if (key === '$or' && items.length < value.length) return null;
    return { kind: key === '$or' ? 'or' : 'and', items };
  }
  return parseMulti(key, value);
}

/** `_any_` / `_all_`: `{fields, pattern}` (case-insensitive) or `{fields, datetime}`. */
function parseMulti(key: string, value: unknown): Cond | null {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw filterError(key, 'must be {fields: [...], pattern} or {fields: [...], datetime}');
  const v = value as { fields?: unknown; pattern?: unknown; datetime?: unknown };
  if (!Array.isArray(v.fields) || v.fields.length === 0 || v.fields.some((f) => typeof f !== 'string'))
    throw filterError(`${key}.fields`, 'must be a non-empty list of field names');
  const hasPattern = v.pattern !== undefined && v.pattern !== null;
  const hasDate = v.datetime !== undefined && v.datetime !== null;
  if (hasPattern === hasDate) throw filterError(key, 'needs exactly one of pattern or datetime');
  const op = key === '_any_' || key === '_or_' ? 'or' : 'and';
  const items: Cond[] = [];
  for (const f of v.fields as string[]) {
    if (hasPattern) {
      if (v.pattern === '') continue;
      const field = MULTI_PATTERN_FIELDS[f];
      if (!field) throw filterError(`${key}.fields`, `'${f}' cannot be matched by a pattern`);
      const { pattern } = checkPattern(`${key}.pattern`, v.pattern, true);
      items.push({ kind: 'pattern', field, pattern, ignoreCase: true });
    } else {
      const field = DATE_FIELDS[f];
      if (!field) throw filterError(`${key}.fields`, `'${f}' is not a date field`);
      const c = parseDateRange(`${key}.datetime`, { name: field }, v.datetime);
      if (c) items.push(c);
    }
  }
  if (items.length === 0) return null;
  return items.length === 1 ? items[0]! : { kind: op, items };
}

function parseField(key: string, value: unknown): Cond | null {
  if (key === 'name' || key === 'comment') {
    if (value === '' || value === null) return null;
    const spec =
      value && typeof value === 'object' && !Array.isArray(value)
        ? (value as { pattern?: unknown; ignoreCase?: unknown })
        : { pattern: value, ignoreCase: false };
    const { pattern, ignoreCase } = checkPattern(key, spec.pattern, spec.ignoreCase === true);
    return { kind: 'pattern', field: key, pattern, ignoreCase };
  }
  if (key === 'search' || key === 'search_text') return parseSearchText(value);
  if (BOOL_FIELDS.has(key)) {
    if (value === null) return null;
    const b = value === true || value === 'true' ? true : value === false || value === 'false' ? false : null;
    if (b === null) throw filterError(key, 'must be true or false');
    return { kind: 'bool', field: key as 'ready' | 'archived' | 'public', value: b };
  }
  const list = LIST_FIELDS[key];
  if (list) return parseList(key, { name: list }, value);
  const meta = /^metadata\.(.+?)(?:\.value)?$/.exec(key);
  if (meta) return parseList(key, { name: 'metadata', key: meta[1]! }, value);
  const date = DATE_FIELDS[key];
  if (date) return parseDateRange(key, { name: date }, value);
  if (key === 'last_iteration' || key === 'lastIteration')
    return parseNumberRange(key, { name: 'lastIteration' }, value);
  const metric = parseMetricKey(key);
  if (metric) return parseNumberRange(key, metric, value);
  throw filterError(key, 'unknown filter field (see docs/registry.md, "Filter language")', 'unknown_field');
}

/** `["-created", "name"]` or `"-created,name"` → sort keys; `id` is appended for stable paging. */
export function parseOrderBy(raw: unknown, hasSearchText: boolean): SortKey[] {
  if (raw === undefined || raw === null) return [];
  const items =
    typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : Array.isArray(raw) ? raw : [raw];
  const keys: SortKey[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw filterError('order_by', 'items must be strings');
    if (item === '') continue;
    const desc = item.startsWith('-');
    const name = item.replace(/^[-+]/, '');
    if (name === '@text_score') {
      if (!hasSearchText)
        throw filterError('order_by', '@text_score needs search_text', 'unsupported_operator');
      keys.push({ kind: 'textScore', desc });
      continue;
    }
    const column = SORT_COLUMNS[name];
    if (column) {
      keys.push({ kind: 'column', column, desc });
      continue;
    }
    const meta = /^metadata\.(.+?)(?:\.value)?$/.exec(name);
    if (meta) {
      keys.push({ kind: 'metadata', key: meta[1]!, desc });
      continue;
    }
    const metric = parseMetricKey(name);
    if (metric) {
      keys.push({
        kind: 'metric',
        metric: metric.metric!,
        variant: metric.variant!,
        stat: metric.stat!,
        desc,
      });
      continue;
    }
    throw filterError('order_by', `cannot order by '${name}'`, 'bad_order_by');
  }
  return keys;
}
