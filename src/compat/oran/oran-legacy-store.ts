/**
 * The legacy (≤ 2024) O-RAN TM training jobs: rows keyed by (trainingjob_name, integer version)
 * in `oran_legacy_jobs`, each holding the legacy request fields and pointing at the current-API
 * O-RAN job (oran-jobs.ts) and run that trained it. Request parsing, the one-word overall status,
 * and the legacy record dump live here; the routes are in oran-legacy.routes.ts.
 */
import { invalid, notFound } from '../../errors.js';
import { nowIso, type Db } from '../../infra/db/kysely.js';
import type { OranLegacyJobsTable } from '../../infra/db/schema.js';
import type { RunsService } from '../../modules/runs/index.js';

export type LegacyRow = OranLegacyJobsTable;
type Obj = Record<string, unknown>;

export const STEPS = [
  'DATA_EXTRACTION',
  'DATA_EXTRACTION_AND_TRAINING',
  'TRAINING',
  'TRAINING_AND_TRAINED_MODEL',
  'TRAINED_MODEL',
] as const;
export type StepMap = Record<(typeof STEPS)[number], string>;
export const NOT_STARTED_MAP = Object.fromEntries(STEPS.map((s) => [s, 'NOT_STARTED'])) as StepMap;

/** Routes whose path would shadow a job of that name. */
const RESERVED = new Set(['latest', 'retraining', 'metadata']);

/** As the TM: 3 to 63 letters, digits or underscores. */
export function checkName(name: string): void {
  if (!/^\w{3,63}$/.test(name)) throw invalid('The trainingjob_name is not correct');
}

export function parseVersion(v: string): number {
  if (!/^\d{1,9}$/.test(v)) throw invalid(`version '${v}' must be a positive integer`);
  return Number(v);
}

