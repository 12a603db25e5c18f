/**
 * Field mapping between ClearML's model document and the registry's version view, in both
 * directions: views become ClearML documents, ClearML request bodies become registry inputs.
 * Names and shapes only; every rule is the registry's.
 */
import type { CreateVersionInput, EditInput, ModelVersionView } from '../../modules/registry/index.js';
import { ClearMlError } from './clearml-errors.js';

/** ClearML keeps every model under a company; public models have company "". */
export const COMPANY = 'modelyard';

type View = Partial<ModelVersionView> & { id: string };
export type Body = Record<string, unknown>;

/** ClearML dates look like `2024-05-01T10:00:00.123000+00:00`. */
export function clearmlDate(iso: string | null | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/**
 * The ClearML model document of a (possibly projected) view; absent values are left out, as Mongo
 * does. `join` names the reference fields get_all_ex resolves into `{id, name}` objects when
 * `only_fields` asks for one of their fields (`project.name`, `user.name`).
 */
export function toClearMl(v: View, opts: { stats?: boolean; join?: ReadonlySet<string> } = {}): Body {
  const doc: Body = { id: v.id };
  const put = (k: string, val: unknown) => {
    if (val !== undefined && val !== null) doc[k] = val;
  };
  put('name', v.name);
  put('user', v.createdBy && opts.join?.has('user') ? { id: v.createdBy, name: v.createdBy } : v.createdBy);
  if (v.public !== undefined) doc.company = v.public ? '' : COMPANY;
  put('created', clearmlDate(v.createdAt));
  put('last_update', clearmlDate(v.updatedAt));
  put('last_change', clearmlDate(v.lastChangeAt));
  put('last_changed_by', v.lastChangedBy);
  put('task', v.lineage?.sourceRunId);
  put('parent', v.lineage?.parentId);
  put(
    'project',
    v.project && opts.join?.has('project') ? { id: v.project.id, name: v.project.name } : v.project?.id,
  );
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

/** An optional integer field ≥ min, else 400/12. */
export const intOrUndefined = (body: Body, key: string, min: number): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new ClearMlError(400, 12, `${key} must be an integer ≥ ${min}`, { [key]: v as never });
  return v;
};

/**
 * An optional boolean field, else 400/12: clearml-server validates booleans, and reading `"yes"`
 * as false would silently do what the caller did not ask. (Form and query strings "true"/"false"
 * are already booleans here.)
 */
export const boolOrUndefined = (body: Body, key: string): boolean | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw new ClearMlError(400, 12, `${key} must be true or false`, { [key]: v as never });
  return v;
};

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

/**
 * clearml-server drops null fields from create/edit/update requests: null means "not given",
 * never "clear it". The body those calls work on.
 */
export const withoutNulls = (body: Body): Body =>
  Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));

/** `design` is a JSON object in ClearML's schema (the SDK wraps design text as `{design: text}`). */
function designOf(body: Body): unknown {
  const v = body.design;
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v)))
    throw new ClearMlError(400, 12, 'design must be a JSON object (e.g. {"design": "<text>"})');
  return v;
}

/** `models.create` body (nulls dropped) → registry input (ClearML's code defaults `ready` to true). */
export function toCreateInput(body: Body): CreateVersionInput {
  const project = str(body, 'project');
  return {
    name: str(body, 'name')!,
    uri: str(body, 'uri'),
    comment: str(body, 'comment'),
    framework: str(body, 'framework'),
    tags: body.tags as string[] | undefined,
    systemTags: body.system_tags as string[] | undefined,
    design: designOf(body),
    labels: body.labels as Record<string, number> | undefined,
    ready: boolOrUndefined(body, 'ready') ?? true,
    public: boolOrUndefined(body, 'public') ?? false,
    ...(project ? { projectId: project } : {}),
    parentId: str(body, 'parent'),
    sourceRunId: str(body, 'task'),
    metadata: metadataList(body.metadata) as CreateVersionInput['metadata'],
  };
}

/** Fields `edit` may change (besides project and metadata, which the handler routes separately); nulls dropped first. */
export function toEditInput(body: Body, kind: 'edit' | 'update'): EditInput {
  const patch: EditInput = {
    name: str(body, 'name'),
    comment: str(body, 'comment'),
    tags: body.tags as string[] | undefined,
    systemTags: body.system_tags as string[] | undefined,
    ready: boolOrUndefined(body, 'ready'),
    sourceRunId: str(body, 'task'),
    lastIteration: intOrUndefined(body, 'iteration', 0),
  };
  if (kind === 'edit') {
    patch.uri = str(body, 'uri');
    patch.framework = str(body, 'framework');
    patch.design = designOf(body);
    patch.labels = body.labels as Record<string, number> | undefined;
    patch.parentId = str(body, 'parent');
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
