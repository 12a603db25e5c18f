import type { Kysely } from 'kysely';

/**
 * The O-RAN Training Manager's legacy (≤ 2024) training jobs: one row per (trainingjob_name,
 * integer version) holding the legacy request fields, pointing at the O-RAN training job and run
 * that trained it (both null until the version is started).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oran_legacy_jobs')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('record', 'text', (c) => c.notNull())
    .addColumn('job_id', 'integer')
    .addColumn('run_id', 'text')
    .addColumn('deletion_in_progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('oran_legacy_jobs_pk', ['name', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oran_legacy_jobs').execute();
}
