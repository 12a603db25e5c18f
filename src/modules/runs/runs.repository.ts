/** Database access of the runs module. State changes go through `transition` (one transaction each). */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { nowIso, type Db, type Tx } from '../../infra/db/kysely.js';
import type { RunCodeTable, RunsTable } from '../../infra/db/schema.js';
import { createRunLabelsRepository, insertRunLabels } from './run-labels.repository.js';
import { createRunRecordsRepository } from './run-records.repository.js';
import type { RunEventView, RunState, RunView } from './runs.schemas.js';

export type RunRow = Selectable<RunsTable>;

/** This process, as the writer of events (pollers skip their own). */
export const WRITER_ID = randomUUID();

export function toRunView(r: RunRow): RunView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    learner: r.learner,
    command: r.command,
    codeId: r.code_id,
    params: JSON.parse(r.params) as Record<string, unknown>,
    dataset:
      r.dataset_version_id && r.dataset_name
        ? { id: r.dataset_version_id, name: r.dataset_name, version: Number(r.dataset_version) }
        : null,
    featureGroup: r.feature_group,
    target: r.target,
    resources: JSON.parse(r.resources) as RunView['resources'],
    timeoutMs: r.timeout_ms === null ? null : Number(r.timeout_ms),
    retries: r.max_attempts - 1,
    backoffMs: r.backoff_ms,
    attempt: r.attempt,
    priority: r.priority,
    queue: r.queue,
    state: r.state,
    reason: r.reason,
    message: r.message,
    modelName: r.model_name,
    modelVersionId: r.model_version_id,
    labels: JSON.parse(r.labels) as Record<string, string>,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    notBefore: r.not_before,
  };
}

export interface TransitionOptions {
  reason?: string | null;
  message?: string | null;
  /** Other columns to set in the same update (labels change only through `setLabels`). */
  set?: Omit<Partial<RunRow>, 'labels'>;
  /** Only when the run has started exactly this many attempts (claims of a job delivered twice). */
  attempt?: number;
}

async function insertEvent(
  tx: Tx,
  runId: string,
  e: Omit<RunEventView, 'seq' | 'at'>,
  at: string,
): Promise<RunEventView> {
  const last = await tx
    .selectFrom('run_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('run_id', '=', runId)
    .executeTakeFirst();
  const seq = Number(last?.seq ?? 0) + 1;
  await tx
    .insertInto('run_events')
    .values({ run_id: runId, seq, ...e, writer: WRITER_ID, at })
    .execute();
  return { seq, ...e, at };
}

/** Runs and their events (this file), plus their labels, logs, metrics, params and artifacts. */
export function createRunsRepository(db: Db) {
  return {
    ...createRunRecordsRepository(db),
    ...createRunLabelsRepository(db),
    async insert(row: RunRow): Promise<RunEventView> {
      return db.transaction().execute(async (tx) => {
        await tx.insertInto('runs').values(row).execute();
        await insertRunLabels(tx, row.id, JSON.parse(row.labels) as Record<string, string>);
        return insertEvent(
          tx,
          row.id,
          { kind: 'state', name: 'queued', status: 'queued', reason: 'submitted', message: null, attempt: 0 },
          row.created_at,
        );
      });
    },

    get: (id: string) => db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst(),

    async list(q: { state?: string; queue?: string; limit: number; offset: number }) {
      let query = db.selectFrom('runs').selectAll();
      if (q.state) query = query.where('state', '=', q.state as RunState);
      if (q.queue) query = query.where('queue', '=', q.queue);
      return query.orderBy('created_at', 'desc').orderBy('id').limit(q.limit).offset(q.offset).execute();
    },

    byStates: (states: RunState[]) =>
      db.selectFrom('runs').selectAll().where('state', 'in', states).orderBy('created_at').execute(),

    /**
     * Moves a run from one of `from` to `to` and records the event, atomically. Returns null (and
     * changes nothing) when the run is not in one of `from`: the caller lost a race.
     */
    async transition(
      id: string,
      from: RunState[],
      to: RunState,
      opts: TransitionOptions = {},
    ): Promise<{ row: RunRow; event: RunEventView } | null> {
      return db.transaction().execute(async (tx) => {
        const at = nowIso();
        const r = await tx
          .updateTable('runs')
          .set({
            ...opts.set,
            state: to,
            reason: opts.reason ?? null,
            message: opts.message ?? null,
            updated_at: at,
          })
          .where('id', '=', id)
          .where('state', 'in', from)
          .$if(opts.attempt !== undefined, (q) => q.where('attempt', '=', opts.attempt!))
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) return null;
        const row = (await tx.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow())!;
        const event = await insertEvent(
          tx,
          id,
          {
            kind: 'state',
            name: to,
            status: to,
            reason: opts.reason ?? null,
            message: opts.message ?? null,
            attempt: row.attempt,
          },
          at,
        );
        return { row, event };
      });
    },

    /** Records a phase event (data extraction, training, model registration). */
    async phase(id: string, name: string, status: string, message: string | null = null) {
      return db.transaction().execute(async (tx) => {
        const at = nowIso();
        // Touching the row first serialises event numbering with transitions of the same run.
        await tx.updateTable('runs').set({ updated_at: at }).where('id', '=', id).execute();
        const row = await tx
          .selectFrom('runs')
          .select(['attempt'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        return insertEvent(
          tx,
          id,
          { kind: 'phase', name, status, reason: null, message, attempt: row.attempt },
          at,
        );
      });
    },

    /** Sets columns of a run; its labels change only through `setLabels` (two copies). */
    update: (id: string, set: Omit<Partial<RunRow>, 'labels'>) =>
      db.updateTable('runs').set(set).where('id', '=', id).execute(),

    async events(id: string): Promise<RunEventView[]> {
      const rows = await db
        .selectFrom('run_events')
        .selectAll()
        .where('run_id', '=', id)
        .orderBy('seq')
        .execute();
      return rows.map(({ run_id: _r, writer: _w, ...e }) => e);
    },

    /** Events written by other processes since `sinceIso` (for cross-process notifications). */
    foreignEventsSince: (sinceIso: string) =>
      db
        .selectFrom('run_events')
        .selectAll()
        .where('at', '>=', sinceIso)
        .where('writer', '!=', WRITER_ID)
        .orderBy('at')
        .orderBy('seq')
        .limit(1000)
        .execute(),

    insertCode: (row: Selectable<RunCodeTable>) => db.insertInto('run_code').values(row).execute(),
    getCode: (id: string) => db.selectFrom('run_code').selectAll().where('id', '=', id).executeTakeFirst(),
  };
}

export type RunsRepository = ReturnType<typeof createRunsRepository>;
