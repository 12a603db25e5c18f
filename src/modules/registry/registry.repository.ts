/**
 * Registry tables: plain async functions over Kysely. Rows become views here; rules live in the
 * service. Child rows (tags, metadata, metrics) of a page are loaded with one query per table.
 */
import { sql, type Selectable } from 'kysely';
import { createHash, randomBytes } from 'node:crypto';
import { isUniqueViolation, nowIso, type Db, type Tx } from '../../infra/db/kysely.js';
import { createReferences } from '../../infra/db/references.js';
import type {
  ModelMetadataTable,
  ModelMetricsTable,
  ModelVersionsTable,
  ProjectsTable,
  RegisteredModelsTable,
} from '../../infra/db/schema.js';
import type { MetricInput, ModelVersionView, ProjectView } from './registry.schemas.js';

export type VersionRow = Selectable<ModelVersionsTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type ModelRow = Selectable<RegisteredModelsTable>;
export type MetricRow = Selectable<ModelMetricsTable>;
export type MetadataRow = Selectable<ModelMetadataTable>;
export type Executor = Db | Tx;

/** Tag and system-tag lists, metadata and metrics that travel with a version. */
export interface Children {
  tags?: string[];
  systemTags?: string[];
  metadata?: Array<{ key: string; type: string; value: string }>;
  metrics?: MetricInput[];
}

export const newId = () => randomBytes(16).toString('hex');
export const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const ATTEMPTS = 8;

export function projectView(p: ProjectRow): ProjectView {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

export async function findProject(ex: Executor, idOrName: string): Promise<ProjectRow | undefined> {
  return ex
    .selectFrom('projects')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .orderBy(sql`case when id = ${idOrName} then 0 else 1 end`)
    .executeTakeFirst();
}

/** The project of that name, created when missing (concurrent creators converge on one row). */
export async function ensureProject(db: Db, name: string): Promise<ProjectRow> {
  for (let attempt = 1; ; attempt++) {
    const found = await db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
    if (found) return found;
    const now = nowIso();
    const row = { id: newId(), name, description: '', created_at: now, updated_at: now };
    try {
      await db.insertInto('projects').values(row).execute();
      return row;
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= ATTEMPTS) throw e;
    }
  }
}

export async function replaceTags(ex: Executor, versionId: string, system: boolean, tags: string[]) {
  await ex
    .deleteFrom('model_tags')
    .where('version_id', '=', versionId)
    .where('system', '=', system ? 1 : 0)
    .execute();
  if (tags.length === 0) return;
  await ex
    .insertInto('model_tags')
    .values(tags.map((tag, position) => ({ version_id: versionId, system: system ? 1 : 0, tag, position })))
    .execute();
}

export async function upsertMetadata(
  ex: Executor,
  versionId: string,
  entries: Children['metadata'] & object,
) {
  for (const e of entries) {
    await ex
      .insertInto('model_metadata')
      .values({ version_id: versionId, key: e.key, type: e.type, value: e.value })
      .onConflict((oc) => oc.columns(['version_id', 'key']).doUpdateSet({ type: e.type, value: e.value }))
      .execute();
  }
}

/** Sets final metric values (and min/max when given, else the value itself). */
export async function upsertMetrics(ex: Executor, versionId: string, metrics: MetricInput[]) {
  for (const m of metrics) {
    const variant = m.variant ?? '';
    const row = {
      version_id: versionId,
      metric: m.metric,
      variant,
      metric_hash: md5(m.metric),
      variant_hash: md5(variant),
      value: m.value,
      min_value: m.min ?? m.value,
      min_iteration: m.minIteration ?? m.iteration ?? null,
      max_value: m.max ?? m.value,
      max_iteration: m.maxIteration ?? m.iteration ?? null,
      last_iteration: m.iteration ?? null,
    };
    const { version_id: _v, metric: _m, variant: _va, ...set } = row;
    await ex
      .insertInto('model_metrics')
      .values(row)
      .onConflict((oc) => oc.columns(['version_id', 'metric', 'variant']).doUpdateSet(set))
      .execute();
  }
}

