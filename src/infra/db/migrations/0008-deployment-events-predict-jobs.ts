import type { Kysely } from 'kysely';

/**
 * Deployment events (loads, swaps, alias moves, failures) move from memory to the database, and
 * batch prediction jobs (WMLA `/inferences`: score uploaded files with a registry model) get a
 * table: their inputs and results are blobs, their state survives a restart.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployment_events')
    .addColumn('deployment_name', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployment_events_pk', ['deployment_name', 'seq'])
    .execute();
  await db.schema
    .createTable('predict_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('model_ref', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('threshold', 'double precision')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('result_key', 'text')
    .addColumn('samples', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('ended_at', 'text')
    .execute();
  await db.schema.createIndex('predict_jobs_model').on('predict_jobs').column('model_ref').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('predict_jobs').execute();
  await db.schema.dropTable('deployment_events').execute();
}
