/**
 * Field mapping between ClearML's model document and the registry's version view, in both
 * directions: views become ClearML documents (with `only_fields` projection), ClearML request
 * bodies become registry inputs and search options. Names and shapes only; every rule is the
 * registry's.
 */
import type {
  CreateVersionInput,
  EditInput,
  ModelVersionView,
  SearchOptions,
} from '../../modules/registry/index.js';
import { ClearMlError } from './clearml-errors.js';

/** ClearML keeps every model under a company; public models have company "". */
export const COMPANY = 'modelyard';
/** clearml-server's default and maximum page size for list calls. */
export const CLEARML_PAGE_SIZE = 500;

type View = Partial<ModelVersionView> & { id: string };
export type Body = Record<string, unknown>;

/** ClearML dates look like `2024-05-01T10:00:00.123000+00:00`. */
export function clearmlDate(iso: string | null | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/** The ClearML model document of a (possibly projected) view; absent values are left out, as Mongo does. */
export function toClearMl(v: View, opts: { stats?: boolean } = {}): Body {
  const doc: Body = { id: v.id };
  const put = (k: string, val: unknown) => {
    if (val !== undefined && val !== null) doc[k] = val;
  };
  put('name', v.name);
  put('user', v.createdBy);
  if (v.public !== undefined) doc.company = v.public ? '' : COMPANY;
  put('created', clearmlDate(v.createdAt));
  put('last_update', clearmlDate(v.updatedAt));
  put('last_change', clearmlDate(v.lastChangeAt));
  put('last_changed_by', v.lastChangedBy);
  put('task', v.lineage?.sourceRunId);
  put('parent', v.lineage?.parentId);
  put('project', v.project?.id);
  put('comment', v.comment);
  put('tags', v.tags);
  put('system_tags', v.systemTags);
  put('framework', v.framework);
  put('design', v.design);
  put('labels', v.labels);
  put('uri', v.uri);
  put('ready', v.ready);
  if (v.metadata) doc.metadata = Object.fromEntries(v.metadata.map((m) => [m.key, { ...m }]));
  put('last_iteration', v.lastIteration);
  if (v.metrics) {
    const lm: Record<string, Record<string, Body>> = {};
    for (const m of v.metrics) {
      (lm[m.metricHash] ??= {})[m.variantHash] = {
        metric: m.metric,
        variant: m.variant,
        value: m.value,
        min_value: m.min,
        min_value_iteration: m.minIteration,
        max_value: m.max,
        max_value_iteration: m.maxIteration,
        ...(m.lastIteration === null ? {} : { iteration: m.lastIteration }),
      };
    }
    doc.last_metrics = lm;
  }
  if (opts.stats && v.labels) doc.stats = { labels_count: Object.keys(v.labels).length };
  return doc;
}

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

function onlyFieldsList(raw: unknown): string[] | undefined {
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

const intOrUndefined = (body: Body, key: string, min: number): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new ClearMlError(400, 12, `${key} must be an integer ≥ ${min}`, { [key]: v as never });
  return v;
};

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
export function toSearch(body: Body, opts: { scroll: boolean; structuredFilters: boolean }): ClearMlSearch {
  const filter: Body = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    if (FILTER_KEYS.has(k) || /^(metadata|last_metrics)\./.test(k)) filter[k] = v;
  }
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
      ...(scrolling && body.refresh_scroll === true ? { refreshScroll: true } : {}),
      defaultPageSize: CLEARML_PAGE_SIZE,
      maxPageSize: CLEARML_PAGE_SIZE,
    },
    onlyFields,
    requestedPageSize: asked,
    capped,
    scrolling,
  };
}

/** Metadata as ClearML sends it: a list of {key, type, value} or a map key → {type, value}. */
export function metadataList(raw: unknown): unknown {
  if (raw && typeof raw === 'object' && !Array.isArray(raw))
    return Object.entries(raw as Body).map(([key, e]) =>
      e && typeof e === 'object' ? { key, ...(e as Body) } : { key, value: e },
    );
  return raw;
}

function str(body: Body, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ClearMlError(400, 12, `${key} must be a string`);
  return v;
}

function strOrNull(body: Body, key: string): string | null | undefined {
  return body[key] === null ? null : str(body, key);
}

/** `models.create` body → registry input (ClearML's code defaults `ready` to true). */
export function toCreateInput(body: Body): CreateVersionInput {
  const project = str(body, 'project');
  return {
    name: str(body, 'name')!,
    uri: str(body, 'uri'),
    comment: str(body, 'comment'),
    framework: strOrNull(body, 'framework'),
    tags: body.tags as string[] | undefined,
    systemTags: body.system_tags as string[] | undefined,
    design: body.design,
    labels: body.labels as Record<string, number> | undefined,
    ready: body.ready === undefined || body.ready === null ? true : body.ready === true,
    public: body.public === true,
    ...(project ? { projectId: project } : {}),
    parentId: strOrNull(body, 'parent'),
    sourceRunId: strOrNull(body, 'task'),
    metadata: metadataList(body.metadata) as CreateVersionInput['metadata'],
  };
}

/** Fields `edit` may change (besides project and metadata, which the handler routes separately). */
export function toEditInput(body: Body, kind: 'edit' | 'update'): EditInput {
  const patch: EditInput = {
    name: str(body, 'name'),
    comment: str(body, 'comment'),
    tags: body.tags as string[] | undefined,
    systemTags: body.system_tags as string[] | undefined,
    ready: body.ready === undefined || body.ready === null ? undefined : body.ready === true,
    sourceRunId: strOrNull(body, 'task'),
    lastIteration: intOrUndefined(body, 'iteration', 0),
  };
  if (kind === 'edit') {
    patch.uri = str(body, 'uri');
    patch.framework = strOrNull(body, 'framework');
    patch.design = body.design;
    patch.labels = body.labels as Record<string, number> | undefined;
    patch.parentId = strOrNull(body, 'parent');
  } else {
    const created = str(body, 'created');
    if (created !== undefined) {
      if (Number.isNaN(new Date(created).getTime()))
        throw new ClearMlError(400, 12, 'created must be a date-time');
      patch.createdAt = created;
    }
  }
  return patch;
}

/** Our edited field names as ClearML names. */
export const CLEARML_NAME: Record<string, string> = {
  systemTags: 'system_tags',
  parentId: 'parent',
  sourceRunId: 'task',
  lastIteration: 'last_iteration',
  createdAt: 'created',
};
