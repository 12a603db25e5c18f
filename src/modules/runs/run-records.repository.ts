/** Database access to what a run records while it runs: log lines, metric points, params, artifacts. */
import { randomUUID } from 'node:crypto';
import { isUniqueViolation, nowIso, type Db } from '../../infra/db/kysely.js';
import type { ArtifactView, LogLineView, MetricPoint } from './runs.schemas.js';

/** Run ids bound in one query (SQLite allows 32766 parameters, PostgreSQL 65535). */
const IDS_PER_QUERY = 5000;

export function createRunRecordsRepository(db: Db) {
  async function maxLogSeq(id: string): Promise<number> {
    const r = await db
      .selectFrom('run_logs')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('run_id', '=', id)
      .executeTakeFirst();
    return Number(r?.seq ?? 0);
  }
  return {
    maxLogSeq,

    /**
     * Appends log lines of one run; returns the last seq used. Lines whose numbers another writer
     * of the run took meanwhile (a worker that took the run over) are numbered after its lines.
     */
    async appendLogs(
      rows: Array<LogLineView & { run_id: string; stream: 'stdout' | 'stderr' | 'system' }>,
    ): Promise<number> {
      if (rows.length === 0) return 0;
      for (let tries = 0; ; tries++) {
        try {
          await db.insertInto('run_logs').values(rows).execute();
          return rows.at(-1)!.seq;
        } catch (e) {
          if (!isUniqueViolation(e) || tries === 3) throw e;
          let seq = await maxLogSeq(rows[0]!.run_id);
          for (const r of rows) r.seq = ++seq;
        }
      }
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

    /** Deletes all points of a run (user code restarts from scratch on a retry). */
    async dropMetrics(runId: string): Promise<void> {
      await db.deleteFrom('run_metrics').where('run_id', '=', runId).execute();
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

    /**
     * The highest step any metric of each run reached, for many runs in one query per
     * IDS_PER_QUERY runs; runs without points are absent.
     */
    async maxSteps(runIds: string[]): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      for (let i = 0; i < runIds.length; i += IDS_PER_QUERY) {
        const rows = await db
          .selectFrom('run_metrics')
          .select(['run_id', (eb) => eb.fn.max('step').as('step')])
          .where('run_id', 'in', runIds.slice(i, i + IDS_PER_QUERY))
          .groupBy('run_id')
          .execute();
        for (const r of rows) out.set(r.run_id, Number(r.step));
      }
      return out;
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
  };
}
