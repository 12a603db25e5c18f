/**
 * Registry tables: plain async functions over Kysely; rules live in the service. This file holds
 * projects, registered models and versions (insert, read, delete). Child rows (tags, metadata,
 * metrics) are in registry-children.repository.ts and the rows-to-views read path in
 * registry-views.repository.ts; both are re-exported here so callers keep one import.
 */
import { sql, type Selectable } from 'kysely';
import { randomBytes } from 'node:crypto';
import { isUniqueViolation, nowIso, type Db, type Tx } from '../../infra/db/kysely.js';
import { createReferences } from '../../infra/db/references.js';
import type {
  ModelMetadataTable,
  ModelMetricsTable,
  ModelVersionsTable,
  ProjectsTable,
  RegisteredModelsTable,
} from '../../infra/db/schema.js';
import { writeChildren, type Children } from './registry-children.repository.js';

export {
  md5,
  replaceTags,
  reportMetricPoints,
  upsertMetadata,
  upsertMetrics,
  writeChildren,
  type Children,
} from './registry-children.repository.js';
export { projectView, toViews, type ViewNeeds } from './registry-views.repository.js';

export type VersionRow = Selectable<ModelVersionsTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type ModelRow = Selectable<RegisteredModelsTable>;
export type MetricRow = Selectable<ModelMetricsTable>;
export type MetadataRow = Selectable<ModelMetadataTable>;
export type Executor = Db | Tx;

export const newId = () => randomBytes(16).toString('hex');
const ATTEMPTS = 8;

export async function findProject(ex: Executor, idOrName: string): Promise<ProjectRow | undefined> {
  return ex
    .selectFrom('projects')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .orderBy(sql`case when id = ${idOrName} then 0 else 1 end`)
    .executeTakeFirst();
}

/** The project of that name, created when missing (concurrent creators converge on one row). */
export async function ensureProject(db: Db, name: string): Promise<ProjectRow> {
  for (let attempt = 1; ; attempt++) {
    const found = await db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
    if (found) return found;
    const now = nowIso();
    const row = { id: newId(), name, description: '', created_at: now, updated_at: now };
    try {
      await db.insertInto('projects').values(row).execute();
      return row;
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= ATTEMPTS) throw e;
    }
  }
}

/**
 * Inserts a version under the next number of its registered model (created on first use), with
 * its children, in one transaction. Concurrent writers collide on unique keys and retry.
 */
export async function insertVersion(
  db: Db,
  projectId: string,
  row: Omit<VersionRow, 'model_id' | 'version' | 'project_id'>,
  children: Children,
): Promise<VersionRow> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (tx) => {
        const model = await modelFor(tx, projectId, row.name, row.created_at);
        const max = await tx
          .selectFrom('model_versions')
          .select((eb) => eb.fn.max('version').as('max'))
          .where('model_id', '=', model.id)
          .executeTakeFirst();
        const full: VersionRow = {
          ...row,
          model_id: model.id,
          project_id: projectId,
          version: Number(max?.max ?? 0) + 1,
        };
        await tx.insertInto('model_versions').values(full).execute();
        await writeChildren(tx, full.id, children);
        return full;
      });
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= ATTEMPTS) throw e;
    }
  }
}

/** The registered model of that name in the project, created when missing. */
export async function modelFor(
  tx: Executor,
  projectId: string,
  name: string,
  now: string,
): Promise<ModelRow> {
  const found = await tx
    .selectFrom('registered_models')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (found) return found;
  const model = {
    id: newId(),
    project_id: projectId,
    name,
    description: '',
    created_at: now,
    updated_at: now,
  };
  await tx.insertInto('registered_models').values(model).execute();
  return model;
}

export async function getRows(ex: Executor, ids: string[]): Promise<VersionRow[]> {
  if (ids.length === 0) return [];
  const rows = await ex.selectFrom('model_versions').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((i) => byId.get(i)).filter((r): r is VersionRow => r !== undefined);
}

/** The `references` target kind of a model version. */
export const REF_KIND = 'model_version';
/** Uses of model versions (deployments, runs, WMLA models…) in the shared `references` table. */
export const versionReferences = createReferences(REF_KIND);

/**
 * Deletes versions and every row hanging off them in one transaction; returns the blob keys the
 * caller must remove after commit. Registered models left without versions go too.
 */
export async function deleteVersionRows(tx: Tx, ids: string[]): Promise<{ blobKeys: string[] }> {
  const arts = await tx
    .selectFrom('model_artifacts')
    .select('blob_key')
    .where('version_id', 'in', ids)
    .execute();
  const models = await tx.selectFrom('model_versions').select('model_id').where('id', 'in', ids).execute();
  for (const table of [
    'model_tags',
    'model_metadata',
    'model_metrics',
    'model_aliases',
    'model_artifacts',
  ] as const)
    await tx.deleteFrom(table).where('version_id', 'in', ids).execute();
  await versionReferences.release(tx, ids);
  await tx.deleteFrom('model_versions').where('id', 'in', ids).execute();
  await dropEmptyModels(tx, [...new Set(models.map((m) => m.model_id))]);
  return { blobKeys: arts.map((a) => a.blob_key) };
}

export async function dropEmptyModels(tx: Executor, modelIds: string[]) {
  for (const modelId of modelIds) {
    const left = await tx
      .selectFrom('model_versions')
      .select('id')
      .where('model_id', '=', modelId)
      .executeTakeFirst();
    if (!left) {
      await tx.deleteFrom('model_aliases').where('model_id', '=', modelId).execute();
      await tx.deleteFrom('registered_models').where('id', '=', modelId).execute();
    }
  }
}
