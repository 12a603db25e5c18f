import { randomUUID } from 'node:crypto';
import { invalid, isAppError, notFound } from '../../errors.js';
import { nowIso, type Db } from '../../infra/db/kysely.js';
import type { DatasetsService, DatasetVersionView, SplitInput } from '../datasets/index.js';
import { csvStreamWithRows } from './csv-lines.js';
import { projectCsv } from './dataset-extract.js';
import {
  checkName,
  normalizeInput,
  parseSourceName,
  TOKEN_MASK,
  type FeatureGroupInput,
  type FeatureGroupSpec,
} from './feature-group-input.js';
import { createFeatureGroupsRepository, type FeatureGroupRow } from './feature-groups.repository.js';
import { influxCsvLines } from './influx-extract.js';
import { parseRowFilter } from './row-filter.js';

/** A feature group as every response shows it: the token is never in clear. */
export interface FeatureGroupView extends Omit<FeatureGroupSpec, 'token'> {
  id: string;
  name: string;
  /** `****` when a token is stored, empty otherwise. */
  token: string;
  tokenSet: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ExtractInput {
  /** Dataset source: the row-filter language; InfluxSource: an InfluxQL WHERE condition. */
  queryFilter?: string;
  /** Column to carry as the target; Dataset source default: the source version's target; null: none. */
  target?: string | null;
  /** Dataset to add a version to; default: the feature group's name. */
  datasetName?: string;
  description?: string;
  /** Split of the new version (percentages, seed, stratify); the datasets defaults otherwise. */
  split?: SplitInput;
}

function toView(r: FeatureGroupRow): FeatureGroupView {
  return {
    id: r.id,
    name: r.name,
    featureList: JSON.parse(r.feature_list) as string[],
    datalakeSource: r.datalake_source as FeatureGroupSpec['datalakeSource'],
    host: r.host,
    port: r.port === '' ? null : Number(r.port),
    bucket: r.bucket,
    token: r.token === '' ? '' : TOKEN_MASK,
    tokenSet: r.token !== '',
    dbOrg: r.db_org,
    measurement: r.measurement,
    enableDme: Boolean(r.enable_dme),
    measuredObjClass: r.measured_obj_class,
    dmePort: r.dme_port,
    sourceName: r.source_name,
    description: r.description,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(base: { id: string; name: string; created_at: string }, s: FeatureGroupSpec): FeatureGroupRow {
  return {
    ...base,
    feature_list: JSON.stringify(s.featureList),
    datalake_source: s.datalakeSource,
    host: s.host,
    port: s.port === null ? '' : String(s.port),
    bucket: s.bucket,
    token: s.token,
    db_org: s.dbOrg,
    measurement: s.measurement,
    enable_dme: s.enableDme ? 1 : 0,
    measured_obj_class: s.measuredObjClass,
    dme_port: s.dmePort,
    source_name: s.sourceName,
    description: s.description,
    updated_at: nowIso(),
  };
}

/** Current spec of a stored row, as input for a patch. */
function specOf(r: FeatureGroupRow): FeatureGroupInput {
  const { id: _id, name: _name, createdAt: _c, updatedAt: _u, tokenSet: _t, ...rest } = toView(r);
  return { ...rest, token: undefined };
}

/**
 * Feature groups: named selections of features from a data source (a Modelyard dataset or an
 * InfluxDB measurement), and their extraction into new dataset versions.
 * `enableDme` is stored for O-RAN clients; Modelyard has no DME and creates no DME job.
 */
export function createFeatureGroupsService(deps: { db: Db; datasets: DatasetsService }) {
  const repo = createFeatureGroupsRepository(deps.db);
  const { datasets } = deps;
  const referrer = (name: string) => ({ kind: 'feature_group', id: name });

  async function row(name: string): Promise<FeatureGroupRow> {
    const r = await repo.findByName(name);
    if (!r) throw notFound('feature group', name);
    return r;
  }

  /** The dataset version a Dataset-sourced group reads; a missing one is the caller's 400. */
  async function sourceVersion(sourceName: string): Promise<DatasetVersionView> {
    const ref = parseSourceName(sourceName);
    try {
      return await datasets.getVersion(ref.name, ref.version);
    } catch (e) {
      if (isAppError(e) && e.code === 'not_found')
        throw invalid(`sourceName '${sourceName}' names no dataset version: ${e.message}`, {
          reason: 'source_dataset_not_found',
          errors: [{ field: 'sourceName', message: e.message }],
        });
      throw e;
    }
  }

  function requireColumns(v: DatasetVersionView, wanted: string[], field: string): void {
    const have = new Set(v.columns.map((c) => c.name));
    const missing = [...new Set(wanted)].filter((c) => !have.has(c));
    if (missing.length > 0)
      throw invalid(
        `dataset '${v.name}' version ${v.version} has no column(s) ${missing.map((c) => `'${c}'`).join(', ')}`,
        {
          reason: 'unknown_columns',
          errors: [{ field, message: `unknown column(s): ${missing.join(', ')}` }],
        },
      );
  }

  /** The validated spec, and the dataset version it pins (`name@3`), if any. */
  async function validated(input: FeatureGroupInput, previousToken?: string) {
    const spec = normalizeInput(input, previousToken);
    let pinned: string | null = null;
    if (spec.datalakeSource === 'Dataset') {
      const v = await sourceVersion(spec.sourceName);
      requireColumns(v, spec.featureList, 'featureList');
      if (parseSourceName(spec.sourceName).version !== 'latest') pinned = v.id;
    }
    return { spec, pinned };
  }

  /** Id of the dataset version a stored group pins, so deleting that version answers 409. */
  async function pinnedOf(r: FeatureGroupRow): Promise<string | null> {
    if (r.datalake_source !== 'Dataset') return null;
    const ref = parseSourceName(r.source_name);
    if (ref.version === 'latest') return null;
    try {
      return (await datasets.getVersion(ref.name, ref.version)).id;
    } catch (e) {
      if (isAppError(e) && e.code === 'not_found') return null;
      throw e;
    }
  }

  async function create(input: FeatureGroupInput & { name: string }): Promise<FeatureGroupView> {
    checkName(input.name);
    const { spec, pinned } = await validated(input);
    const r = toRow({ id: randomUUID(), name: input.name, created_at: nowIso() }, spec);
    await repo.insert(r);
    if (pinned) await datasets.addReference(pinned, referrer(r.name));
    return toView(r);
  }

  async function get(name: string): Promise<FeatureGroupView> {
    return toView(await row(name));
  }

  async function list(q: { offset?: number; limit?: number; name?: string } = {}) {
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 100;
    const { rows, total } = await repo.list({ offset, limit, nameContains: q.name });
    return { items: rows.map(toView), total, offset, limit };
  }

  /** Replaces the definition (PUT); an omitted or masked token keeps the stored one. */
  async function replace(name: string, input: FeatureGroupInput): Promise<FeatureGroupView> {
    const old = await row(name);
    const { spec, pinned } = await validated(input, old.token);
    const before = await pinnedOf(old);
    const r = toRow(old, spec);
    if (!(await repo.update(r))) throw notFound('feature group', name);
    if (pinned !== before) {
      if (pinned) await datasets.addReference(pinned, referrer(name));
      if (before) await datasets.removeReference(before, referrer(name));
    }
    return toView(r);
  }

  /** Changes the given fields only (PATCH); the result is validated whole. */
  async function patch(name: string, changes: Partial<FeatureGroupInput>): Promise<FeatureGroupView> {
    const old = await row(name);
    const merged = { ...specOf(old), ...stripUndefined(changes) };
    return replace(name, merged);
  }

  async function remove(name: string): Promise<void> {
    const before = await pinnedOf(await row(name));
    if (!(await repo.deleteByName(name))) throw notFound('feature group', name);
    if (before) await datasets.removeReference(before, referrer(name));
  }

  /** Deletes each named group; reports which were deleted and why the others were not. */
  async function removeMany(names: string[]) {
    const deleted: string[] = [];
    const failed: Array<{ name: string; reason: string }> = [];
    for (const name of names) {
      try {
        await remove(name);
        deleted.push(name);
      } catch (e) {
        if (!isAppError(e)) throw e;
        failed.push({ name, reason: e.message });
      }
    }
    return { deleted, failed };
  }

  /**
   * Materialises the group's features (plus the target) as a new version of a dataset and
   * returns that version. Rows stream from the source to the dataset store.
   */
  async function extract(name: string, input: ExtractInput = {}, createdBy?: string) {
    const stored = await row(name);
    const fg = toView(stored);
    const datasetName = input.datasetName ?? fg.name;
    let lines: AsyncGenerator<string>;
    let target: string | undefined;
    if (fg.datalakeSource === 'Dataset') {
      const v = await sourceVersion(fg.sourceName);
      target = input.target === null ? undefined : (input.target ?? v.target ?? undefined);
      const filter = input.queryFilter?.trim() ? parseRowFilter(input.queryFilter) : null;
      requireColumns(v, fg.featureList, 'featureList');
      if (target) requireColumns(v, [target], 'target');
      if (filter) requireColumns(v, filter.columns, 'queryFilter');
      const columns =
        target && !fg.featureList.includes(target) ? [...fg.featureList, target] : fg.featureList;
      lines = projectCsv(await datasets.openVersionData(v), columns, filter);
    } else {
      target = input.target ?? undefined;
      const columns =
        target && !fg.featureList.includes(target) ? [...fg.featureList, target] : fg.featureList;
      const conn = { host: fg.host, port: fg.port!, database: fg.bucket, token: stored.token };
      lines = influxCsvLines(conn, fg.measurement, columns, input.queryFilter);
    }
    const body = await csvStreamWithRows(
      lines,
      `feature group '${fg.name}' selected no rows${input.queryFilter ? ' with this queryFilter' : ''}; nothing was extracted`,
    );
    try {
      return await datasets.createVersionFromStream({
        name: datasetName,
        body,
        ...(target ? { target } : {}),
        source: 'feature_group',
        description: input.description ?? `extracted from feature group ${fg.name}`,
        ...(createdBy ? { createdBy } : {}),
        ...(input.split ? { split: input.split } : {}),
      });
    } finally {
      body.destroy();
    }
  }

  return { create, get, list, replace, patch, remove, removeMany, extract };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type FeatureGroupsService = ReturnType<typeof createFeatureGroupsService>;
