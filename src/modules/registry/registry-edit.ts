/**
 * Changes to existing versions: edit (ClearML edit/update), publish, archive, visibility, move,
 * metadata and tags. A ready (published) version is frozen: content fields change only with
 * `force`; annotations (comment, tags, metadata, visibility) stay editable, as ClearML allows.
 */
import { AppError, invalid } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import {
  dropEmptyModels,
  getRows,
  modelFor,
  replaceTags,
  upsertMetadata,
  writeChildren,
  type Children,
} from './registry.repository.js';
import type { EditInput, ModelVersionView } from './registry.schemas.js';
import type { RegistryBase } from './registry.service.js';
import {
  checkLabels,
  checkMetadata,
  checkMetrics,
  checkModelName,
  checkSignature,
  checkTags,
} from './registry-validate.js';

/** Fields that stay editable on a ready version. */
const ANNOTATIONS = new Set(['comment', 'tags', 'systemTags', 'metadata', 'public']);
/** Fields whose change moves `updatedAt` (ClearML `last_update`); every change moves `lastChangeAt`. */
const CONTENT = new Set([
  'uri',
  'framework',
  'design',
  'labels',
  'ready',
  'metadata',
  'tags',
  'systemTags',
  'signature',
]);

export interface EditOptions {
  force?: boolean;
  /** Merge `design` and `labels` one level into the stored objects (ClearML edit). */
  mergeObjects?: boolean;
  user?: string | null;
}

export const modelIsReady = (id: string, what: string) =>
  new AppError('conflict', `model version '${id}' is ready (published): ${what} needs force`, {
    reason: 'model_is_ready',
    details: { id },
  });

