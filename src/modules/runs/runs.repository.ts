/** Database access of the runs module. State changes go through `transition` (one transaction each). */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { nowIso, type Db, type Tx } from '../../infra/db/kysely.js';
import type { RunCodeTable, RunsTable } from '../../infra/db/schema.js';
import type {
  ArtifactView,
  LogLineView,
  MetricPoint,
  RunEventView,
  RunState,
  RunView,
} from './runs.schemas.js';

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
  /** Other columns to set in the same update. */
  set?: Partial<RunRow>;
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

export function createRunsRepository(db: Db) {
  return {
    async insert(row: RunRow): Promise<RunEventView> {
      return db.transaction().execute(async (tx) => {
        await tx.insertInto('runs').values(row).execute();
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

    update: (id: string, set: Partial<RunRow>) =>
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

    async maxLogSeq(id: string): Promise<number> {
      const r = await db
        .selectFrom('run_logs')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('run_id', '=', id)
        .executeTakeFirst();
      return Number(r?.seq ?? 0);
    },

    async appendLogs(
      rows: Array<LogLineView & { run_id: string; stream: 'stdout' | 'stderr' | 'system' }>,
    ): Promise<void> {
      if (rows.length === 0) return;
      await db.insertInto('run_logs').values(rows).execute();
    },

    async logs(id: string, afterSeq: number, limit: number): Promise<LogLineView[]> {
      const rows = await db
        .selectFrom('run_logs')
        .select(['seq', 'attempt', 'stream', 'text', 'at'])
        .where('run_id', '=', id)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
    },

    async addMetrics(runId: string, points: Array<Omit<MetricPoint, 'at'> & { at?: string }>): Promise<void> {
      if (points.length === 0) return;
      const at = nowIso();
      await db
        .insertInto('run_metrics')
        .values(points.map((p) => ({ id: randomUUID(), run_id: runId, ...p, at: p.at ?? at })))
        .execute();
    },

    /** Deletes the points of `source` past `step` (an attempt resuming from a checkpoint redoes them). */
    async dropMetricsAfter(runId: string, source: string, step: number): Promise<void> {
      await db
        .deleteFrom('run_metrics')
        .where('run_id', '=', runId)
        .where('source', '=', source)
        .where('step', '>', step)
        .execute();
    },

    /** Next step number per metric name (one past the highest stored). */
    async nextSteps(runId: string): Promise<Map<string, number>> {
      const rows = await db
        .selectFrom('run_metrics')
        .select(['name', (eb) => eb.fn.max('step').as('step')])
        .where('run_id', '=', runId)
        .groupBy('name')
        .execute();
      return new Map(rows.map((r) => [r.name, Number(r.step) + 1]));
    },

    async metrics(runId: string, name?: string): Promise<MetricPoint[]> {
      let q = db
        .selectFrom('run_metrics')
        .select(['name', 'step', 'value', 'at', 'source'])
        .where('run_id', '=', runId);
      if (name) q = q.where('name', '=', name);
      const rows = await q.orderBy('name').orderBy('step').orderBy('at').execute();
      return rows.map((r) => ({ ...r, step: Number(r.step), value: Number(r.value) }));
    },

    async setParams(runId: string, params: Record<string, string>): Promise<void> {
      const entries = Object.entries(params);
      if (entries.length === 0) return;
      await db
        .insertInto('run_params')
        .values(entries.map(([key, value]) => ({ run_id: runId, key, value })))
        .onConflict((oc) =>
          oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
        )
        .execute();
    },

    async params(runId: string): Promise<Record<string, string>> {
      const rows = await db
        .selectFrom('run_params')
        .select(['key', 'value'])
        .where('run_id', '=', runId)
        .orderBy('key')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.key, r.value]));
    },

    async addArtifact(runId: string, path: string, blobKey: string, sizeBytes: number): Promise<void> {
      await db
        .insertInto('run_artifacts')
        .values({ run_id: runId, path, blob_key: blobKey, size_bytes: sizeBytes, created_at: nowIso() })
        .onConflict((oc) =>
          oc.columns(['run_id', 'path']).doUpdateSet((eb) => ({
            blob_key: eb.ref('excluded.blob_key'),
            size_bytes: eb.ref('excluded.size_bytes'),
          })),
        )
        .execute();
    },

    async artifacts(runId: string): Promise<Array<ArtifactView & { blobKey: string }>> {
      const rows = await db
        .selectFrom('run_artifacts')
        .selectAll()
        .where('run_id', '=', runId)
        .orderBy('path')
        .execute();
      return rows.map((r) => ({
        path: r.path,
        sizeBytes: Number(r.size_bytes),
        createdAt: r.created_at,
        blobKey: r.blob_key,
      }));
    },

    insertCode: (row: Selectable<RunCodeTable>) => db.insertInto('run_code').values(row).execute(),
    getCode: (id: string) => db.selectFrom('run_code').selectAll().where('id', '=', id).executeTakeFirst(),
  };
}

export type RunsRepository = ReturnType<typeof createRunsRepository>;
