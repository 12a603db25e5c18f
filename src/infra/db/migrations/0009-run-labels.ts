import { sql, type Kysely } from 'kysely';

/** Rows copied per insert while backfilling (4 parameters each, far below every dialect's limit). */
const BACKFILL_BATCH = 200;

/**
 * Run labels get a table of their own, so finding the runs with a label (a WMLA model's trainings,
 * the WMLA execs) is one indexed query instead of a scan of every run's JSON. `runs.labels` stays
 * the copy a run view is read from; the runs repository writes both in one transaction.
 * The index holds the first 200 characters of a value: PostgreSQL refuses B-tree entries over
 * ~2.7 kB, and a label value has no length limit. Lookups compare that prefix, then the value.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_labels')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_labels_pk', ['run_id', 'key'])
    .execute();
  await sql`create index run_labels_value on run_labels ("key", substr("value", 1, 200), run_id)`.execute(db);

  const runs = await sql<{ id: string; labels: string }>`select id, labels from runs`.execute(db);
  const rows = runs.rows.flatMap((r) =>
    Object.entries(JSON.parse(r.labels) as Record<string, string>).map(([key, value]) => ({
      run_id: r.id,
      key,
      value: String(value),
    })),
  );
  for (let i = 0; i < rows.length; i += BACKFILL_BATCH)
    await db
      .insertInto('run_labels' as never)
      .values(rows.slice(i, i + BACKFILL_BATCH) as never)
      .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_labels').execute();
}
