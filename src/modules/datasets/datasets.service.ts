/**
 * Datasets: named, immutably versioned tables (CSV) or image-classification zips, each version
 * with its profile and a stored train/validation/test split.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Deps } from '../../deps.js';
import { AppError, invalid, notFound, type FieldError } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import {
  createDatasetsRepository,
  toDatasetView,
  toVersionView,
  type Referrer,
  type VersionRow,
} from './datasets.repository.js';
import { NAME_RULE, TAG_RULE, type DatasetVersionView, type DatasetView } from './datasets.schemas.js';
import type { ZipSource } from './images.js';
import { drain, ingestCsvStream, ingestPath, ingestZipStream, type Ingested } from './ingest.js';
import { previewCsv, previewZip, splitCsvStream, splitZipCsv, type SplitFilter } from './reader.js';
import {
  assignSplits,
  contiguousSplits,
  parseSplitSpec,
  type SplitCounts,
  type SplitInput,
  type SplitName,
} from './splits.js';

export type { DatasetVersionView, DatasetView } from './datasets.schemas.js';

/** Input of createVersionFromStream: a CSV (or image zip) stream that becomes the next version. */
export interface CreateVersionInput {
  name: string;
  body: Readable;
  /** Default csv. */
  format?: 'csv' | 'zip';
  target?: string | null;
  split?: SplitInput;
  /**
   * Instead of `split`: the rows are already in split order (separate split files concatenated),
   * these many train rows first, then validation, then test.
   */
  splitRows?: SplitCounts;
  /** Where the data came from: `upload`, `feature_group`, … */
  source: string;
  description?: string;
  tags?: string[];
  createdBy?: string | null;
}

export interface RegisterPathInput extends Omit<CreateVersionInput, 'body' | 'source' | 'format'> {
  path: string;
}

const nameRe = new RegExp(NAME_RULE);
const tagRe = new RegExp(TAG_RULE);

/** 400 unless the name matches the dataset name rule. */
export function checkName(name: string): void {
  if (!nameRe.test(name)) {
    throw invalid(
      `name '${name}' is invalid: use 1 to 128 letters, digits, '_', '.', '-', starting with a letter or digit`,
      {
        reason: 'invalid_name',
        errors: [{ field: 'name', message: `must match ${NAME_RULE}` }],
      },
    );
  }
}

function checkTags(tags: string[], field: string): string[] {
  const errors: FieldError[] = tags
    .filter((t) => !tagRe.test(t))
    .map((t) => ({ field, message: `tag '${t}' must match ${TAG_RULE}` }));
  if (errors.length > 0) throw invalid(errors[0]!.message, { reason: 'invalid_tag', errors });
  return tags;
}

const formatOfPath = (p: string): 'csv' | 'zip' => (/\.zip$/i.test(p) ? 'zip' : 'csv');

