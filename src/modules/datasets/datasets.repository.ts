/**
 * Datasets tables: `datasets`, `dataset_versions` and the dataset-version rows of `references`.
 * Plain async functions over Kysely; rows are mapped to API views here.
 */
import { sql, type Selectable } from 'kysely';
import { conflict } from '../../errors.js';
import { isUniqueViolation, nowIso, type Db } from '../../infra/db/kysely.js';
import { createReferences, describeReferrers, type Referrer } from '../../infra/db/references.js';
import type { DatasetVersionsTable, DatasetsTable } from '../../infra/db/schema.js';
import type { DatasetVersionView, DatasetView } from './datasets.schemas.js';

export type DatasetRow = Selectable<DatasetsTable>;
export type VersionRow = Selectable<DatasetVersionsTable>;
export const REF_KIND = 'dataset_version';

/** A version about to be written: everything but its number. */
export type NewVersion = Omit<VersionRow, 'version' | 'dataset_id'>;

export type { Referrer };
const references = createReferences(REF_KIND);

const ATTEMPTS = 8;

export function createDatasetsRepository(db: Db) {
  async function findByName(name: string): Promise<DatasetRow | undefined> {
    return db.selectFrom('datasets').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /**
   * Writes a version under the next number in one transaction, creating the dataset on first use.
   * Concurrent writers of one name collide on the unique constraints and retry. `newId` is the id
   * a dataset created here gets (its blobs are already stored under it).
   */
  async function insertVersion(
    dataset: { name: string; kind: DatasetRow['kind']; description?: string; tags: string[]; newId: string },
    row: NewVersion,
  ): Promise<{ dataset: DatasetRow; version: VersionRow }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction().execute(async (tx) => {
          const now = nowIso();
          let ds = await tx
            .selectFrom('datasets')
            .selectAll()
            .where('name', '=', dataset.name)
            .executeTakeFirst();
          if (!ds) {
            ds = {
              id: dataset.newId,
              name: dataset.name,
              description: dataset.description ?? '',
              tags: JSON.stringify([...new Set(dataset.tags)].sort()),
              kind: dataset.kind,
              created_at: now,
              updated_at: now,
            };
            await tx.insertInto('datasets').values(ds).execute();
          } else {
            if (ds.kind !== dataset.kind) {
              throw conflict(
                `dataset '${dataset.name}' holds ${ds.kind} data; upload ${dataset.kind} data under another name`,
                { reason: 'dataset_kind_mismatch' },
              );
            }
            const tags = [...new Set([...(JSON.parse(ds.tags) as string[]), ...dataset.tags])].sort();
            ds = {
              ...ds,
              description: dataset.description ?? ds.description,
              tags: JSON.stringify(tags),
              updated_at: now,
            };
            await tx
              .updateTable('datasets')
              .set({ description: ds.description, tags: ds.tags, updated_at: now })
              .where('id', '=', ds.id)
              .execute();
          }
          const max = await tx
            .selectFrom('dataset_versions')
            .select((eb) => eb.fn.max('version').as('v'))
            .where('dataset_id', '=', ds.id)
            .executeTakeFirst();
          const version: VersionRow = { ...row, dataset_id: ds.id, version: Number(max?.v ?? 0) + 1 };
          await tx.insertInto('dataset_versions').values(version).execute();
          return { dataset: ds, version };
        });
      } catch (e) {
        if (attempt < ATTEMPTS && isUniqueViolation(e)) continue;
        throw e;
      }
    }
  }

  async function list(q: { name?: string; tag?: string; offset: number; limit: number }) {
    let base = db.selectFrom('datasets');
    // Both dialects: LIKE with an explicit escape character (SQLite has no default one).
    const contains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    if (q.name)
      base = base.where(sql<boolean>`lower(name) like ${contains(q.name.toLowerCase())} escape '\\'`);
    if (q.tag) base = base.where(sql<boolean>`tags like ${contains(JSON.stringify(q.tag))} escape '\\'`);
    const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await base.selectAll().orderBy('name').offset(q.offset).limit(q.limit).execute();
    return { rows, total: Number(total.n) };
  }

  /** Latest version number and version count per dataset id. */
  async function versionStats(ids: string[]): Promise<Map<string, { latest: number; count: number }>> {
    const out = new Map<string, { latest: number; count: number }>();
    if (ids.length === 0) return out;
    const rows = await db
      .selectFrom('dataset_versions')
      .select((eb) => ['dataset_id', eb.fn.max('version').as('latest'), eb.fn.countAll<number>().as('n')])
      .where('dataset_id', 'in', ids)
      .groupBy('dataset_id')
      .execute();
    for (const r of rows) out.set(r.dataset_id, { latest: Number(r.latest), count: Number(r.n) });
    return out;
  }

  async function listVersions(datasetId: string): Promise<VersionRow[]> {
    return db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('dataset_id', '=', datasetId)
      .orderBy('version')
      .execute();
  }

  async function getVersion(datasetId: string, version: number | 'latest'): Promise<VersionRow | undefined> {
    let q = db.selectFrom('dataset_versions').selectAll().where('dataset_id', '=', datasetId);
    q = version === 'latest' ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
    return q.executeTakeFirst();
  }

  async function getVersionById(id: string): Promise<VersionRow | undefined> {
    return db.selectFrom('dataset_versions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function update(id: string, set: { description: string; tags: string[] }): Promise<void> {
    await db
      .updateTable('datasets')
      .set({ description: set.description, tags: JSON.stringify(set.tags), updated_at: nowIso() })
      .where('id', '=', id)
      .execute();
  }

  async function referrersOf(versionIds: string[]): Promise<Array<Referrer & { target: string }>> {
    return (await references.list(db, versionIds)).map((r) => ({
      kind: r.kind,
      id: r.id,
      target: r.targetId,
    }));
  }

  /**
   * Deletes version rows (and the dataset row when `datasetId` is given) in one transaction,
   * refusing with the referrers when anything still references one of them.
   */
  async function deleteVersions(versionIds: string[], datasetId?: string): Promise<void> {
    await db.transaction().execute(async (tx) => {
      if (versionIds.length > 0) {
        await references.refuseIfReferenced(tx, versionIds, (uses) =>
          conflict(`still referenced by ${describeReferrers(uses)}`, {
            reason: 'dataset_referenced',
            details: { referrers: uses.map((u) => ({ kind: u.kind, id: u.id, versionId: u.targetId })) },
          }),
        );
        await tx.deleteFrom('dataset_versions').where('id', 'in', versionIds).execute();
      }
      if (datasetId) await tx.deleteFrom('datasets').where('id', '=', datasetId).execute();
    });
  }

  const addReference = (versionId: string, referrer: Referrer) => references.add(db, versionId, referrer);
  const removeReference = (versionId: string, referrer: Referrer) =>
    references.remove(db, versionId, referrer);

  return {
    findByName,
    insertVersion,
    list,
    versionStats,
    listVersions,
    getVersion,
    getVersionById,
    update,
    referrersOf,
    deleteVersions,
    addReference,
    removeReference,
  };
}

export type DatasetsRepository = ReturnType<typeof createDatasetsRepository>;

export function toDatasetView(r: DatasetRow, stats?: { latest: number; count: number }): DatasetView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    tags: JSON.parse(r.tags) as string[],
    kind: r.kind,
    latestVersion: stats?.latest ?? null,
    versionCount: stats?.count ?? 0,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toVersionView(r: VersionRow, name: string): DatasetVersionView {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    name,
    version: Number(r.version),
    kind: r.format === 'zip' ? 'images' : 'tabular',
    format: r.format,
    source: r.source,
    sourcePath: r.source_path,
    sizeBytes: Number(r.size_bytes),
    sha256: r.sha256,
    rowCount: Number(r.row_count),
    columns: JSON.parse(r.columns) as DatasetVersionView['columns'],
    target: r.target,
    task: r.task,
    labelCounts: r.label_counts === null ? null : (JSON.parse(r.label_counts) as Record<string, number>),
    split: JSON.parse(r.split_spec) as DatasetVersionView['split'],
    splitCounts: JSON.parse(r.split_counts) as DatasetVersionView['splitCounts'],
    warnings: JSON.parse(r.warnings) as string[],
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}
