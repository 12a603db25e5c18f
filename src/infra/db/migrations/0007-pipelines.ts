import type { Kysely } from 'kysely';

/**
 * Pipelines: named, versioned training code (an uploaded code archive + the command that runs it),
 * and the O-RAN Training Manager's integer job ids, which map onto runs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_pipelines')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('code_id', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_pipelines_pk', ['name', 'version'])
    .execute();
  await db.schema
    .createTable('oran_training_jobs')
    .addColumn('id', 'integer', (c) => c.primaryKey().notNull())
    .addColumn('run_id', 'text', (c) => c.notNull().unique())
    .addColumn('model_version_id', 'text', (c) => c.notNull())
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('model_version', 'text', (c) => c.notNull())
    .addColumn('record', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('oran_training_jobs_model')
    .on('oran_training_jobs')
    .columns(['model_name', 'model_version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oran_training_jobs').execute();
  await db.schema.dropTable('run_pipelines').execute();
}
