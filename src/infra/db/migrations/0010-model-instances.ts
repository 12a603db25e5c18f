import type { Kysely } from 'kysely';

/**
 * Model instances (MISTK's model-instance API): one row per instance holding its state machine,
 * what was initialised and loaded, and the blob keys of its model and predictions; one row per
 * task (an accepted call), the current one pointed at by `current_task_id`, leased by the server
 * process that runs it (`owner`, renewed at `heartbeat_at`) so another server takes it over only
 * once that lease expired.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('model_instances')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('stable_state', 'text', (c) => c.notNull())
    .addColumn('resource_version', 'integer', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('config', 'text')
    .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('model_built', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('model_blob_key', 'text')
    .addColumn('predictions_blob_key', 'text')
    .addColumn('current_task_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('model_instance_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('model_instances.id').onDelete('cascade'))
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    // The task's lease: the server process running it and when it last said it still does.
    .addColumn('owner', 'text')
    .addColumn('heartbeat_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('model_instance_tasks_instance')
    .on('model_instance_tasks')
    .columns(['instance_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('model_instance_tasks').execute();
  await db.schema.dropTable('model_instances').execute();
}
