/**
 * Compiles the filter language's condition tree to parameterised SQL over `model_versions v`, for
 * SQLite and PostgreSQL. Tags, metadata and metrics are tested with EXISTS on their indexed tables;
 * plain substrings use instr/strpos instead of a regex call (the common ClearML UI case).
 */
import { sql, type RawBuilder } from 'kysely';
import type { DbDialect } from '../../infra/db/kysely.js';
import type { Cond, ListField, MetricStat, PatternFieldName, RangeField } from './model-query.js';
import type { SortKey } from './model-filter.js';

type Sql = RawBuilder<unknown>;

const TRUE = sql`1 = 1`;
const FALSE = sql`1 = 0`;
const META_CHARS = /[\\^$.|?*+()[\]{}]/;

const SCALAR_COLUMNS: Partial<Record<PatternFieldName | 'version', string>> = {
  id: 'v.id',
  name: 'v.name',
  comment: 'v.comment',
  project: 'v.project_id',
  modelId: 'v.model_id',
  version: 'v.version',
  framework: 'v.framework',
  uri: 'v.uri',
  user: 'v.created_by',
  task: 'v.source_run_id',
  parent: 'v.parent_id',
  datasetVersion: 'v.dataset_version_id',
};
const NULLABLE = new Set([
  'v.framework',
  'v.created_by',
  'v.source_run_id',
  'v.parent_id',
  'v.dataset_version_id',
]);

const and = (parts: Sql[]): Sql => (parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` and `)})`);
const or = (parts: Sql[]): Sql => (parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` or `)})`);
const not = (p: Sql): Sql => sql`not (${p})`;
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Tests one text expression against a pattern; the expression may be null (never matches). */
function matchText(expr: Sql, pattern: string, ignoreCase: boolean, dialect: DbDialect): Sql {
  if (!META_CHARS.test(pattern)) {
    if (ignoreCase) return sql`lower(${expr}) like ${`%${escapeLike(pattern.toLowerCase())}%`} escape '\\'`;
    return dialect === 'sqlite' ? sql`instr(${expr}, ${pattern}) > 0` : sql`strpos(${expr}, ${pattern}) > 0`;
  }
  if (dialect === 'sqlite')
    return ignoreCase ? sql`regexp_i(${pattern}, ${expr})` : sql`regexp(${pattern}, ${expr})`;
  return ignoreCase ? sql`${expr} ~* ${pattern}` : sql`${expr} ~ ${pattern}`;
}

function tagExists(system: boolean, extra: Sql): Sql {
  return sql`exists (select 1 from model_tags t where t.version_id = v.id and t.system = ${system ? 1 : 0} and ${extra})`;
}

function compilePattern(field: PatternFieldName, pattern: string, ignoreCase: boolean, d: DbDialect): Sql {
  if (field === 'tags' || field === 'systemTags')
    return tagExists(field === 'systemTags', matchText(sql.ref('t.tag'), pattern, ignoreCase, d));
  if (field === 'projectName')
    return sql`exists (select 1 from projects p where p.id = v.project_id and ${matchText(sql.ref('p.name'), pattern, ignoreCase, d)})`;
  const col = SCALAR_COLUMNS[field]!;
  const m = matchText(sql.ref(col), pattern, ignoreCase, d);
  return NULLABLE.has(col) ? sql`coalesce(${m}, ${d === 'sqlite' ? 0 : sql`false`})` : m;
}

/** Builders for "contains any of", "is empty" on one list field. */
function listOps(field: ListField): { anyOf: (vals: string[]) => Sql; empty: () => Sql; nullable: boolean } {
  if (field.name === 'tags' || field.name === 'systemTags') {
    const system = field.name === 'systemTags';
    return {
      anyOf: (vals) => tagExists(system, sql`t.tag in (${sql.join(vals)})`),
      empty: () => not(tagExists(system, TRUE)),
      nullable: false,
    };
  }
  if (field.name === 'metadata') {
    const has = (extra: Sql) =>
      sql`exists (select 1 from model_metadata md where md.version_id = v.id and md.key = ${field.key!} and ${extra})`;
    return {
      anyOf: (vals) => has(sql`md.value in (${sql.join(vals)})`),
      empty: () => not(has(sql`md.value <> ''`)),
      nullable: false,
    };
  }
  if (field.name === 'projectName') {
    return {
      anyOf: (vals) => sql`v.project_id in (select p.id from projects p where p.name in (${sql.join(vals)}))`,
      empty: () => FALSE,
      nullable: false,
    };
  }
  const col = SCALAR_COLUMNS[field.name]!;
  const numeric = field.name === 'version';
  return {
    anyOf: (vals) =>
      sql`${sql.ref(col)} in (${sql.join(numeric ? vals.map((x) => (Number.isFinite(Number(x)) ? Number(x) : -1)) : vals)})`,
    empty: () => (numeric ? FALSE : sql`(${sql.ref(col)} is null or ${sql.ref(col)} = '')`),
    nullable: NULLABLE.has(col),
  };
}

