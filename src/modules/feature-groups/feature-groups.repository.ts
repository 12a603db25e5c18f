import { sql, type Selectable } from 'kysely';
import { conflict } from '../../errors.js';
import { isUniqueViolation, type Db } from '../../infra/db/kysely.js';
import type { FeatureGroupsTable } from '../../infra/db/schema.js';

export type FeatureGroupRow = Selectable<FeatureGroupsTable>;

export interface ListFeatureGroupsQuery {
  offset: number;
  limit: number;
  /** Case-insensitive substring of the name. */
  nameContains?: string;
}

/** Escapes LIKE wildcards so a name filter matches literally. */
const likeLiteral = (s: string) => s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);

/** Table access for feature groups; knows nothing of validation or secrets. */
export function createFeatureGroupsRepository(db: Db) {
  async function insert(row: FeatureGroupRow): Promise<void> {
    try {
      await db.insertInto('feature_groups').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e))
        throw conflict(`feature group '${row.name}' already exists`, { reason: 'feature_group_exists' });
      throw e;
    }
  }

  async function findByName(name: string): Promise<FeatureGroupRow | undefined> {
    return db.selectFrom('feature_groups').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async function list(q: ListFeatureGroupsQuery): Promise<{ rows: FeatureGroupRow[]; total: number }> {
    let base = db.selectFrom('feature_groups');
    if (q.nameContains)
      base = base.where(sql<boolean>`lower(name) like ${`%${likeLiteral(q.nameContains)}%`} escape '\\'`);
    const [rows, count] = await Promise.all([
      base.selectAll().orderBy('name').offset(q.offset).limit(q.limit).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.n) };
  }

  /** Replaces every column but id, name and created_at; false when no such group. */
  async function update(row: FeatureGroupRow): Promise<boolean> {
    const { id: _id, name, created_at: _created, ...rest } = row;
    const r = await db.updateTable('feature_groups').set(rest).where('name', '=', name).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async function deleteByName(name: string): Promise<boolean> {
    const r = await db.deleteFrom('feature_groups').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  return { insert, findByName, list, update, deleteByName };
}

export type FeatureGroupsRepository = ReturnType<typeof createFeatureGroupsRepository>;