/** The legacy request fields, as stored. */
export interface LegacyRecord {
  description: string;
  featuregroup_name: string;
  pipeline_name: string;
  pipeline_version: string;
  experiment_name: string;
  arguments: Obj;
  query_filter: string;
  enable_versioning: boolean;
  datalake_source: string;
  _measurement: string;
  bucket: string;
  is_mme: boolean;
  model_name: string;
  notification_url: string;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(b: Obj, field: string, required = false): string {
  const v = b[field];
  if (v === undefined || v === null || v === '') {
    if (required) throw invalid(`${field} is required`);
    return '';
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`${field} must be a string`);
  return String(v);
}

function bool(b: Obj, field: string): boolean {
  const v = b[field];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw invalid(`${field} must be a boolean`);
}

/** A create/update body: 400 names the first bad field. */
export function parseLegacyBody(b: Obj): LegacyRecord {
  const args = b.arguments ?? {};
  if (!isObj(args)) throw invalid('arguments must be an object');
  // The TM stored `datalake_source` as `{"InfluxSource": {}}` and rendered its key.
  const ds = b.datalake_source;
  const datalake = isObj(ds) ? (Object.keys(ds)[0] ?? '') : str(b, 'datalake_source');
  const notificationUrl = str(b, 'notification_url');
  if (notificationUrl && !/^https?:\/\//.test(notificationUrl))
    throw invalid(`notification_url '${notificationUrl}' must be http(s)`);
  return {
    description: str(b, 'description'),
    featuregroup_name: str(b, 'featuregroup_name', true),
    pipeline_name: str(b, 'pipeline_name', true),
    pipeline_version: str(b, 'pipeline_version'),
    experiment_name: str(b, 'experiment_name') || 'Default',
    arguments: args,
    query_filter: str(b, 'query_filter'),
    enable_versioning: bool(b, 'enable_versioning'),
    datalake_source: datalake,
    _measurement: str(b, '_measurement'),
    bucket: str(b, 'bucket'),
    is_mme: bool(b, 'is_mme'),
    model_name: str(b, 'model_name'),
    notification_url: notificationUrl,
  };
}

/** The TM's one-word status of a step map. */
export function overallStatus(steps: StepMap): string {
  const s = Object.values(steps);
  if (s.includes('FAILED')) return 'FAILED';
  if (s.every((x) => x === 'NOT_STARTED')) return 'NOT_STARTED';
  if (s.every((x) => x === 'FINISHED')) return 'FINISHED';
  return 'IN_PROGRESS';
}

/** A start claim older than this is taken as abandoned (the server died mid-start). */
const CLAIM_STALE_MS = 60_000;
const isClaim = (runId: string | null) => runId?.startsWith('starting:') ?? false;
export const startable = (r: LegacyRow) =>
  r.run_id === null || (isClaim(r.run_id) && Date.now() - Number(r.run_id.slice(9)) > CLAIM_STALE_MS);

export function createLegacyStore(db: Db, runs: RunsService) {
  async function versions(name: string): Promise<LegacyRow[]> {
    return db
      .selectFrom('oran_legacy_jobs')
      .selectAll()
      .where('name', '=', name)
      .orderBy('version')
      .execute();
  }

  return {
    versions,
    async get(name: string, version: number): Promise<LegacyRow> {
      const r = await db
        .selectFrom('oran_legacy_jobs')
        .selectAll()
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      if (!r) throw notFound('trainingjob version', `${name}/${version}`);
      return r;
    },
    async latest(name: string): Promise<LegacyRow> {
      const r = (await versions(name)).at(-1);
      if (!r) throw notFound('trainingjob', name);
      return r;
    },
    /** Every job's latest version that is not being deleted. */
    async allLatest(): Promise<LegacyRow[]> {
      const rows = await db
        .selectFrom('oran_legacy_jobs')
        .selectAll()
        .where('deletion_in_progress', '=', 0)
        .orderBy('name')
        .orderBy('version')
        .execute();
      const byName = new Map<string, LegacyRow>();
      for (const r of rows) byName.set(r.name, r);
      return [...byName.values()];
    },
    async insert(name: string, version: number, record: LegacyRecord): Promise<void> {
      if (RESERVED.has(name)) throw invalid(`trainingjob_name '${name}' is reserved by a legacy TM route`);
      const now = nowIso();
      await db
        .insertInto('oran_legacy_jobs')
        .values({
          name,
          version,
          record: JSON.stringify(record),
          job_id: null,
          run_id: null,
          deletion_in_progress: 0,
          created_at: now,
          updated_at: now,
        })
        .execute();
    },
    /** Replaces a version's fields and resets it to not started (the TM's edit in place). */
    async overwrite(r: LegacyRow, record: LegacyRecord): Promise<void> {
      await db
        .updateTable('oran_legacy_jobs')
        .set({ record: JSON.stringify(record), job_id: null, run_id: null, updated_at: nowIso() })
        .where('name', '=', r.name)
        .where('version', '=', r.version)
        .execute();
    },
    /** Claims a version for starting; false if another request started it first. */
    async claim(r: LegacyRow): Promise<boolean> {
      const res = await db
        .updateTable('oran_legacy_jobs')
        .set({ run_id: `starting:${Date.now()}`, updated_at: nowIso() })
        .where('name', '=', r.name)
        .where('version', '=', r.version)
        .where((eb) => (r.run_id === null ? eb('run_id', 'is', null) : eb('run_id', '=', r.run_id)))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },
    async setStarted(r: LegacyRow, jobId: number | null, runId: string | null): Promise<void> {
      await db
        .updateTable('oran_legacy_jobs')
        .set({ job_id: jobId, run_id: runId, updated_at: nowIso() })
        .where('name', '=', r.name)
        .where('version', '=', r.version)
        .execute();
    },
    async markDeleting(r: LegacyRow): Promise<void> {
      await db
        .updateTable('oran_legacy_jobs')
        .set({ deletion_in_progress: 1, updated_at: nowIso() })
        .where('name', '=', r.name)
        .where('version', '=', r.version)
        .execute();
    },
    async remove(r: LegacyRow): Promise<void> {
      await db
        .deleteFrom('oran_legacy_jobs')
        .where('name', '=', r.name)
        .where('version', '=', r.version)
        .execute();
    },
    /** The five-step map: all NOT_STARTED until the version's run exists. */
    async steps(r: LegacyRow): Promise<StepMap> {
      if (r.run_id === null || isClaim(r.run_id)) return { ...NOT_STARTED_MAP };
      return (await runs.steps(r.run_id)) as StepMap;
    },
    /** The run's last value of each metric, or the TM's "No data available". */
    async accuracy(r: LegacyRow): Promise<Obj | string> {
      if (r.run_id === null || isClaim(r.run_id)) return 'No data available';
      const points = await runs.metrics(r.run_id).catch(() => []);
      if (points.length === 0) return 'No data available';
      const out: Obj = {};
      for (const p of points) out[p.name] = p.value;
      return out;
    },
  };
}

export type LegacyStore = ReturnType<typeof createLegacyStore>;
