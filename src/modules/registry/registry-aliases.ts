/**
 * Aliases (`production`, `staging`, …) point at one version of a registered model and move when
 * set again. References: a version id, `name/3`, `name/latest`, `name@alias`, each optionally
 * prefixed by `project/`.
 */
import { AppError, invalid } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import type { ModelRow, VersionRow } from './registry.repository.js';
import type { ModelVersionView } from './registry.schemas.js';
import type { RegistryBase } from './registry.service.js';
import { checkAlias } from './registry-validate.js';

const ID = /^[0-9a-f]{32}$/;

/** An alias was set, moved or deleted by this process (`versionId` null when deleted). */
export interface AliasChange {
  modelId: string;
  alias: string;
  versionId: string | null;
}

export function createAliases(base: RegistryBase) {
  const { db } = base;
  const listeners = new Set<(change: AliasChange) => void>();

  /** Tells in-process listeners (deployments following an alias) at once; a listener never fails the write. */
  function emit(change: AliasChange) {
    for (const fn of listeners) {
      try {
        fn(change);
      } catch (e) {
        base.logger.warn({ err: e }, 'alias listener failed');
      }
    }
  }

  /** Subscribes to alias changes made through this process; returns the unsubscribe function. */
  function onAliasChange(fn: (change: AliasChange) => void): () => void {
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }

  /** The registered model named `ref` (or `project/name`); ambiguous names across projects are refused. */
  async function findModel(ref: string, project?: string): Promise<ModelRow | undefined> {
    const byName = async (name: string, projectName?: string) => {
      let q = db.selectFrom('registered_models as m').selectAll('m').where('m.name', '=', name);
      if (projectName !== undefined)
        q = q.where(
          'm.project_id',
          'in',
          db
            .selectFrom('projects')
            .select('id')
            .where((eb) => eb.or([eb('name', '=', projectName), eb('id', '=', projectName)])),
        );
      return q.limit(2).execute();
    };
    let found = await byName(ref, project);
    const slash = ref.indexOf('/');
    if (found.length === 0 && project === undefined && slash > 0)
      found = await byName(ref.slice(slash + 1), ref.slice(0, slash));
    if (found.length > 1)
      throw invalid(`model name '${ref}' exists in several projects; prefix it with the project name`, {
        reason: 'ambiguous_model_name',
      });
    return found[0];
  }

  async function versionOf(model: ModelRow, version: number | 'latest'): Promise<VersionRow | undefined> {
    let q = db.selectFrom('model_versions').selectAll().where('model_id', '=', model.id);
    q = version === 'latest' ? q.orderBy('version', 'desc') : q.where('version', '=', version);
    return q.limit(1).executeTakeFirst();
  }

  async function resolveRow(ref: string, project?: string): Promise<VersionRow> {
    if (ID.test(ref)) {
      const r = await db.selectFrom('model_versions').selectAll().where('id', '=', ref).executeTakeFirst();
      if (r) return r;
    }
    const at = ref.lastIndexOf('@');
    if (at > 0) {
      const model = await findModel(ref.slice(0, at), project);
      const alias = ref.slice(at + 1);
      const a = model
        ? await db
            .selectFrom('model_aliases')
            .select('version_id')
            .where('model_id', '=', model.id)
            .where('alias', '=', alias)
            .executeTakeFirst()
        : undefined;
      if (a) return base.row(a.version_id);
    }
    const m = /^(.*)\/(\d+|latest)$/.exec(ref);
    if (m) {
      const model = await findModel(m[1]!, project);
      const v = model ? await versionOf(model, m[2] === 'latest' ? 'latest' : Number(m[2])) : undefined;
      if (v) return v;
    }
    throw base.modelNotFound(ref);
  }

  /** Finds a version by id, `name/3`, `name/latest`, `name@alias` (optionally `project/…`). */
  async function resolve(ref: string, opts: { project?: string } = {}): Promise<ModelVersionView> {
    return base.view(await resolveRow(ref, opts.project));
  }

  /** Points `alias` of the version's registered model at the version (moving it if set). */
  async function setAlias(
    versionRef: string,
    alias: string,
    opts: { project?: string } = {},
  ): Promise<ModelVersionView> {
    const name = checkAlias(alias);
    const r = await resolveRow(versionRef, opts.project);
    const now = nowIso();
    await db
      .insertInto('model_aliases')
      .values({ model_id: r.model_id, alias: name, version_id: r.id, updated_at: now })
      .onConflict((oc) =>
        oc.columns(['model_id', 'alias']).doUpdateSet({ version_id: r.id, updated_at: now }),
      )
      .execute();
    emit({ modelId: r.model_id, alias: name, versionId: r.id });
    return base.view(r);
  }

  async function deleteAlias(
    modelRef: string,
    alias: string,
    opts: { project?: string } = {},
  ): Promise<void> {
    const model = await findModel(modelRef, opts.project);
    const res = model
      ? await db
          .deleteFrom('model_aliases')
          .where('model_id', '=', model.id)
          .where('alias', '=', alias)
          .executeTakeFirst()
      : undefined;
    if (!res || Number(res.numDeletedRows) === 0)
      throw new AppError('not_found', `alias '${alias}' of model '${modelRef}' was not found`, {
        reason: 'alias_not_found',
      });
    emit({ modelId: model!.id, alias, versionId: null });
  }

  async function listAliases(modelRef: string, opts: { project?: string } = {}) {
    const model = await findModel(modelRef, opts.project);
    if (!model)
      throw new AppError('not_found', `model '${modelRef}' was not found`, { reason: 'model_not_found' });
    const rows = await db
      .selectFrom('model_aliases as a')
      .innerJoin('model_versions as v', 'v.id', 'a.version_id')
      .select(['a.alias', 'a.version_id', 'v.version', 'a.updated_at'])
      .where('a.model_id', '=', model.id)
      .orderBy('a.alias')
      .execute();
    return rows.map((r) => ({
      alias: r.alias,
      versionId: r.version_id,
      version: r.version,
      updatedAt: r.updated_at,
    }));
  }

  return { resolve, setAlias, deleteAlias, listAliases, findModel, onAliasChange };
}
