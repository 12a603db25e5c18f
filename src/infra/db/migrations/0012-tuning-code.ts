import type { Kysely } from 'kysely';

/**
 * Tuning jobs over user code: a job names the uploaded code (`code_id`, see `run_code`) and the
 * shell `command` each trial run executes, instead of a built-in learner. Both are null for a
 * built-in job. `learner` and `dataset` stay NOT NULL and hold '' for a user-code job (learner
 * none, dataset optional): SQLite cannot drop a NOT NULL without rebuilding the table, and
 * rebuilding `tuning_jobs` would cascade-delete the trials referencing it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tuning_jobs').addColumn('code_id', 'text').execute();
  await db.schema.alterTable('tuning_jobs').addColumn('command', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tuning_jobs').dropColumn('command').execute();
  await db.schema.alterTable('tuning_jobs').dropColumn('code_id').execute();
}