export function createDatasetsService(deps: Deps) {
  const { blobs, logger } = deps;
  const repo = createDatasetsRepository(deps.db);
  const maxBytes = deps.config.uploadLimitBytes;

  async function datasetRow(name: string) {
    const ds = await repo.findByName(name);
    if (!ds) throw notFound('dataset', name);
    return ds;
  }

  async function versionRow(name: string, version: number | 'latest'): Promise<VersionRow> {
    const ds = await datasetRow(name);
    const v = await repo.getVersion(ds.id, version);
    if (!v) throw notFound('dataset version', `${name}@${version}`);
    return v;
  }

  /**
   * Stores the data, profiles it, assigns splits, then writes the version rows in one
   * transaction. On any failure the blobs written so far are deleted: nothing is half-stored.
   */
  async function store(
    input: Omit<CreateVersionInput, 'body'>,
    ingest: (keys: { data: string }) => Promise<Ingested>,
    where: { blobKey: boolean; sourcePath: string | null },
  ): Promise<DatasetVersionView> {
    checkName(input.name);
    const tags = checkTags(input.tags ?? [], 'tags');
    const format = input.format ?? 'csv';
    const spec = parseSplitSpec(input.split ?? {}, { stratify: format === 'zip' });
    const existing = await repo.findByName(input.name);
    const kind = format === 'zip' ? 'images' : 'tabular';
    if (existing && existing.kind !== kind) {
      throw new AppError('conflict', `dataset '${input.name}' holds ${existing.kind} data, not ${kind}`, {
        reason: 'dataset_kind_mismatch',
      });
    }
    const versionId = randomUUID();
    const datasetId = existing?.id ?? randomUUID();
    const prefix = `datasets/${datasetId}/${versionId}/`;
    const keys = { data: `${prefix}data.${format}`, split: `${prefix}split.bin` };
    const ingested = await ingest(keys);
    try {
      const p = ingested.profile;
      const explicit = input.splitRows ? contiguousSplits(p.rowCount, input.splitRows) : null;
      const { assignment, counts } =
        explicit ?? assignSplits(p.rowCount, spec, spec.stratified ? p.targetCodes : null);
      await blobs.put(keys.split, assignment);
      const { dataset, version } = await repo.insertVersion(
        { name: input.name, kind, description: input.description, tags, newId: datasetId },
        {
          id: versionId,
          source: input.source,
          blob_key: where.blobKey ? keys.data : null,
          source_path: where.sourcePath,
          format,
          size_bytes: ingested.sizeBytes,
          sha256: ingested.sha256,
          row_count: p.rowCount,
          columns: JSON.stringify(p.columns),
          target: p.target,
          task: p.task,
          label_counts: p.labelCounts ? JSON.stringify(p.labelCounts) : null,
          split_spec: JSON.stringify(explicit?.spec ?? spec),
          split_counts: JSON.stringify(counts),
          split_blob_key: keys.split,
          warnings: JSON.stringify(ingested.warnings),
          created_at: nowIso(),
          created_by: input.createdBy ?? null,
        },
      );
      logger.info(
        { dataset: dataset.name, version: version.version, rows: p.rowCount },
        'dataset version stored',
      );
      return toVersionView(version, dataset.name);
    } catch (e) {
      await Promise.all([keys.split, ...(where.blobKey ? [keys.data] : [])].map((k) => blobs.delete(k)));
      throw e;
    }
  }

  /** Streams a CSV (or image zip) into the next version of `name`. The stream is consumed either way. */
  async function createVersionFromStream(input: CreateVersionInput): Promise<DatasetVersionView> {
    const { body, ...rest } = input;
    try {
      return await store(
        rest,
        (keys) =>
          (input.format ?? 'csv') === 'zip'
            ? ingestZipStream(blobs, keys.data, body, { maxBytes })
            : ingestCsvStream(blobs, keys.data, body, { target: input.target ?? null, maxBytes }),
        { blobKey: true, sourcePath: null },
      );
    } catch (e) {
      drain(body);
      throw e;
    }
  }

  /** Registers a file already on the server; it is read where it is, never copied. */
  async function registerPath(input: RegisterPathInput): Promise<DatasetVersionView> {
    const format = formatOfPath(input.path);
    return store(
      { ...input, source: 'path', format },
      () => ingestPath(input.path, format, { target: input.target ?? null }),
      { blobKey: false, sourcePath: input.path },
    );
  }

  async function list(q: { name?: string; tag?: string; offset: number; limit: number }) {
    const { rows, total } = await repo.list(q);
    const stats = await repo.versionStats(rows.map((r) => r.id));
    return {
      items: rows.map((r) => toDatasetView(r, stats.get(r.id))),
      total,
      offset: q.offset,
      limit: q.limit,
    };
  }

  async function get(name: string): Promise<DatasetView & { latest: DatasetVersionView | null }> {
    const ds = await datasetRow(name);
    const stats = await repo.versionStats([ds.id]);
    const latest = await repo.getVersion(ds.id, 'latest');
    return { ...toDatasetView(ds, stats.get(ds.id)), latest: latest ? toVersionView(latest, ds.name) : null };
  }

  async function listVersions(name: string): Promise<DatasetVersionView[]> {
    const ds = await datasetRow(name);
    return (await repo.listVersions(ds.id)).map((v) => toVersionView(v, ds.name));
  }

  /** One version by number or `latest`; throws not_found. */
  async function getVersion(name: string, version: number | 'latest'): Promise<DatasetVersionView> {
    return toVersionView(await versionRow(name, version), name);
  }

  async function update(
    name: string,
    patch: { description?: string; addTags?: string[]; removeTags?: string[] },
  ): Promise<DatasetView> {
    const ds = await datasetRow(name);
    const remove = new Set(checkTags(patch.removeTags ?? [], 'removeTags'));
    const tags = new Set((JSON.parse(ds.tags) as string[]).filter((t) => !remove.has(t)));
    for (const t of checkTags(patch.addTags ?? [], 'addTags')) tags.add(t);
    await repo.update(ds.id, { description: patch.description ?? ds.description, tags: [...tags].sort() });
    return toDatasetView((await repo.findByName(name))!, (await repo.versionStats([ds.id])).get(ds.id));
  }

  async function rowOf(v: DatasetVersionView): Promise<VersionRow> {
    const row = await repo.getVersionById(v.id);
    if (!row) throw notFound('dataset version', `${v.name}@${v.version}`);
    return row;
  }

  async function openRow(
    row: VersionRow,
    range?: { start: number; endInclusive: number },
  ): Promise<Readable> {
    if (row.blob_key !== null) return blobs.get(row.blob_key, range);
    const path = row.source_path!;
    const s = await stat(path).catch(() => null);
    if (!s || s.size !== Number(row.size_bytes)) {
      throw new AppError(
        'precondition_failed',
        `the registered file '${path}' is missing or changed since it was registered`,
        {
          reason: 'source_changed',
        },
      );
    }
    return createReadStream(path, range ? { start: range.start, end: range.endInclusive } : undefined);
  }

  const zipSource = (row: VersionRow): ZipSource => ({
    sizeBytes: Number(row.size_bytes),
    read: (start, end) => openRow(row, { start, endInclusive: end - 1 }),
  });

  /** The version's data as stored (CSV, or the zip for image datasets). */
  async function openVersionData(v: DatasetVersionView): Promise<Readable> {
    return openRow(await rowOf(v));
  }

  /** One byte a row: 0 train, 1 validation, 2 test (rows in file order; images in path order). */
  async function readSplitAssignment(v: DatasetVersionView): Promise<Uint8Array> {
    return new Uint8Array(await blobs.getBuffer((await rowOf(v)).split_blob_key));
  }

  async function rows(
    name: string,
    version: number | 'latest',
    q: { split: SplitFilter; start: number; length: number },
  ) {
    const v = await getVersion(name, version);
    const row = await rowOf(v);
    const assignment = await readSplitAssignment(v);
    const total = q.split === 'all' ? v.rowCount : v.splitCounts[q.split];
    const page =
      v.format === 'zip'
        ? await previewZip(zipSource(row), assignment, q)
        : await previewCsv(await openRow(row), assignment, q);
    return { ...page, start: q.start, length: page.rows.length, total };
  }

  /** The download body: the stored file, or one split's rows as CSV. */
  async function download(name: string, version: number | 'latest', split?: SplitName) {
    const v = await getVersion(name, version);
    const row = await rowOf(v);
    const base = `${v.name}-v${v.version}`;
    if (!split) {
      return {
        stream: await openRow(row),
        contentType: v.format === 'zip' ? 'application/zip' : 'text/csv; charset=utf-8',
        fileName: `${base}.${v.format}`,
        sizeBytes: v.sizeBytes,
      };
    }
    const assignment = await readSplitAssignment(v);
    const stream =
      v.format === 'zip'
        ? await splitZipCsv(zipSource(row), assignment, split)
        : splitCsvStream(await openRow(row), assignment, split);
    return {
      stream,
      contentType: 'text/csv; charset=utf-8',
      fileName: `${base}-${split}.csv`,
      sizeBytes: null,
    };
  }

  /** Blobs go after the rows are gone, so a row never points at a missing blob. */
  async function removeBlobs(keys: string[]): Promise<void> {
    for (const k of keys) {
      try {
        await blobs.delete(k);
      } catch (e) {
        logger.warn({ err: e, key: k }, 'could not delete a dataset blob; it is orphaned');
      }
    }
  }

  const keysOf = (r: VersionRow) => [r.split_blob_key, ...(r.blob_key ? [r.blob_key] : [])];

  async function deleteVersion(name: string, version: number | 'latest'): Promise<void> {
    const row = await versionRow(name, version);
    await repo.deleteVersions([row.id]);
    await removeBlobs(keysOf(row));
  }

  async function deleteDataset(name: string): Promise<void> {
    const ds = await datasetRow(name);
    const versions = await repo.listVersions(ds.id);
    await repo.deleteVersions(
      versions.map((v) => v.id),
      ds.id,
    );
    await removeBlobs(versions.flatMap(keysOf));
    // Versions written while another upload created the dataset may sit under another prefix.
    await blobs
      .deletePrefix(`datasets/${ds.id}/`)
      .catch((e: unknown) => logger.warn({ err: e }, 'blob cleanup failed'));
  }

  return {
    createVersionFromStream,
    registerPath,
    list,
    get,
    listVersions,
    getVersion,
    update,
    rows,
    download,
    openVersionData,
    readSplitAssignment,
    deleteVersion,
    deleteDataset,
    /** Records that `referrer` uses a dataset version; deleting the version then answers 409. */
    addReference: (versionId: string, referrer: Referrer) => repo.addReference(versionId, referrer),
    removeReference: (versionId: string, referrer: Referrer) => repo.removeReference(versionId, referrer),
    /** What references a dataset version (kind and id of each referrer). */
    referrersOf: async (versionId: string): Promise<Referrer[]> =>
      (await repo.referrersOf([versionId])).map(({ kind, id }) => ({ kind, id })),
  };
}

export type DatasetsService = ReturnType<typeof createDatasetsService>;
