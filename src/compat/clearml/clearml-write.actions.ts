/**
 * Write actions of ClearML's models service, each a translation onto one registry operation:
 * create, edit, update, update_for_task, set_ready, the *_many batch calls, delete, visibility,
 * move, metadata and tags.
 */
import { AppError } from '../../errors.js';
import { DEFAULT_PROJECT, type BatchReport, type RegistryService } from '../../modules/registry/index.js';
import { ClearMlError, fromAppError, requireFields } from './clearml-errors.js';
import {
  CLEARML_NAME,
  boolOrUndefined,
  metadataList,
  toClearMl,
  toCreateInput,
  toEditInput,
  withoutNulls,
  type Body,
} from './clearml-fields.js';
import { atLeast } from './clearml-protocol.js';
import { removedAfter13, type Action, type ActionContext } from './clearml-read.actions.js';

function idOf(body: Body, key = 'model'): string {
  requireFields(body, key);
  const v = body[key];
  if (typeof v !== 'string') throw new ClearMlError(400, 12, `${key} must be a string`);
  return v;
}

function idsOf(body: Body, key = 'ids'): string[] {
  const raw = body[key];
  if (raw === undefined || raw === null) throw new ClearMlError(400, 11, null, { fields: [key] });
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.some((x) => typeof x !== 'string'))
    throw new ClearMlError(400, 12, `${key} must be a list of ids`);
  return list as string[];
}

function stringList(body: Body, key: string): string[] | undefined {
  const raw = body[key];
  if (raw === undefined || raw === null) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.some((x) => typeof x !== 'string'))
    throw new ClearMlError(400, 12, `${key} must be a list of strings`);
  return list as string[];
}

/** A registry batch report in ClearML's shape: failures carry `{codes, msg, data}`. */
function batchData<T extends Record<string, unknown>>(
  report: BatchReport<T>,
  item: (s: { id: string } & T) => Body,
) {
  return {
    succeeded: report.succeeded.map((s) => ({ id: s.id, ...item(s) })),
    failed: report.failed.map((f) => {
      const e = fromAppError(
        new AppError(f.error.code as never, f.error.message, {
          reason: f.error.reason ?? undefined,
          details: { ...f.error.details, id: f.id },
        }),
      );
      return { id: f.id, error: { codes: [e.code, e.subcode], msg: e.message, data: e.data } };
    }),
  };
}

/** edit and update: one registry edit (merging design/labels for edit), then a move when `project` changes. */
async function editModel(ctx: ActionContext, kind: 'edit' | 'update') {
  const { reg } = ctx;
  const body = withoutNulls(ctx.body);
  const id = idOf(body);
  const patch = toEditInput(body, kind);
  if (body.metadata !== undefined) patch.metadata = metadataList(body.metadata) as typeof patch.metadata;
  const project = body.project;
  if (project !== undefined && typeof project !== 'string')
    throw new ClearMlError(400, 12, 'project must be a project id');
  if (typeof project === 'string') await reg.getProject(project);
  // clearml-server checks the parent of an edit (not of a create): "expecting Model id".
  if (kind === 'edit' && typeof body.parent === 'string' && (await reg.getMany([body.parent])).length === 0)
    throw new ClearMlError(400, 12, 'expecting Model id', { id: body.parent, field: 'parent' });
  const res = await reg.edit(id, patch, {
    force: boolOrUndefined(body, 'force') ?? false,
    mergeObjects: kind === 'edit',
    user: ctx.user,
  });
  const fields = [...res.fields];
  if (typeof project === 'string' && project !== res.model.project.id) {
    await reg.move([id], { projectId: project });
    fields.push('project');
  }
  if (fields.length === 0) return { data: { updated: 0, fields: {} } };
  const doc = toClearMl(await reg.get(id));
  const changed = Object.fromEntries(
    fields.map((f) => {
      const name = CLEARML_NAME[f] ?? f;
      return [name, doc[name] ?? null];
    }),
  );
  return { data: { updated: 1, fields: changed } };
}

async function setVisibility(reg: RegistryService, body: Body, isPublic: boolean) {
  const ids = idsOf(body);
  const found = await reg.getMany(ids);
  const missing = ids.filter((i) => !found.some((v) => v.id === i));
  if (missing.length) throw new ClearMlError(400, 201, null, { ids: missing });
  return { data: await reg.setPublic(ids, isPublic) };
}

