import { sql, type Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';

/**
 * Model registry: projects, registered models, their versions and the per-version child tables.
 * Tags, metadata and metrics live in their own tables so filters are indexed EXISTS lookups rather
 * than scans over JSON text (ClearML-style tag filters must stay fast at 100k versions).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  const now = new Date().toISOString();
  await sql`insert into projects (id, name, description, created_at, updated_at)
    values (${randomBytes(16).toString('hex')}, 'default', 'The default project', ${now}, ${now})`.execute(
    db,
  );

  await db.schema
    .createTable('registered_models')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('registered_models_project_name', ['project_id', 'name'])
    .execute();

  await db.schema
    .createTable('model_versions')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('model_id', 'text', (c) => c.notNull().references('registered_models.id'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('framework', 'text')
    .addColumn('uri', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('signature', 'text')
    .addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('design', 'text')
    .addColumn('ready', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source_run_id', 'text')
    .addColumn('dataset_version_id', 'text')
    .addColumn('parent_id', 'text')
    .addColumn('artifact_version', 'text', (c) => c.notNull().defaultTo('0.0.0'))
    .addColumn('last_iteration', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('last_change_at', 'text', (c) => c.notNull())
    .addColumn('last_changed_by', 'text')
    .addUniqueConstraint('model_versions_model_version', ['model_id', 'version'])
    .execute();
  for (const [name, cols] of [
    ['model_versions_project', ['project_id', 'created_at']],
    // (key, id) serve ORDER BY key, id (the stable-paging tie-breaker) without a sort; `name` rides
    // along so the usual name-pattern filter is checked in the index before any table row is read.
    ['model_versions_created', ['created_at', 'id', 'name']],
    ['model_versions_updated', ['updated_at', 'id', 'name']],
    ['model_versions_name', ['name', 'id']],
    ['model_versions_run', ['source_run_id']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('model_versions')
      .columns([...cols])
      .execute();
  }

  await db.schema
    .createTable('model_tags')
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
    .addColumn('system', 'integer', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_tags_pk', ['version_id', 'system', 'tag'])
    .execute();
  await db.schema
    .createIndex('model_tags_tag')
    .on('model_tags')
    .columns(['tag', 'system', 'version_id'])
    .execute();

  await db.schema
    .createTable('model_metadata')
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('value', 'text', (c) => c.notNull().defaultTo(''))
    .addPrimaryKeyConstraint('model_metadata_pk', ['version_id', 'key'])
    .execute();

  await db.schema
    .createTable('model_metrics')
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('variant', 'text', (c) => c.notNull())
    .addColumn('metric_hash', 'text', (c) => c.notNull())
    .addColumn('variant_hash', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('min_value', 'double precision')
    .addColumn('min_iteration', 'integer')
    .addColumn('max_value', 'double precision')
    .addColumn('max_iteration', 'integer')
    .addColumn('last_iteration', 'integer')
    .addPrimaryKeyConstraint('model_metrics_pk', ['version_id', 'metric', 'variant'])
    .execute();
  await db.schema
    .createIndex('model_metrics_value')
    .on('model_metrics')
    .columns(['metric', 'variant', 'value'])
    .execute();

  await db.schema
    .createTable('model_aliases')
    .addColumn('model_id', 'text', (c) => c.notNull().references('registered_models.id').onDelete('cascade'))
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_aliases_pk', ['model_id', 'alias'])
    .execute();
  await db.schema.createIndex('model_aliases_version').on('model_aliases').column('version_id').execute();

  await db.schema
    .createTable('model_artifacts')
    .addColumn('version_id', 'text', (c) => c.notNull().references('model_versions.id'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('artifact_version', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_artifacts_pk', ['version_id', 'path'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'model_artifacts',
    'model_aliases',
    'model_metrics',
    'model_metadata',
    'model_tags',
    'model_versions',
    'registered_models',
    'projects',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
