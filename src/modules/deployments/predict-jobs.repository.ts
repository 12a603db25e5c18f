/** Rows of the `predict_jobs` table; the predict-jobs service owns every rule. */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../../infra/db/kysely.js';
import type { PredictJobsTable } from '../../infra/db/schema.js';

export type PredictJobRow = Selectable<PredictJobsTable>;

/** One uploaded input of a job, stored as a blob. */
export interface PredictJobInput {
  /** The form field or data key it came in as (`image0`, `data`, …). */
  field: string;
  fileName: string;
  blobKey: string;
  sizeBytes: number;
}

export function createPredictJobsRepository(db: Db) {
  return {
    byName: (name: string): Promise<PredictJobRow | undefined> =>
      db.selectFrom('predict_jobs').selectAll().where('name', '=', name).executeTakeFirst(),
    byId: (id: string): Promise<PredictJobRow | undefined> =>
      db.selectFrom('predict_jobs').selectAll().where('id', '=', id).executeTakeFirst(),
    list(model?: string): Promise<PredictJobRow[]> {
      let q = db.selectFrom('predict_jobs').selectAll();
      if (model !== undefined) q = q.where('model_ref', '=', model);
      return q.orderBy('created_at').orderBy('name').execute();
    },
    byStates: (states: string[]): Promise<PredictJobRow[]> =>
      db.selectFrom('predict_jobs').selectAll().where('state', 'in', states).orderBy('created_at').execute(),
    async insert(row: PredictJobRow): Promise<void> {
      await db.insertInto('predict_jobs').values(row).execute();
    },
    async update(id: string, patch: Updateable<PredictJobsTable>): Promise<void> {
      await db.updateTable('predict_jobs').set(patch).where('id', '=', id).execute();
    },
    /** Moves a job from one state to another only if it is still in `from`; true when it moved. */
    async transition(id: string, from: string[], patch: Updateable<PredictJobsTable>): Promise<boolean> {
      const r = await db
        .updateTable('predict_jobs')
        .set(patch)
        .where('id', '=', id)
        .where('state', 'in', from)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async remove(id: string): Promise<void> {
      await db.deleteFrom('predict_jobs').where('id', '=', id).execute();
    },
  };
}

export type PredictJobsRepository = ReturnType<typeof createPredictJobsRepository>;
