/**
 * Search over model versions with the filter language: filter + free text + order + page or scroll
 * + projection. No silent caps: a page size above the maximum is a 400, and every answer says
 * whether more rows follow (`hasMore`) and how to get them (`scrollId`).
 */
import { createHash } from 'node:crypto';
import { sql, type Compilable } from 'kysely';
import { invalid } from '../../errors.js';
import { parseFilter, parseOrderBy } from './model-filter.js';
import { parseSearchText, type Cond } from './model-query.js';
import { compileCond, compileOrder } from './model-query-sql.js';
import { toViews, type VersionRow, type ViewNeeds } from './registry.repository.js';
import type { ModelVersionView, SearchInput } from './registry.schemas.js';
import type { RegistryBase } from './registry.service.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 5000;

export interface SearchOptions extends SearchInput {
  /** Rows per page when neither pageSize nor a scroll size is given (ClearML: 500). */
  defaultPageSize?: number;
  /** Largest page accepted; larger asks are refused with 400 `page_size_too_large`. */
  maxPageSize?: number;
}

export interface SearchPage {
  items: Array<Partial<ModelVersionView> & { id: string }>;
  page: number;
  pageSize: number;
  hasMore: boolean;
  /** Opaque; pass it back to read the next rows of the same query. */
  scrollId: string;
  total?: number;
}

const scrollError = (why: string) =>
  invalid(`scroll id is invalid: ${why}`, {
    reason: 'invalid_scroll_id',
    errors: [{ field: 'scrollId', message: why }],
  });

function queryHash(input: SearchInput): string {
  const key = JSON.stringify([input.filter ?? null, input.search ?? null, input.orderBy ?? null]);
  return createHash('sha256').update(key).digest('base64url').slice(0, 12);
}

function encodeScroll(offset: number, hash: string): string {
  return `s1_${Buffer.from(JSON.stringify({ o: offset, h: hash })).toString('base64url')}`;
}

