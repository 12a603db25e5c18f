/**
 * The model registry: projects, registered models and their versions (one version = one ClearML
 * model), aliases, publishing, archiving, moving, deletion with in-use protection, search and
 * artifacts. Every surface (native REST, CLI, ClearML, WMLA, O-RAN) calls these functions.
 */
import { sql } from 'kysely';
import { AppError, conflict, invalid } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import { describeReferrers, type Referrer } from '../../infra/db/references.js';
import type { Deps } from '../../deps.js';
import {
  deleteVersionRows,
  ensureProject,
  findProject,
  getRows,
  insertVersion,
  newId,
  projectView,
  versionReferences,
  reportMetricPoints,
  toViews,
  type ProjectRow,
  type VersionRow,
} from './registry.repository.js';
import type { BatchReport, CreateVersionInput, ModelVersionView, ProjectView } from './registry.schemas.js';
import {
  checkLabels,
  checkMetadata,
  checkMetrics,
  checkModelName,
  checkSignature,
  checkTags,
} from './registry-validate.js';
import { createEditOps } from './registry-edit.js';
import { createSearch } from './registry-search.js';
import { createArtifacts } from './registry-artifacts.js';
import { createAliases } from './registry-aliases.js';

export const DEFAULT_PROJECT = 'default';
export { REF_KIND } from './registry.repository.js';

export type RegistryDeps = Pick<Deps, 'db' | 'dialect' | 'blobs' | 'logger'> & {
  config?: { uploadLimitBytes: number };
};

/** Thrown for an unknown version id or reference (ClearML: 400/201 invalid_model_id). */
export const modelNotFound = (ref: string) =>
  new AppError('not_found', `model version '${ref}' was not found`, {
    reason: 'model_not_found',
    details: { id: ref },
  });

