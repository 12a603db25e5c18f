/**
 * Rows of tuning jobs and their trials. A trial change and the study snapshot it implies are
 * written in one transaction, so the stored study never disagrees with the trial rows. Leases
 * are conditional updates: of several servers claiming one job at once, exactly one wins.
 */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../../infra/db/kysely.js';
import { isUniqueViolation, nowIso } from '../../infra/db/kysely.js';
import type { TuningJobsTable, TuningTrialsTable } from '../../infra/db/schema.js';

export type JobRow = Selectable<TuningJobsTable>;
export type TrialRow = Selectable<TuningTrialsTable>;
export type JobPatch = Updateable<TuningJobsTable>;
export type TrialPatch = Pick<
  Updateable<TuningTrialsTable>,
  'run_id' | 'state' | 'value' | 'error' | 'ended_at'
>;

export const ACTIVE_JOB_STATES = ['queued', 'running'] as const;

export function createTuningRepository(db: Db) {
  return {
    /** Inserts a job; null when the name is taken. */
    async insert(row: JobRow): Promise<JobRow | null> {
      try {
        await db.insertInto('tuning_jobs').values(row).execute();
        return row;
      } catch (e) {
        if (isUniqueViolation(e)) return null;
        throw e;
      }
    },
    byName: (name: string) =>
      db.selectFrom('tuning_jobs').selectAll().where('name', '=', name).executeTakeFirst(),
    byId: (id: string) => db.selectFrom('tuning_jobs').selectAll().where('id', '=', id).executeTakeFirst(),
    list: (q: { state?: string; limit: number; offset: number }) => {
      let s = db.selectFrom('tuning_jobs').selectAll();
      if (q.state) s = s.where('state', '=', q.state as JobRow['state']);
      return s.orderBy('created_at', 'desc').orderBy('name').limit(q.limit).offset(q.offset).execute();
    },
    active: () =>
      db
        .selectFrom('tuning_jobs')
        .selectAll()
        .where('state', 'in', [...ACTIVE_JOB_STATES])
        .execute(),
    /** Updates a job while it is still active; false when it ended meanwhile (e.g. cancelled). */
    async updateActive(id: string, patch: JobPatch): Promise<boolean> {
      const r = await db
        .updateTable('tuning_jobs')
        .set({ ...patch, updated_at: nowIso() })
        .where('id', '=', id)
        .where('state', 'in', [...ACTIVE_JOB_STATES])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async update(id: string, patch: JobPatch): Promise<void> {
      await db
        .updateTable('tuning_jobs')
        .set({ ...patch, updated_at: nowIso() })
        .where('id', '=', id)
        .execute();
    },
    async remove(id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('tuning_trials').where('job_id', '=', id).execute();
        await tx.deleteFrom('tuning_jobs').where('id', '=', id).execute();
      });
    },
    trials: (jobId: string) =>
      db.selectFrom('tuning_trials').selectAll().where('job_id', '=', jobId).orderBy('number').execute(),
    /**
     * Adds a trial and stores the study that asked for it, in one transaction, while the job is
     * still active; false when it ended meanwhile (a cancel then never misses a trial).
     */
    async addTrial(trial: TrialRow, study: string): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const r = await tx
          .updateTable('tuning_jobs')
          .set({ study, updated_at: nowIso() })
          .where('id', '=', trial.job_id)
          .where('state', 'in', [...ACTIVE_JOB_STATES])
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) return false;
        await tx.insertInto('tuning_trials').values(trial).execute();
        return true;
      });
    },
    /**
     * Changes a trial and, when given, the job's study and best, in one transaction. A change of
     * state applies only to a trial still running (a cancel may have ended it meanwhile); false then.
     */
    async updateTrial(jobId: string, number: number, patch: TrialPatch, job?: JobPatch): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        let q = tx
          .updateTable('tuning_trials')
          .set(patch)
          .where('job_id', '=', jobId)
          .where('number', '=', number);
        if (patch.state) q = q.where('state', '=', 'running');
        if (Number((await q.executeTakeFirst()).numUpdatedRows) !== 1) return false;
        if (job)
          await tx
            .updateTable('tuning_jobs')
            .set({ ...job, updated_at: nowIso() })
            .where('id', '=', jobId)
            .execute();
        return true;
      });
    },
    /** Takes the lease of an active job unless another live owner holds it; true when taken. */
    async claim(id: string, owner: string, now: string, lapsedBefore: string): Promise<boolean> {
      const r = await db
        .updateTable('tuning_jobs')
        .set({ owner, heartbeat_at: now })
        .where('id', '=', id)
        .where('state', 'in', [...ACTIVE_JOB_STATES])
        .where((eb) =>
          eb.or([
            eb('owner', 'is', null),
            eb('owner', '=', owner),
            eb('heartbeat_at', 'is', null),
            eb('heartbeat_at', '<', lapsedBefore),
          ]),
        )
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Renews a held lease; false when the job ended or another process took it. */
    async renew(id: string, owner: string, now: string): Promise<boolean> {
      const r = await db
        .updateTable('tuning_jobs')
        .set({ heartbeat_at: now })
        .where('id', '=', id)
        .where('owner', '=', owner)
        .where('state', 'in', [...ACTIVE_JOB_STATES])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async release(id: string, owner: string): Promise<void> {
      await db
        .updateTable('tuning_jobs')
        .set({ owner: null, heartbeat_at: null })
        .where('id', '=', id)
        .where('owner', '=', owner)
        .execute();
    },
  };
}

export type TuningRepository = ReturnType<typeof createTuningRepository>;
