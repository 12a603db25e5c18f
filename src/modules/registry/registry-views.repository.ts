/**
 * Rows to API views: a page of versions with its child tables (tags, metadata, metrics, aliases)
 * and project names loaded once per table. Separate from the writes because it is the read path
 * every search and lookup goes through, with its own process-wide project-name cache.
 */
import type { ModelVersionView, ProjectView } from './registry.schemas.js';
import type { Executor, ProjectRow, VersionRow } from './registry.repository.js';

export function projectView(p: ProjectRow): ProjectView {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
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