/** Folds per-iteration points into last value, min and max with their iterations. */
export async function reportMetricPoints(
  ex: Executor,
  versionId: string,
  points: Array<{ metric: string; variant: string; value: number; iteration: number }>,
) {
  for (const p of points) {
    const cur = await ex
      .selectFrom('model_metrics')
      .selectAll()
      .where('version_id', '=', versionId)
      .where('metric', '=', p.metric)
      .where('variant', '=', p.variant)
      .executeTakeFirst();
    const isLast = !cur || cur.last_iteration === null || p.iteration >= cur.last_iteration;
    const lower = !cur || cur.min_value === null || p.value < cur.min_value;
    const higher = !cur || cur.max_value === null || p.value > cur.max_value;
    await upsertMetrics(ex, versionId, [
      {
        metric: p.metric,
        variant: p.variant,
        value: isLast ? p.value : (cur!.value ?? p.value),
        iteration: isLast ? p.iteration : (cur!.last_iteration ?? undefined),
        min: lower ? p.value : cur!.min_value!,
        minIteration: lower ? p.iteration : (cur!.min_iteration ?? undefined),
        max: higher ? p.value : cur!.max_value!,
        maxIteration: higher ? p.iteration : (cur!.max_iteration ?? undefined),
      },
    ]);
  }
}

/**
 * Inserts a version under the next number of its registered model (created on first use), with
 * its children, in one transaction. Concurrent writers collide on unique keys and retry.
 */
export async function insertVersion(
  db: Db,
  projectId: string,
  row: Omit<VersionRow, 'model_id' | 'version' | 'project_id'>,
  children: Children,
): Promise<VersionRow> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (tx) => {
        const model = await modelFor(tx, projectId, row.name, row.created_at);
        const max = await tx
          .selectFrom('model_versions')
          .select((eb) => eb.fn.max('version').as('max'))
          .where('model_id', '=', model.id)
          .executeTakeFirst();
        const full: VersionRow = {
          ...row,
          model_id: model.id,
          project_id: projectId,
          version: Number(max?.max ?? 0) + 1,
        };
        await tx.insertInto('model_versions').values(full).execute();
        await writeChildren(tx, full.id, children);
        return full;
      });
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= ATTEMPTS) throw e;
    }
  }
}

/** The registered model of that name in the project, created when missing. */
export async function modelFor(
  tx: Executor,
  projectId: string,
  name: string,
  now: string,
): Promise<ModelRow> {
  const found = await tx
    .selectFrom('registered_models')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (found) return found;
  const model = {
    id: newId(),
    project_id: projectId,
    name,
    description: '',
    created_at: now,
    updated_at: now,
  };
  await tx.insertInto('registered_models').values(model).execute();
  return model;
}

export async function writeChildren(tx: Executor, id: string, c: Children) {
  if (c.tags) await replaceTags(tx, id, false, c.tags);
  if (c.systemTags) await replaceTags(tx, id, true, c.systemTags);
  if (c.metadata) await upsertMetadata(tx, id, c.metadata);
  if (c.metrics) await upsertMetrics(tx, id, c.metrics);
}

export async function getRows(ex: Executor, ids: string[]): Promise<VersionRow[]> {
  if (ids.length === 0) return [];
  const rows = await ex.selectFrom('model_versions').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((i) => byId.get(i)).filter((r): r is VersionRow => r !== undefined);
}

const parseJson = <T>(s: string | null, fallback: T): T =>
  s === null || s === '' ? fallback : (JSON.parse(s) as T);

/**
 * Project id → name. Projects are never renamed or re-used, so names are cached for the process
 * (one query per page saved on every search); unknown ids are read and added.
 */
const PROJECT_NAMES = new Map<string, string>();
const PROJECT_CACHE_LIMIT = 10_000;

async function projectNames(ex: Executor, ids: string[]): Promise<Map<string, string>> {
  const missing = ids.filter((id) => !PROJECT_NAMES.has(id));
  if (missing.length > 0) {
    const rows = await ex.selectFrom('projects').select(['id', 'name']).where('id', 'in', missing).execute();
    if (PROJECT_NAMES.size + rows.length > PROJECT_CACHE_LIMIT) PROJECT_NAMES.clear();
    for (const r of rows) PROJECT_NAMES.set(r.id, r.name);
  }
  return PROJECT_NAMES;
}

/** Which child tables a projection needs; everything when undefined. */
export interface ViewNeeds {
  tags?: boolean;
  metadata?: boolean;
  metrics?: boolean;
  aliases?: boolean;
}