function compileList(c: Extract<Cond, { kind: 'list' }>): Sql {
  const ops = listOps(c.field);
  const none = (vals: string[]) =>
    ops.nullable
      ? sql`(${sql.ref(SCALAR_COLUMNS[c.field.name as PatternFieldName]!)} is null or ${not(ops.anyOf(vals))})`
      : not(ops.anyOf(vals));
  const groups: Sql[] = [];
  if (c.any.length) groups.push(ops.anyOf(c.any));
  if (c.all.length) groups.push(and(c.all.map((x) => ops.anyOf([x]))));
  if (c.none.length) groups.push(none(c.none));
  if (c.notAll.length) groups.push(or(c.notAll.map((x) => none([x]))));
  const body = groups.length === 0 ? null : c.op === 'or' ? or(groups) : and(groups);
  if (!c.allowEmpty) return body ?? TRUE;
  return body ? or([ops.empty(), body]) : ops.empty();
}

function metricColumn(stat: MetricStat): string {
  return `m.${stat}`;
}

function metricMatch(metric: string, variant: string): Sql {
  const hex = /^[0-9a-f]{32}$/;
  const mcol = hex.test(metric) ? 'm.metric_hash' : 'm.metric';
  const vcol = hex.test(variant) ? 'm.variant_hash' : 'm.variant';
  return sql`m.version_id = v.id and ${sql.ref(mcol)} = ${metric} and ${sql.ref(vcol)} = ${variant}`;
}

function bounds(
  expr: Sql,
  c: { gt?: string | number; gte?: string | number; lt?: string | number; lte?: string | number },
): Sql[] {
  const parts: Sql[] = [];
  if (c.gt !== undefined) parts.push(sql`${expr} > ${c.gt}`);
  if (c.gte !== undefined) parts.push(sql`${expr} >= ${c.gte}`);
  if (c.lt !== undefined) parts.push(sql`${expr} < ${c.lt}`);
  if (c.lte !== undefined) parts.push(sql`${expr} <= ${c.lte}`);
  return parts;
}

const DATE_COLUMNS = { created: 'v.created_at', updated: 'v.updated_at', lastChange: 'v.last_change_at' };

function compileRange(c: Extract<Cond, { kind: 'range' }>): Sql {
  const f: RangeField = c.field;
  if (f.name === 'metric') {
    const col = sql.ref(metricColumn(f.stat!));
    const match = metricMatch(f.metric!, f.variant!);
    const hit = sql`exists (select 1 from model_metrics m where ${match} and ${and(bounds(col, c))})`;
    if (!c.nullMatchesMissing) return hit;
    return or([hit, not(sql`exists (select 1 from model_metrics m where ${match} and ${col} is not null)`)]);
  }
  const col = f.name === 'lastIteration' ? 'v.last_iteration' : DATE_COLUMNS[f.name];
  return and(bounds(sql.ref(col), c));
}

const TEXT_COLUMNS = ['v.name', 'v.id', 'v.comment', 'v.parent_id', 'v.source_run_id', 'v.project_id'];

/** One free-text word: a case-insensitive substring of any indexed text column. */
export function textHit(word: string): Sql {
  const p = `%${escapeLike(word.toLowerCase())}%`;
  return or(TEXT_COLUMNS.map((col) => sql`lower(coalesce(${sql.ref(col)}, '')) like ${p} escape '\\'`));
}

function compileText(c: Extract<Cond, { kind: 'text' }>): Sql {
  const parts: Sql[] = [];
  if (c.terms.length) parts.push(or(c.terms.map(textHit)));
  for (const p of c.phrases) parts.push(textHit(p));
  for (const n of c.negated) parts.push(not(textHit(n)));
  return and(parts);
}

