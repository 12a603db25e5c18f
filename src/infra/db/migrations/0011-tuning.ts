import type { Kysely } from 'kysely';

/**
 * Tuning jobs: one row per job (what to search, how, its state machine and the whole study as
 * JSON, so a restarted server resumes the search exactly), leased by the server process driving
 * it (`owner`, renewed at `heartbeat_at`); one row per trial, pointing at the training run it
 * submitted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tuning_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('learner', 'text', (c) => c.notNull())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('fixed_params', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('space', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('algorithm_options', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('seed', 'integer', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('max_trials', 'integer', (c) => c.notNull())
    .addColumn('parallelism', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('study', 'text', (c) => c.notNull())
    .addColumn('best_trial', 'integer')
    .addColumn('best_value', 'double precision')
    .addColumn('error', 'text')
    .addColumn('owner', 'text')
    .addColumn('heartbeat_at', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .execute();
  await db.schema
    .createTable('tuning_trials')
    .addColumn('job_id', 'text', (c) => c.notNull().references('tuning_jobs.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addPrimaryKeyConstraint('tuning_trials_pk', ['job_id', 'number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tuning_trials').execute();
  await db.schema.dropTable('tuning_jobs').execute();
}