/** Rows → views, loading each needed child table once for the whole page. */
export async function toViews(
  ex: Executor,
  rows: VersionRow[],
  needs: ViewNeeds = {},
): Promise<ModelVersionView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const want = (k: keyof ViewNeeds) => needs[k] !== false;
  const [tags, metadata, metrics, aliases, projects] = await Promise.all([
    want('tags')
      ? ex.selectFrom('model_tags').selectAll().where('version_id', 'in', ids).orderBy('position').execute()
      : [],
    want('metadata')
      ? ex.selectFrom('model_metadata').selectAll().where('version_id', 'in', ids).orderBy('key').execute()
      : [],
    want('metrics')
      ? ex
          .selectFrom('model_metrics')
          .selectAll()
          .where('version_id', 'in', ids)
          .orderBy('metric')
          .orderBy('variant')
          .execute()
      : [],
    want('aliases')
      ? ex.selectFrom('model_aliases').selectAll().where('version_id', 'in', ids).orderBy('alias').execute()
      : [],
    projectNames(ex, [...new Set(rows.map((r) => r.project_id))]),
  ]);
  const group = <T extends { version_id: string }>(list: T[]) => {
    const m = new Map<string, T[]>();
    for (const x of list) m.set(x.version_id, [...(m.get(x.version_id) ?? []), x]);
    return m;
  };
  const [tagsBy, metaBy, metricsBy, aliasesBy] = [
    group(tags),
    group(metadata),
    group(metrics),
    group(aliases),
  ];
  const projectName = projects;
  return rows.map((r) => {
    const t = tagsBy.get(r.id) ?? [];
    const systemTags = t.filter((x) => x.system === 1).map((x) => x.tag);
    return {
      id: r.id,
      modelId: r.model_id,
      project: { id: r.project_id, name: projectName.get(r.project_id) ?? '' },
      name: r.name,
      version: r.version,
      aliases: (aliasesBy.get(r.id) ?? []).map((a) => a.alias),
      framework: r.framework,
      comment: r.comment,
      uri: r.uri,
      signature: parseJson(r.signature, null),
      labels: parseJson(r.labels, {}),
      design: parseJson(r.design, null),
      metadata: (metaBy.get(r.id) ?? []).map((m) => ({ key: m.key, type: m.type, value: m.value })),
      metrics: (metricsBy.get(r.id) ?? []).map((m) => ({
        metric: m.metric,
        variant: m.variant,
        metricHash: m.metric_hash,
        variantHash: m.variant_hash,
        value: m.value === null ? null : Number(m.value),
        min: m.min_value === null ? null : Number(m.min_value),
        minIteration: m.min_iteration,
        max: m.max_value === null ? null : Number(m.max_value),
        maxIteration: m.max_iteration,
        lastIteration: m.last_iteration,
      })),
      lastIteration: r.last_iteration,
      tags: t.filter((x) => x.system === 0).map((x) => x.tag),
      systemTags,
      ready: r.ready === 1,
      archived: systemTags.includes('archived'),
      public: r.public === 1,
      lineage: {
        sourceRunId: r.source_run_id,
        datasetVersionId: r.dataset_version_id,
        parentId: r.parent_id,
      },
      artifactVersion: r.artifact_version,
      createdBy: r.created_by,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      lastChangeAt: r.last_change_at,
      lastChangedBy: r.last_changed_by,
    };
  });
}

/** The `references` target kind of a model version. */
export const REF_KIND = 'model_version';
/** Uses of model versions (deployments, runs, WMLA models…) in the shared `references` table. */
export const versionReferences = createReferences(REF_KIND);

/**
 * Deletes versions and every row hanging off them in one transaction; returns the blob keys the
 * caller must remove after commit. Registered models left without versions go too.
 */
export async function deleteVersionRows(tx: Tx, ids: string[]): Promise<{ blobKeys: string[] }> {
  const arts = await tx
    .selectFrom('model_artifacts')
    .select('blob_key')
    .where('version_id', 'in', ids)
    .execute();
  const models = await tx.selectFrom('model_versions').select('model_id').where('id', 'in', ids).execute();
  for (const table of [
    'model_tags',
    'model_metadata',
    'model_metrics',
    'model_aliases',
    'model_artifacts',
  ] as const)
    await tx.deleteFrom(table).where('version_id', 'in', ids).execute();
  await versionReferences.release(tx, ids);
  await tx.deleteFrom('model_versions').where('id', 'in', ids).execute();
  await dropEmptyModels(tx, [...new Set(models.map((m) => m.model_id))]);
  return { blobKeys: arts.map((a) => a.blob_key) };
}

export async function dropEmptyModels(tx: Executor, modelIds: string[]) {
  for (const modelId of modelIds) {
    const left = await tx
      .selectFrom('model_versions')
      .select('id')
      .where('model_id', '=', modelId)
      .executeTakeFirst();
    if (!left) {
      await tx.deleteFrom('model_aliases').where('model_id', '=', modelId).execute();
      await tx.deleteFrom('registered_models').where('id', '=', modelId).execute();
    }
  }
}