export const writeActions: Record<string, Action> = {
  async create(ctx) {
    requireFields(ctx.body, 'name', 'uri');
    const v = await ctx.reg.create(toCreateInput(withoutNulls(ctx.body)), ctx.user);
    return { data: { id: v.id, created: true } };
  },

  edit: (ctx) => editModel(ctx, 'edit'),
  update: (ctx) => editModel(ctx, 'update'),

  /** A task's output model: updated when the task already has one, else created (tasks are opaque ids). */
  async update_for_task(ctx) {
    removedAfter13(ctx, 'use tasks.add_or_update_model');
    const { reg } = ctx;
    const body = withoutNulls(ctx.body);
    const task = idOf(body, 'task');
    const uri = body.uri;
    const override = body.override_model_id;
    if (Boolean(uri) === Boolean(override))
      throw new ClearMlError(400, 11, 'exactly one field is required', {
        fields: ['uri', 'override_model_id'],
      });
    if (override !== undefined) {
      const id = idOf(body, 'override_model_id');
      if ((await reg.getMany([id])).length === 0) throw new ClearMlError(400, 201, null, { id });
      return { data: { id, created: false } };
    }
    const existing = await reg.getByTaskId(task).catch((e: unknown) => {
      if (e instanceof AppError && e.reason === 'model_not_found') return null;
      throw e;
    });
    if (existing) {
      const res = await editModel({ ...ctx, body: { ...body, task: undefined, model: existing.id } }, 'edit');
      return { data: { id: existing.id, created: false, ...res.data } };
    }
    const v = await reg.create(
      {
        ...toCreateInput({
          ...body,
          name: body.name ?? task,
          comment: body.comment ?? `Created by task ${task}`,
        }),
        ready: false,
        sourceRunId: task,
        lastIteration: typeof body.iteration === 'number' ? body.iteration : undefined,
      },
      ctx.user,
    );
    return { data: { id: v.id, created: true } };
  },

  async set_ready(ctx) {
    await ctx.reg.setReady(idOf(ctx.body), ctx.user);
    return { data: { updated: 1 } };
  },

  async publish_many(ctx) {
    const report = await ctx.reg.publishMany(idsOf(ctx.body), ctx.user);
    return { data: batchData(report, () => ({ updated: true })) };
  },

  async archive_many(ctx) {
    const report = await ctx.reg.archiveMany(idsOf(ctx.body));
    return { data: batchData(report, (s) => ({ archived: Boolean((s as { archived?: number }).archived) })) };
  },

  async unarchive_many(ctx) {
    const report = await ctx.reg.unarchiveMany(idsOf(ctx.body));
    return {
      data: batchData(report, (s) => ({ unarchived: Boolean((s as { unarchived?: number }).unarchived) })),
    };
  },

  async delete(ctx) {
    const r = await ctx.reg.delete(idOf(ctx.body), { force: boolOrUndefined(ctx.body, 'force') ?? false });
    return {
      data: { deleted: r.deleted, ...(atLeast(ctx.actual, '2.13') ? { url: r.uri } : {}) },
      headers: { 'x-modelyard-freed-bytes': String(r.freedBytes) },
    };
  },

  async delete_many(ctx) {
    const report = await ctx.reg.deleteMany(idsOf(ctx.body), {
      force: boolOrUndefined(ctx.body, 'force') ?? false,
    });
    const freed = report.succeeded.reduce((n, s) => n + s.freedBytes, 0);
    return {
      data: batchData(report, (s) => ({ deleted: s.deleted, url: s.uri })),
      headers: { 'x-modelyard-freed-bytes': String(freed) },
    };
  },

  make_public: (ctx) => setVisibility(ctx.reg, ctx.body, true),
  make_private: (ctx) => setVisibility(ctx.reg, ctx.body, false),

  async move(ctx) {
    const ids = idsOf(ctx.body);
    const project = typeof ctx.body.project === 'string' && ctx.body.project !== '' ? ctx.body.project : null;
    const name =
      typeof ctx.body.project_name === 'string' && ctx.body.project_name !== ''
        ? ctx.body.project_name
        : null;
    // `project: null` is clearml-server's root; Modelyard's root is its default project.
    const toRoot = !project && !name && Object.hasOwn(ctx.body, 'project') && ctx.body.project === null;
    if (!project && !name && !toRoot) throw new ClearMlError(400, 11, 'project or project_name is required');
    const r = await ctx.reg.move(
      ids,
      project ? { projectId: project } : { projectName: name ?? DEFAULT_PROJECT },
    );
    return { data: { project_id: r.projectId } };
  },

  async add_or_update_metadata(ctx) {
    const id = idOf(ctx.body);
    requireFields(ctx.body, 'metadata');
    const r = await ctx.reg.addOrUpdateMetadata(id, metadataList(ctx.body.metadata), {
      replace: boolOrUndefined(ctx.body, 'replace_metadata') ?? false,
    });
    return { data: r };
  },

  async delete_metadata(ctx) {
    const id = idOf(ctx.body);
    const keys = stringList(ctx.body, 'keys');
    if (!keys) throw new ClearMlError(400, 11, null, { fields: ['keys'] });
    return { data: await ctx.reg.deleteMetadata(id, keys) };
  },

  async update_tags(ctx) {
    const ids = stringList(ctx.body, 'ids') ?? [];
    const r = await ctx.reg.updateTags(ids, {
      add: stringList(ctx.body, 'add_tags'),
      remove: stringList(ctx.body, 'remove_tags'),
    });
    return { data: r };
  },
};
