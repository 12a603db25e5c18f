/**
 * Database access to run labels. Compat surfaces keep their own objects (WMLA execs and trainings)
 * as runs marked with labels, and find them by label. `runs.labels` (JSON) is what a run view reads;
 * `run_labels` holds the same pairs, indexed, for lookups. Both are written in one transaction.
 */
import { sql } from 'kysely';
import type { Db, Tx } from '../../infra/db/kysely.js';

/** Characters of a value the `run_labels_value` index holds (see migration 0009). */
const INDEXED_CHARS = 200;

/** The indexed prefix of a value; both dialects' substr counts code points, as this does. */
const prefixOf = (value: string) => [...value].slice(0, INDEXED_CHARS).join('');

/** A match on labels: every key must be present, with this value (or any value when undefined). */
export type LabelMatch = Record<string, string | undefined>;

/** Writes a new run's labels (in the transaction that inserts the run). */
export async function insertRunLabels(tx: Tx, runId: string, labels: Record<string, string>): Promise<void> {
  const rows = Object.entries(labels).map(([key, value]) => ({ run_id: runId, key, value }));
  if (rows.length > 0) await tx.insertInto('run_labels').values(rows).execute();
}

export function createRunLabelsRepository(db: Db) {
  return {
    /**
     * Runs whose labels hold all of `match`, newest first (as `list`), in one query: each pair is
     * a lookup in the label index, so the cost follows the matching runs, not all runs.
     */
    listByLabels(match: LabelMatch) {
      const wanted = Object.entries(match);
      if (wanted.length === 0) throw new Error('listByLabels needs at least one label');
      let q = db.selectFrom('runs').selectAll();
      for (const [key, value] of wanted)
        q = q.where('id', 'in', (eb) => {
          const byKey = eb.selectFrom('run_labels').select('run_id').where('key', '=', key);
          return value === undefined
            ? byKey
            : byKey
                // Written exactly as the index expression, so both dialects use the index.
                .where(sql<string>`substr("value", 1, ${sql.lit(INDEXED_CHARS)})`, '=', prefixOf(value))
                .where('value', '=', value);
        });
      return q.orderBy('created_at', 'desc').orderBy('id').execute();
    },

    /** Replaces a run's labels (both copies) and touches `updated_at`. */
    async setLabels(runId: string, labels: Record<string, string>, at: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('runs')
          .set({ labels: JSON.stringify(labels), updated_at: at })
          .where('id', '=', runId)
          .execute();
        await tx.deleteFrom('run_labels').where('run_id', '=', runId).execute();
        await insertRunLabels(tx, runId, labels);
      });
    },
  };
}
