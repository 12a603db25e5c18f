/**
 * get_all / get_all_ex requests as registry searches: which body keys are filters, `only_fields`
 * (what to load, then ClearML's projection of the document), order, page or scroll, and
 * ClearML's 500-row page.
 */
import type { ModelVersionView, SearchOptions } from '../../modules/registry/index.js';
import { ClearMlError } from './clearml-errors.js';
import { boolOrUndefined, intOrUndefined, type Body } from './clearml-fields.js';

/** clearml-server's default and maximum page size for list calls. */
export const CLEARML_PAGE_SIZE = 500;

/** Which view fields feed each ClearML field, so a projected search loads only what it needs. */
const SOURCES: Record<string, Array<keyof ModelVersionView>> = {
  id: ['id'],
  name: ['name'],
  user: ['createdBy'],
  company: ['public'],
  created: ['createdAt'],
  last_update: ['updatedAt'],
  last_change: ['lastChangeAt'],
  last_changed_by: ['lastChangedBy'],
  task: ['lineage'],
  parent: ['lineage'],
  project: ['project'],
  comment: ['comment'],
  tags: ['tags'],
  system_tags: ['systemTags'],
  framework: ['framework'],
  design: ['design'],
  labels: ['labels'],
  uri: ['uri'],
  ready: ['ready'],
  metadata: ['metadata'],
  last_iteration: ['lastIteration'],
  last_metrics: ['metrics'],
  stats: ['labels'],
};

/** `only_fields` as a list (a single string from a query string counts as one field). */
export function onlyFieldsList(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.some((f) => typeof f !== 'string'))
    throw new ClearMlError(400, 12, 'only_fields must be a list of field names');
  return list as string[];
}

/** View fields to load for a ClearML `only_fields` (undefined = everything). */
export function nativeOnlyFields(onlyFields: string[] | undefined): string[] | undefined {
  const includes = (onlyFields ?? []).filter((f) => !f.startsWith('-'));
  if (includes.length === 0) return undefined;
  const out = new Set<string>(['id']);
  for (const f of includes) for (const s of SOURCES[f.split('.')[0]!] ?? []) out.add(s);
  return [...out];
}

/** ClearML projection: dotted includes (id always kept), then `-field` exclusions. */
export function projectDoc(doc: Body, onlyFields: string[] | undefined): Body {
  if (!onlyFields || onlyFields.length === 0) return doc;
  const includes = onlyFields.filter((f) => !f.startsWith('-'));
  let out: Body = doc;
  if (includes.length > 0) {
    out = { id: doc.id };
    for (const f of includes) {
      const parts = f.split('.');
      let src: unknown = doc;
      for (const p of parts) src = src && typeof src === 'object' ? (src as Body)[p] : undefined;
      if (src === undefined) continue;
      let dst = out;
      for (const p of parts.slice(0, -1)) dst = (dst[p] ??= {}) as Body;
      dst[parts[parts.length - 1]!] = src;
    }
  } else {
    out = structuredClone(doc);
  }
  for (const f of onlyFields.filter((x) => x.startsWith('-'))) {
    const parts = f.slice(1).split('.');
    let node: unknown = out;
    for (const p of parts.slice(0, -1))
      node = node && typeof node === 'object' ? (node as Body)[p] : undefined;
    if (node && typeof node === 'object' && parts.join('.') !== 'id')
      delete (node as Body)[parts[parts.length - 1]!];
  }
  return out;
}

/** Keys of a get_all body that are filters (clearml-server's GetMixin fields for models). */
const FILTER_KEYS = new Set([
  'name',
  'comment',
  'ready',
  'tags',
  'system_tags',
  'framework',
  'uri',
  'id',
  'user',
  'project',
  'task',
  'parent',
  'created',
  'last_update',
  'last_change',
  'last_iteration',
  '_any_',
  '_all_',
  '_or_',
  '_and_',
]);

export interface ClearMlSearch {
  options: SearchOptions;
  onlyFields: string[] | undefined;
  /** page_size the client asked for (undefined: ClearML's default applies). */
  requestedPageSize: number | undefined;
  capped: boolean;
  scrolling: boolean;
}

/**
 * A get_all / get_all_ex body as registry search options. Keys ClearML does not filter on are
 * ignored, as clearml-server does; with no `order_by`, rows come in creation order (Mongo's natural
 * order). Page sizes above ClearML's maximum are capped at it, and the answer says so.
 */
export function toSearch(
  body: Body,
  opts: { scroll: boolean; structuredFilters: boolean; companyOnly?: boolean },
): ClearMlSearch {
  const filter: Body = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    if (FILTER_KEYS.has(k) || /^(metadata|last_metrics)\./.test(k)) filter[k] = v;
  }
  // Public models are the ones with company "" (make_public); the rest are the company's own.
  if (opts.companyOnly) filter.public = false;
  if (opts.structuredFilters && body.filters !== undefined && body.filters !== null) {
    if (typeof body.filters !== 'object' || Array.isArray(body.filters))
      throw new ClearMlError(400, 12, 'filters must be an object of field → {any, all, op}');
    const extra = Object.entries(body.filters as Body).map(([k, v]) => ({ [k]: v }));
    if (extra.length) filter.$and = extra;
  }
  const onlyFields = onlyFieldsList(body.only_fields);
  const scrolling = opts.scroll && body.scroll_id !== undefined;
  const page = scrolling ? undefined : intOrUndefined(body, 'page', 0);
  const asked = scrolling
    ? (intOrUndefined(body, 'size', 1) ?? intOrUndefined(body, 'page_size', 1))
    : intOrUndefined(body, 'page_size', 1);
  const capped = asked !== undefined && asked > CLEARML_PAGE_SIZE;
  const orderBy = body.order_by ?? ['created'];
  const search = body.search_text;
  if (search !== undefined && search !== null && typeof search !== 'string')
    throw new ClearMlError(400, 12, 'search_text must be a string');
  return {
    options: {
      filter,
      ...(typeof search === 'string' && search !== '' ? { search } : {}),
      orderBy: orderBy as string[],
      onlyFields: nativeOnlyFields(onlyFields),
      ...(page !== undefined ? { page } : {}),
      ...(asked !== undefined ? { pageSize: Math.min(asked, CLEARML_PAGE_SIZE) } : {}),
      ...(scrolling ? { scrollId: (body.scroll_id as string | null) ?? '' } : {}),
      ...(scrolling && boolOrUndefined(body, 'refresh_scroll') ? { refreshScroll: true } : {}),
      defaultPageSize: CLEARML_PAGE_SIZE,
      maxPageSize: CLEARML_PAGE_SIZE,
    },
    onlyFields,
    requestedPageSize: asked,
    capped,
    scrolling,
  };
}