/** Compiles a condition tree to a SQL boolean over `model_versions v`. */
export function compileCond(c: Cond, d: DbDialect): Sql {
  switch (c.kind) {
    case 'and':
      return and(c.items.map((i) => compileCond(i, d)));
    case 'or':
      return or(c.items.map((i) => compileCond(i, d)));
    case 'not':
      return not(compileCond(c.item, d));
    case 'pattern':
      return compilePattern(c.field, c.pattern, c.ignoreCase, d);
    case 'list':
      return compileList(c);
    case 'bool':
      if (c.field === 'archived') {
        const has = tagExists(true, sql`t.tag = 'archived'`);
        return c.value ? has : not(has);
      }
      return sql`${sql.ref(c.field === 'ready' ? 'v.ready' : 'v.public')} = ${c.value ? 1 : 0}`;
    case 'range':
      return compileRange(c);
    case 'text':
      return compileText(c);
  }
}

const SORT_SQL: Record<Extract<SortKey, { kind: 'column' }>['column'], { col: string; nullable: boolean }> = {
  name: { col: 'v.name', nullable: false },
  created: { col: 'v.created_at', nullable: false },
  updated: { col: 'v.updated_at', nullable: false },
  lastChange: { col: 'v.last_change_at', nullable: false },
  version: { col: 'v.version', nullable: false },
  framework: { col: 'v.framework', nullable: true },
  comment: { col: 'v.comment', nullable: false },
  id: { col: 'v.id', nullable: false },
  ready: { col: 'v.ready', nullable: false },
  uri: { col: 'v.uri', nullable: false },
  project: { col: 'v.project_id', nullable: false },
  user: { col: 'v.created_by', nullable: true },
  lastIteration: { col: 'v.last_iteration', nullable: false },
};

/** ORDER BY terms; nulls sort first ascending and last descending on both dialects. `id` ends every order. */
export function compileOrder(keys: SortKey[], d: DbDialect, textTerms: string[]): Sql {
  const terms: Sql[] = [];
  const dir = (desc: boolean, nullable: boolean) =>
    nullable ? (desc ? sql`desc nulls last` : sql`asc nulls first`) : desc ? sql`desc` : sql`asc`;
  let hasId = false;
  for (const k of keys) {
    if (k.kind === 'column') {
      const s = SORT_SQL[k.column];
      if (k.column === 'id') hasId = true;
      // PostgreSQL databases often collate text by locale; "C" keeps the byte order SQLite uses.
      const text = d === 'postgres' && ['name', 'comment', 'framework', 'uri', 'user'].includes(k.column);
      const expr = text ? sql`${sql.ref(s.col)} collate "C"` : sql.ref(s.col);
      terms.push(sql`${expr} ${dir(k.desc, s.nullable)}`);
    } else if (k.kind === 'metric') {
      const e = sql`(select ${sql.ref(metricColumn(k.stat))} from model_metrics m where ${metricMatch(k.metric, k.variant)})`;
      terms.push(sql`${e} ${dir(k.desc, true)}`);
    } else if (k.kind === 'metadata') {
      const val = sql`(select md.value from model_metadata md where md.version_id = v.id and md.key = ${k.key})`;
      const numericText = '^-?[0-9]+(\\.[0-9]+)?$';
      const num =
        d === 'sqlite'
          ? sql`case when regexp(${numericText}, ${val}) then cast(${val} as real) end`
          : sql`case when ${val} ~ ${numericText} then cast(${val} as double precision) end`;
      terms.push(sql`${num} ${dir(k.desc, true)}`, sql`${val} ${dir(k.desc, true)}`);
    } else {
      const score =
        textTerms.length === 0
          ? sql`0`
          : sql.join(
              textTerms.map((t) => sql`case when ${textHit(t)} then 1 else 0 end`),
              sql` + `,
            );
      terms.push(sql`(${score}) ${dir(k.desc, false)}`);
    }
  }
  // The id tie-breaker follows the last key's direction so an index on (key, id) serves the whole order.
  const last = keys[keys.length - 1];
  if (!hasId) terms.push(last?.desc ? sql`v.id desc` : sql`v.id asc`);
  return sql.join(terms, sql`, `);
}