function decodeScroll(id: string, hash: string): number {
  if (!id.startsWith('s1_')) throw scrollError('unknown format');
  let parsed: { o?: unknown; h?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(id.slice(3), 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw scrollError('cannot be decoded');
  }
  if (typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0)
    throw scrollError('bad position');
  if (parsed.h !== hash) throw scrollError('it belongs to a different filter or order');
  return parsed.o;
}

/** Keeps only the listed dotted paths (or drops the `-path` ones); `id` always stays. */
export function project(
  view: ModelVersionView,
  fields: string[] | undefined,
): Partial<ModelVersionView> & { id: string } {
  if (!fields || fields.length === 0) return view;
  const exclude = fields.every((f) => f.startsWith('-'));
  if (exclude) {
    const copy = structuredClone(view) as Record<string, unknown>;
    for (const f of fields) {
      const parts = f.slice(1).split('.');
      let node: Record<string, unknown> | undefined = copy;
      for (const p of parts.slice(0, -1)) node = node?.[p] as Record<string, unknown> | undefined;
      if (node && parts[0] !== 'id') delete node[parts[parts.length - 1]!];
    }
    return copy as Partial<ModelVersionView> & { id: string };
  }
  const out: Record<string, unknown> = { id: view.id };
  for (const f of fields.filter((x) => !x.startsWith('-'))) {
    const parts = f.split('.');
    let src: unknown = view;
    for (const p of parts)
      src = src && typeof src === 'object' ? (src as Record<string, unknown>)[p] : undefined;
    if (src === undefined) continue;
    let dst = out;
    for (const p of parts.slice(0, -1)) dst = (dst[p] ??= {}) as Record<string, unknown>;
    dst[parts[parts.length - 1]!] = src;
  }
  return out as Partial<ModelVersionView> & { id: string };
}

function needsOf(fields: string[] | undefined): ViewNeeds {
  if (!fields || fields.length === 0 || fields.every((f) => f.startsWith('-'))) return {};
  const top = new Set(fields.map((f) => f.split('.')[0]));
  return {
    tags: top.has('tags') || top.has('systemTags') || top.has('archived'),
    metadata: top.has('metadata'),
    metrics: top.has('metrics'),
    aliases: top.has('aliases'),
  };
}

export function createSearch(base: RegistryBase) {
  const { db, dialect } = base;

  /** The parsed query as Kysely builders; `search` runs it, the benchmark compiles it to raw SQL. */
  function plan(input: SearchInput) {
    const parts: Cond[] = [];
    const filter = parseFilter(input.filter ?? null);
    if (filter) parts.push(filter);
    const text = parseSearchText(input.search);
    if (text) parts.push(text);
    const textTerms = text && text.kind === 'text' ? [...text.terms, ...text.phrases] : [];
    const order = parseOrderBy(input.orderBy, text !== null);
    const where =
      parts.length === 0
        ? sql`1 = 1`
        : compileCond(parts.length === 1 ? parts[0]! : { kind: 'and', items: parts }, dialect);
    const orderSql = compileOrder(order, dialect, textTerms);
    const rows = (limit: number, offset: number) =>
      db
        .selectFrom('model_versions as v')
        .selectAll('v')
        .where(where as never)
        .orderBy(orderSql as never)
        .limit(limit)
        .offset(offset);
    const count = () =>
      db
        .selectFrom('model_versions as v')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(where as never);
    return { rows, count };
  }

  async function search(input: SearchOptions = {}): Promise<SearchPage> {
    const max = input.maxPageSize ?? MAX_PAGE_SIZE;
    const scrolling = input.scrollId !== undefined;
    if (input.page !== undefined && input.pageSize === undefined && !scrolling)
      throw invalid('page needs pageSize', {
        reason: 'page_without_size',
        errors: [{ field: 'pageSize', message: 'is required with page' }],
      });
    const size = input.pageSize ?? input.defaultPageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1)
      throw invalid('page size must be an integer ≥ 1', {
        reason: 'bad_page_size',
        errors: [{ field: 'pageSize', message: 'must be ≥ 1' }],
      });
    if (size > max)
      throw invalid(
        `page size ${size} exceeds the maximum of ${max}; page or scroll through the results instead`,
        {
          reason: 'page_size_too_large',
          errors: [{ field: 'pageSize', message: `must be ≤ ${max}` }],
        },
      );
    const hash = queryHash(input);
    let offset = 0;
    let limit = size;
    if (scrolling) {
      const position = input.scrollId ? decodeScroll(input.scrollId, hash) : 0;
      if (input.refreshScroll) limit = Math.max(size, position);
      else offset = position;
    } else {
      offset = (input.page ?? 0) * size;
    }
    const q = plan(input);
    let rows: VersionRow[];
    try {
      rows = await q.rows(limit + 1, offset).execute();
    } catch (e) {
      throw translateDbError(e);
    }
    const hasMore = rows.length > limit;
    if (hasMore) rows = rows.slice(0, limit);
    const views = await toViews(db, rows, needsOf(input.onlyFields));
    const page: SearchPage = {
      items: views.map((v) => project(v, input.onlyFields)),
      page: scrolling ? Math.floor(offset / size) : (input.page ?? 0),
      pageSize: size,
      hasMore,
      scrollId: encodeScroll(offset + rows.length, hash),
    };
    if (input.includeTotal) page.total = Number((await q.count().executeTakeFirst())?.n ?? 0);
    return page;
  }

  /** The SQL the search would run for a page, for benchmarks and `EXPLAIN`. */
  function compile(input: SearchInput, limit: number, offset = 0): ReturnType<Compilable['compile']> {
    return plan(input).rows(limit, offset).compile();
  }

  return { search, compile };
}

/** PostgreSQL refuses some patterns JavaScript accepts: report them as bad_regex, not 500. */
function translateDbError(e: unknown): unknown {
  const err = e as { code?: string; message?: string };
  if (err?.code === '2201B')
    return invalid(`invalid regular expression: ${err.message ?? ''}`, { reason: 'bad_regex' });
  return e;
}
