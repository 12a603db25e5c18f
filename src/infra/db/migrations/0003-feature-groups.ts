import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  let t = db.schema
    .createTable('feature_groups')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('feature_list', 'text', (c) => c.notNull())
    .addColumn('datalake_source', 'text', (c) => c.notNull());
  for (const col of [
    'host',
    'port',
    'bucket',
    'token',
    'db_org',
    'measurement',
    'measured_obj_class',
    'dme_port',
    'source_name',
    'description',
  ]) {
    t = t.addColumn(col, 'text', (c) => c.notNull().defaultTo(''));
  }
  await t
    .addColumn('enable_dme', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('feature_groups').execute();
}