export function createEditOps(base: RegistryBase) {
  const { db } = base;

  /** Applies a patch; returns the changed field names (ClearML `fields`) and the new view. */
  async function edit(
    id: string,
    patch: EditInput,
    opts: EditOptions = {},
  ): Promise<{ updated: boolean; fields: string[]; model: ModelVersionView }> {
    const r = await base.row(id);
    const given = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
    const locked = given.filter((k) => !ANNOTATIONS.has(k) && !(k === 'ready' && patch.ready === true));
    if (r.ready === 1 && locked.length > 0 && !opts.force)
      throw modelIsReady(id, `changing ${locked.join(', ')}`);
    const set: Record<string, unknown> = {};
    const children: Children = {};
    const merge = <T>(stored: string | null, next: T): T =>
      opts.mergeObjects && stored && next && typeof next === 'object' && !Array.isArray(next)
        ? ({ ...(JSON.parse(stored) as object), ...next } as T)
        : next;
    if (patch.name !== undefined) set.name = checkModelName(patch.name);
    if (patch.comment !== undefined) set.comment = patch.comment;
    if (patch.framework !== undefined) set.framework = patch.framework;
    if (patch.uri !== undefined) set.uri = patch.uri;
    if (patch.signature !== undefined)
      set.signature = patch.signature === null ? null : JSON.stringify(checkSignature(patch.signature));
    if (patch.labels !== undefined) set.labels = JSON.stringify(merge(r.labels, checkLabels(patch.labels)));
    if (patch.design !== undefined)
      set.design = patch.design === null ? null : JSON.stringify(merge(r.design, patch.design));
    if (patch.ready !== undefined) set.ready = patch.ready ? 1 : 0;
    if (patch.public !== undefined) set.public = patch.public ? 1 : 0;
    if (patch.lastIteration !== undefined) set.last_iteration = patch.lastIteration;
    if (patch.sourceRunId !== undefined) set.source_run_id = patch.sourceRunId;
    if (patch.datasetVersionId !== undefined) set.dataset_version_id = patch.datasetVersionId;
    if (patch.parentId !== undefined) set.parent_id = patch.parentId;
    if (patch.createdAt !== undefined) set.created_at = new Date(patch.createdAt).toISOString();
    if (patch.tags !== undefined) children.tags = checkTags(patch.tags);
    if (patch.systemTags !== undefined) children.systemTags = checkTags(patch.systemTags, 'systemTags');
    if (patch.metadata !== undefined) children.metadata = checkMetadata(patch.metadata);
    if (patch.metrics !== undefined) children.metrics = checkMetrics(patch.metrics);
    if (given.length === 0) return { updated: false, fields: [], model: await base.view(r) };
    const now = nowIso();
    set.last_change_at = now;
    set.last_changed_by = opts.user ?? null;
    if (given.some((k) => CONTENT.has(k))) set.updated_at = now;
    await db.transaction().execute(async (tx) => {
      if (set.name !== undefined && set.name !== r.name) {
        // A rename moves the version to the registered model of the new name (next number there).
        const target = await modelFor(tx, r.project_id, set.name as string, now);
        const max = await tx
          .selectFrom('model_versions')
          .select((eb) => eb.fn.max('version').as('max'))
          .where('model_id', '=', target.id)
          .executeTakeFirst();
        set.model_id = target.id;
        set.version = Number(max?.max ?? 0) + 1;
        await tx.deleteFrom('model_aliases').where('version_id', '=', id).execute();
      }
      await tx.updateTable('model_versions').set(set).where('id', '=', id).execute();
      await writeChildren(tx, id, children);
      if (set.model_id) await dropEmptyModels(tx, [r.model_id]);
    });
    return { updated: true, fields: given, model: await base.get(id) };
  }

  /** Publishes (sets ready). Already ready → 409 `already_ready`. */
  async function setReady(id: string, user: string | null = null): Promise<ModelVersionView> {
    const r = await base.row(id);
    if (r.ready === 1)
      throw new AppError('conflict', `model version '${id}' is already ready (published)`, {
        reason: 'already_ready',
        details: { id },
      });
    const now = nowIso();
    await db
      .updateTable('model_versions')
      .set({ ready: 1, updated_at: now, last_change_at: now, last_changed_by: user })
      .where('id', '=', id)
      .execute();
    return base.get(id);
  }

  async function setArchived(id: string, archived: boolean) {
    const [r] = await getRows(db, [id]);
    if (!r) throw base.modelNotFound(id);
    const tags = (
      await db
        .selectFrom('model_tags')
        .select('tag')
        .where('version_id', '=', id)
        .where('system', '=', 1)
        .orderBy('position')
        .execute()
    ).map((t) => t.tag);
    const has = tags.includes('archived');
    if (has !== archived) {
      const now = nowIso();
      await db.transaction().execute(async (tx) => {
        await replaceTags(
          tx,
          id,
          true,
          archived ? [...tags, 'archived'] : tags.filter((t) => t !== 'archived'),
        );
        await tx
          .updateTable('model_versions')
          .set({ updated_at: now, last_change_at: now })
          .where('id', '=', id)
          .execute();
      });
    }
    return archived ? { archived: has ? 0 : 1 } : { unarchived: has ? 1 : 0 };
  }

  async function setPublic(ids: string[], isPublic: boolean): Promise<{ updated: number }> {
    if (ids.length === 0) return { updated: 0 };
    const res = await db
      .updateTable('model_versions')
      .set({ public: isPublic ? 1 : 0, last_change_at: nowIso() })
      .where('id', 'in', ids)
      .where('public', '=', isPublic ? 0 : 1)
      .executeTakeFirst();
    return { updated: Number(res.numUpdatedRows) };
  }

  /**
   * Moves versions to a project (by id, or by name — created when missing). Each joins the
   * registered model of its name there under the next number; its aliases stay behind.
   */
  async function move(ids: string[], target: { projectId?: string | null; projectName?: string | null }) {
    if (ids.length === 0)
      throw invalid('ids must list at least one model version id', { reason: 'batch_empty' });
    if (!target.projectId && !target.projectName)
      throw invalid('give a project id or a project name', { reason: 'validation_failed' });
    const p = await base.project(
      target.projectId ? { projectId: target.projectId } : { project: target.projectName! },
    );
    const rows = await getRows(db, ids);
    const missing = ids.find((i) => !rows.some((r) => r.id === i));
    if (missing) throw base.modelNotFound(missing);
    await db.transaction().execute(async (tx) => {
      const now = nowIso();
      for (const r of rows.filter((x) => x.project_id !== p.id)) {
        const m = await modelFor(tx, p.id, r.name, now);
        const max = await tx
          .selectFrom('model_versions')
          .select((eb) => eb.fn.max('version').as('max'))
          .where('model_id', '=', m.id)
          .executeTakeFirst();
        await tx.deleteFrom('model_aliases').where('version_id', '=', r.id).execute();
        await tx
          .updateTable('model_versions')
          .set({ project_id: p.id, model_id: m.id, version: Number(max?.max ?? 0) + 1, last_change_at: now })
          .where('id', '=', r.id)
          .execute();
      }
      await dropEmptyModels(tx, [...new Set(rows.map((r) => r.model_id))]);
    });
    return { projectId: p.id };
  }

  async function addOrUpdateMetadata(id: string, entries: unknown, opts: { replace?: boolean } = {}) {
    const r = await base.row(id);
    const list = checkMetadata(entries);
    const now = nowIso();
    await db.transaction().execute(async (tx) => {
      if (opts.replace) await tx.deleteFrom('model_metadata').where('version_id', '=', r.id).execute();
      await upsertMetadata(tx, r.id, list);
      await tx
        .updateTable('model_versions')
        .set({ updated_at: now, last_change_at: now })
        .where('id', '=', r.id)
        .execute();
    });
    return { updated: 1 };
  }

  async function deleteMetadata(id: string, keys: string[]) {
    const r = await base.row(id);
    if (!Array.isArray(keys) || keys.length === 0)
      throw invalid('keys must list at least one key', { reason: 'validation_failed' });
    const res = await db
      .deleteFrom('model_metadata')
      .where('version_id', '=', r.id)
      .where('key', 'in', keys)
      .executeTakeFirst();
    const n = Number(res.numDeletedRows);
    if (n > 0) {
      const now = nowIso();
      await db
        .updateTable('model_versions')
        .set({ updated_at: now, last_change_at: now })
        .where('id', '=', r.id)
        .execute();
    }
    return { updated: n > 0 ? 1 : 0 };
  }

  /** Adds and removes user tags (or system tags) on many versions; returns how many changed. */
  async function updateTags(ids: string[], change: { add?: string[]; remove?: string[]; system?: boolean }) {
    const add = checkTags(change.add ?? [], 'add_tags');
    const remove = new Set(checkTags(change.remove ?? [], 'remove_tags'));
    let updated = 0;
    for (const r of await getRows(db, ids)) {
      const current = (
        await db
          .selectFrom('model_tags')
          .select('tag')
          .where('version_id', '=', r.id)
          .where('system', '=', change.system ? 1 : 0)
          .orderBy('position')
          .execute()
      ).map((t) => t.tag);
      const next = [
        ...current.filter((t) => !remove.has(t)),
        ...add.filter((t) => !current.includes(t) && !remove.has(t)),
      ];
      if (next.join('\u0000') === current.join('\u0000')) continue;
      const now = nowIso();
      await db.transaction().execute(async (tx) => {
        await replaceTags(tx, r.id, Boolean(change.system), next);
        await tx
          .updateTable('model_versions')
          .set({ updated_at: now, last_change_at: now })
          .where('id', '=', r.id)
          .execute();
      });
      updated++;
    }
    return { updated };
  }

  return {
    edit,
    setReady,
    publishMany: (ids: string[], user: string | null = null) =>
      base.batch(ids, async (id) => ({ updated: 1, model: await setReady(id, user) })),
    archiveMany: (ids: string[]) => base.batch(ids, (id) => setArchived(id, true)),
    unarchiveMany: (ids: string[]) => base.batch(ids, (id) => setArchived(id, false)),
    setPublic,
    move,
    addOrUpdateMetadata,
    deleteMetadata,
    updateTags,
  };
}