export function createRegistryService(deps: RegistryDeps) {
  const { db } = deps;

  async function row(id: string): Promise<VersionRow> {
    const [r] = await getRows(db, [id]);
    if (!r) throw modelNotFound(id);
    return r;
  }

  async function view(r: VersionRow): Promise<ModelVersionView> {
    return (await toViews(db, [r]))[0]!;
  }

  /** Project by id or name; `create` makes a missing name. */
  async function project(ref: { projectId?: string | null; project?: string | null }, create = true) {
    if (ref.projectId) {
      const p = await findProject(db, ref.projectId);
      if (!p)
        throw new AppError('not_found', `project '${ref.projectId}' was not found`, {
          reason: 'project_not_found',
          details: { project: ref.projectId },
        });
      return p;
    }
    const name = (ref.project ?? DEFAULT_PROJECT).trim();
    if (name === '') throw invalid('project name must not be empty', { reason: 'bad_project_name' });
    if (!create) {
      const p = await findProject(db, name);
      if (!p)
        throw new AppError('not_found', `project '${name}' was not found`, { reason: 'project_not_found' });
      return p;
    }
    return ensureProject(db, name);
  }

  /** Creates a version: the next number of the registered model `name` in the project (made on first use). */
  async function create(input: CreateVersionInput, user: string | null): Promise<ModelVersionView> {
    const name = checkModelName(input.name);
    const p = await project(input);
    const now = nowIso();
    const created = input.createdAt ?? now;
    const r = await insertVersion(
      db,
      p.id,
      {
        id: newId(),
        name,
        comment: input.comment ?? '',
        framework: input.framework ?? null,
        uri: input.uri ?? '',
        signature: input.signature ? JSON.stringify(checkSignature(input.signature)) : null,
        labels: JSON.stringify(input.labels ? checkLabels(input.labels) : {}),
        design: input.design === undefined || input.design === null ? null : JSON.stringify(input.design),
        ready: input.ready ? 1 : 0,
        public: input.public ? 1 : 0,
        source_run_id: input.sourceRunId ?? null,
        dataset_version_id: input.datasetVersionId ?? null,
        parent_id: input.parentId ?? null,
        artifact_version: '0.0.0',
        last_iteration: input.lastIteration ?? 0,
        created_by: user,
        created_at: created,
        updated_at: now,
        last_change_at: now,
        last_changed_by: user,
      },
      {
        tags: input.tags ? checkTags(input.tags) : [],
        systemTags: input.systemTags ? checkTags(input.systemTags, 'systemTags') : [],
        metadata: input.metadata ? checkMetadata(input.metadata) : [],
        metrics: input.metrics ? checkMetrics(input.metrics) : [],
      },
    );
    return view(r);
  }

  async function get(id: string): Promise<ModelVersionView> {
    return view(await row(id));
  }

  /** Views of the ids that exist, in the order asked. */
  async function getMany(ids: string[]): Promise<ModelVersionView[]> {
    return toViews(db, await getRows(db, ids));
  }

  /** The newest version created by a run (ClearML `get_by_task_id`). */
  async function getByTaskId(taskId: string): Promise<ModelVersionView> {
    const r = await db
      .selectFrom('model_versions')
      .selectAll()
      .where('source_run_id', '=', taskId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (!r)
      throw new AppError('not_found', `no model version was created by run '${taskId}'`, {
        reason: 'model_not_found',
        details: { task: taskId },
      });
    return view(r);
  }

  /** Batch runner: never fails as a whole; each id lands in succeeded or failed. */
  async function batch<T extends Record<string, unknown>>(
    ids: string[],
    fn: (id: string) => Promise<T>,
  ): Promise<BatchReport<T>> {
    if (!Array.isArray(ids) || ids.length === 0)
      throw invalid('ids must list at least one model version id', { reason: 'batch_empty' });
    const report: BatchReport<T> = { succeeded: [], failed: [] };
    for (const id of [...new Set(ids)]) {
      try {
        report.succeeded.push({ id, ...(await fn(id)) });
      } catch (e) {
        if (!(e instanceof AppError) || e.code === 'internal') throw e;
        report.failed.push({
          id,
          error: { code: e.code, reason: e.reason ?? null, message: e.message, details: e.details },
        });
      }
    }
    return report;
  }

  /**
   * Deletes a version. Refused (409 `model_in_use`) while a deployment, run or other referrer uses
   * it, unless forced. Rows go first in one transaction, then the artifact blobs, so no row ever
   * points at a missing blob; a blob left by a crash between the two is unreferenced garbage only.
   */
  async function remove(id: string, opts: { force?: boolean } = {}) {
    const r = await row(id);
    // Checked in the deleting transaction, so a use recorded meanwhile cannot be dropped unseen.
    const { blobKeys, released } = await db.transaction().execute(async (tx) => {
      const uses = await versionReferences.list(tx, [id]);
      if (uses.length > 0 && !opts.force)
        throw conflict(`model version '${id}' is in use by ${describeReferrers(uses)}`, {
          reason: 'model_in_use',
          details: { referrers: uses.map((u) => ({ kind: u.kind, id: u.id })), count: uses.length },
        });
      return { ...(await deleteVersionRows(tx, [id])), released: uses.length };
    });
    let freedBytes = 0;
    for (const key of blobKeys) {
      freedBytes += (await deps.blobs.stat(key))?.sizeBytes ?? 0;
      await deps.blobs
        .delete(key)
        .catch((e: unknown) => deps.logger.warn({ err: e, key }, 'artifact blob not removed'));
    }
    return { deleted: true as const, uri: r.uri, freedBytes, referrersReleased: released };
  }

  async function listProjects(): Promise<ProjectView[]> {
    const rows = await db.selectFrom('projects').selectAll().orderBy('name').execute();
    return rows.map(projectView);
  }

  /** Frameworks in use (sorted, unique, nulls dropped), in the given projects or everywhere. */
  async function frameworks(projectIds: string[] = []): Promise<string[]> {
    let q = db.selectFrom('model_versions').select('framework').distinct().where('framework', 'is not', null);
    if (projectIds.length) q = q.where('project_id', 'in', projectIds);
    const rows = await q.execute();
    return rows
      .map((r) => r.framework!)
      .filter((f) => f !== '')
      .sort();
  }

  /** Records that something uses a version (blocks delete until removed or forced). */
  async function addReference(versionId: string, referrer: Referrer) {
    await row(versionId);
    await versionReferences.add(db, versionId, referrer);
  }

  async function removeReference(versionId: string, referrer: Referrer) {
    await versionReferences.remove(db, versionId, referrer);
  }

  /** Forgets every version `referrer` used (it ended). */
  async function forgetReferrer(referrer: Referrer) {
    await versionReferences.forget(db, referrer);
  }

  async function referrers(versionId: string): Promise<Referrer[]> {
    return (await versionReferences.list(db, [versionId])).map(({ kind, id }) => ({ kind, id }));
  }

  /** Folds per-iteration metric points into last/min/max per metric and variant. */
  async function reportMetrics(
    id: string,
    points: Array<{ metric: string; variant?: string; value: number; iteration: number }>,
  ): Promise<ModelVersionView> {
    await row(id);
    const checked = checkMetrics(points).map((p, i) => ({
      ...p,
      variant: p.variant,
      iteration: points[i]!.iteration,
    }));
    if (checked.some((p) => !Number.isInteger(p.iteration) || p.iteration < 0))
      throw invalid('every metric point needs an integer iteration ≥ 0', { reason: 'validation_failed' });
    await db.transaction().execute(async (tx) => {
      await reportMetricPoints(tx, id, checked);
      const maxIt = Math.max(...checked.map((p) => p.iteration));
      const now = nowIso();
      await tx
        .updateTable('model_versions')
        .set({
          last_iteration: sql`${sql.raw(deps.dialect === 'sqlite' ? 'max' : 'greatest')}(last_iteration, ${maxIt})`,
          updated_at: now,
          last_change_at: now,
        })
        .where('id', '=', id)
        .execute();
    });
    return get(id);
  }

  const base: RegistryBase = {
    db,
    dialect: deps.dialect,
    blobs: deps.blobs,
    logger: deps.logger,
    row,
    view,
    get,
    project,
    batch,
    modelNotFound,
    uploadLimitBytes: deps.config?.uploadLimitBytes,
  };
  const edits = createEditOps(base);
  const search = createSearch(base);
  const artifacts = createArtifacts(base);
  const aliases = createAliases(base);

  return {
    create,
    get,
    getMany,
    getByTaskId,
    resolve: aliases.resolve,
    ...edits,
    delete: remove,
    deleteMany: (ids: string[], opts: { force?: boolean } = {}) => batch(ids, (id) => remove(id, opts)),
    search: search.search,
    compileSearch: search.compile,
    frameworks,
    listProjects,
    ensureProject: (name: string) => project({ project: name }).then(projectView),
    getProject: (idOrName: string) => project({ projectId: idOrName }).then(projectView),
    addReference,
    removeReference,
    forgetReferrer,
    referrers,
    reportMetrics,
    setAlias: aliases.setAlias,
    deleteAlias: aliases.deleteAlias,
    listAliases: aliases.listAliases,
    onAliasChange: aliases.onAliasChange,
    ...artifacts,
  };
}

/** What every helper of the service receives. */
export type RegistryBase = RegistryDeps & {
  row(id: string): Promise<VersionRow>;
  view(r: VersionRow): Promise<ModelVersionView>;
  get(id: string): Promise<ModelVersionView>;
  project(ref: { projectId?: string | null; project?: string | null }, create?: boolean): Promise<ProjectRow>;
  batch<T extends Record<string, unknown>>(
    ids: string[],
    fn: (id: string) => Promise<T>,
  ): Promise<BatchReport<T>>;
  modelNotFound(ref: string): AppError;
  /** Default cap on one artifact upload. */
  uploadLimitBytes?: number;
};

export type RegistryService = ReturnType<typeof createRegistryService>;
