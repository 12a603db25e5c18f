/**
 * Read actions of ClearML's models service: get_by_id, get_by_task_id, get_all, get_all_ex,
 * get_by_id_ex, get_frameworks. Each maps the request onto registry reads and renders documents.
 */
import type { RegistryService } from '../../modules/registry/index.js';
import { ClearMlError, requireFields } from './clearml-errors.js';
import { boolOrUndefined, toClearMl, type Body } from './clearml-fields.js';
import { CLEARML_PAGE_SIZE, onlyFieldsList, projectDoc, toSearch } from './clearml-search.js';
import { atLeast, removedFor, type ApiVersion } from './clearml-protocol.js';

/** What an action hands back: the `data` object, plus paging facts for list calls. */
export interface ActionResult {
  data: Body;
  paging?: Body;
  headers?: Record<string, string>;
}

export interface ActionContext {
  body: Body;
  /** The definition version the call runs (e.g. "2.13"). */
  actual: string;
  /** The version the client asked for. */
  requested: ApiVersion;
  reg: RegistryService;
  user: string;
}

export type Action = (ctx: ActionContext) => Promise<ActionResult>;

/** 301/1 for actions clearml-server dropped after 2.13. */
export const removedAfter13 = (ctx: ActionContext, hint: string) => {
  if (removedFor(ctx.requested)) throw new ClearMlError(301, 1, hint);
};

/**
 * ClearML sub-projects are projects named `parent/child`: with `include_subprojects`, each project
 * id in the filter also stands for the projects whose names extend its name with `/`. Operators
 * and exclusions are left as they are, as clearml-server leaves them.
 */
async function withSubprojects(reg: RegistryService, raw: unknown): Promise<unknown> {
  if (raw === undefined || raw === null) return raw;
  const list = Array.isArray(raw) ? raw : [raw];
  const projects = await reg.listProjects();
  const nameOf = new Map(projects.map((p) => [p.id, p.name]));
  return list.flatMap((entry: unknown) => {
    if (typeof entry !== 'string' || entry.startsWith('-') || entry.startsWith('__$')) return [entry];
    const name = nameOf.get(entry);
    if (name === undefined) return [entry];
    return [entry, ...projects.filter((p) => p.name.startsWith(`${name}/`)).map((p) => p.id)];
  });
}

async function listModels(ctx: ActionContext, ex: boolean): Promise<ActionResult> {
  const scroll = atLeast(ctx.actual, '2.15');
  const body = { ...ctx.body };
  if (atLeast(ctx.actual, ex ? '2.13' : '2.26') && boolOrUndefined(body, 'include_subprojects'))
    body.project = await withSubprojects(ctx.reg, body.project);
  const q = toSearch(body, {
    scroll,
    structuredFilters: ex && atLeast(ctx.actual, '2.27'),
    // get_all_ex ≥ 2.23: allow_public (default true) false keeps only the company's own models.
    companyOnly: ex && atLeast(ctx.actual, '2.23') && boolOrUndefined(body, 'allow_public') === false,
  });
  const page = await ctx.reg.search(q.options);
  const stats = ex && atLeast(ctx.actual, '2.20') && boolOrUndefined(body, 'include_stats') === true;
  // get_all_ex joins referenced documents when only_fields asks for their fields (the web UI's project.name).
  const join = new Set(
    ex ? (q.onlyFields ?? []).filter((f) => /^(project|user)\./.test(f)).map((f) => f.split('.')[0]!) : [],
  );
  const fields = join.size ? [...q.onlyFields!, ...[...join].map((j) => `${j}.id`)] : q.onlyFields;
  const models = page.items.map((v) => projectDoc(toClearMl(v, { stats, join }), fields));
  const data: Body = { models };
  if (scroll) data.scroll_id = page.scrollId;
  const truncated = q.requestedPageSize === undefined && page.hasMore;
  const paging: Body = {
    page: page.page,
    page_size: page.pageSize,
    returned: models.length,
    has_more: page.hasMore,
    default_page_size_applied: q.requestedPageSize === undefined,
    capped: q.capped,
    ...(q.capped ? { requested_page_size: q.requestedPageSize } : {}),
    ...(truncated || q.capped
      ? {
          note: `only ${page.pageSize} models were returned (ClearML's page size limit is ${CLEARML_PAGE_SIZE}); pass page/page_size or scroll_id/size to read the rest`,
        }
      : {}),
  };
  const headers: Record<string, string> = {
    'x-modelyard-page-size': String(page.pageSize),
    'x-modelyard-has-more': String(page.hasMore),
  };
  if (truncated || q.capped) headers['x-modelyard-truncated'] = 'true';
  return { data, paging, headers };
}

async function getOne(ctx: ActionContext, id: unknown): Promise<Body> {
  if (typeof id !== 'string') throw new ClearMlError(400, 12, 'model must be a string');
  const onlyFields = onlyFieldsList(ctx.body.only_fields);
  const [view] = await ctx.reg.getMany([id]);
  if (!view) throw new ClearMlError(400, 201, 'no such public or company model', { id });
  return projectDoc(toClearMl(view), onlyFields);
}

export const readActions: Record<string, Action> = {
  async get_by_id(ctx) {
    requireFields(ctx.body, 'model');
    return { data: { model: await getOne(ctx, ctx.body.model) } };
  },

  async get_by_task_id(ctx) {
    removedAfter13(ctx, 'use models.get_by_id/get_all apis');
    requireFields(ctx.body, 'task');
    if (typeof ctx.body.task !== 'string') throw new ClearMlError(400, 12, 'task must be a string');
    const view = await ctx.reg.getByTaskId(ctx.body.task);
    return { data: { model: toClearMl(view) } };
  },

  get_all: (ctx) => listModels(ctx, false),
  get_all_ex: (ctx) => listModels(ctx, true),

  async get_by_id_ex(ctx) {
    requireFields(ctx.body, 'id');
    return listModels(ctx, true);
  },

  async get_frameworks(ctx) {
    const projects = ctx.body.projects;
    const ids =
      projects === undefined || projects === null ? [] : Array.isArray(projects) ? projects : [projects];
    if (ids.some((p) => typeof p !== 'string'))
      throw new ClearMlError(400, 12, 'projects must be a list of ids');
    return { data: { frameworks: await ctx.reg.frameworks(ids as string[]) } };
  },
};
