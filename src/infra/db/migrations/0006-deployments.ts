import type { Kysely } from 'kysely';

/** Deployments: a named, long-lived prediction service on a registry version (or alias). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('model_ref', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('canary_ref', 'text')
    .addColumn('canary_version_id', 'text')
    .addColumn('canary_weight', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('replicas', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('min_instances', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('max_instances', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('desired_state', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('readme', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('profile', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('deployments').execute();
}
