/**
 * Getting data in: a byte stream goes to the blob store while the profiler reads the same chunks
 * (one pass, bounded memory), or a server-side file is read in place. Nothing here writes rows.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, invalid } from '../../errors.js';
import type { BlobStore } from '../../infra/blobs/blob-store.js';
import { createCsvProfiler, type ColumnProfile, type CsvProfile } from './csv-profile.js';
import { listZipImages, type ZipSource } from './images.js';

/** What ingesting one file yields, whatever its format and source. */
export interface Ingested {
  sizeBytes: number;
  sha256: string;
  profile: CsvProfile;
  warnings: string[];
}

/**
 * Pipes `body` through a tap that hands every chunk to `onChunk` (which may throw to reject the
 * data). The request itself is never destroyed by a failure, so the server can still answer;
 * `drain` discards what the client is still sending. `failure()` is the first error seen: the
 * tap may fail before its consumer has attached, and the consumer may then only see a premature close.
 */
export function tapStream(
  body: Readable,
  onChunk: (chunk: Buffer) => void,
): { stream: Readable; failure(): unknown } {
  let failure: unknown;
  const tap = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      try {
        onChunk(chunk);
        cb(null, chunk);
      } catch (e) {
        failure ??= e;
        cb(e as Error);
      }
    },
  });
  tap.on('error', (e) => (failure ??= e));
  body.on('error', (e) => tap.destroy(e));
  body.on('close', () => {
    if (!body.readableEnded)
      tap.destroy(
        new AppError('invalid', 'the upload was aborted before it ended', { reason: 'upload_aborted' }),
      );
  });
  body.pipe(tap);
  return { stream: tap, failure: () => failure };
}

/** blobs.put through a tap, failing with the tap's own error when it has one. */
async function putTapped(
  blobs: BlobStore,
  key: string,
  body: Readable,
  onChunk: (chunk: Buffer) => void,
  options: { contentType: string; maxBytes: number },
) {
  const tap = tapStream(body, onChunk);
  try {
    return await blobs.put(key, tap.stream, options);
  } catch (e) {
    throw tap.failure() ?? e;
  }
}

/** Lets an unfinished request body flow to nowhere so the error response can still be read. */
export function drain(body: Readable): void {
  if (!body.readableEnded && !body.destroyed) {
    body.unpipe();
    body.resume();
  }
}

/** Uploads a CSV stream to `key` while profiling it. Leaves no blob behind on failure. */
export async function ingestCsvStream(
  blobs: BlobStore,
  key: string,
  body: Readable,
  opts: { target: string | null; maxBytes: number },
): Promise<Ingested> {
  const profiler = createCsvProfiler({ target: opts.target });
  const info = await putTapped(blobs, key, body, (c) => profiler.push(c), {
    contentType: 'text/csv',
    maxBytes: opts.maxBytes,
  });
  try {
    return { sizeBytes: info.sizeBytes, sha256: info.sha256, profile: profiler.finish(), warnings: [] };
  } catch (e) {
    await blobs.delete(key);
    throw e;
  }
}

/** Uploads a zip stream to `key`, then reads its directory. Leaves no blob behind on failure. */
export async function ingestZipStream(
  blobs: BlobStore,
  key: string,
  body: Readable,
  opts: { maxBytes: number },
): Promise<Ingested> {
  const info = await putTapped(blobs, key, body, () => {}, {
    contentType: 'application/zip',
    maxBytes: opts.maxBytes,
  });
  try {
    const source: ZipSource = {
      sizeBytes: info.sizeBytes,
      read: (start, end) => blobs.get(key, { start, endInclusive: end - 1 }),
    };
    return { sizeBytes: info.sizeBytes, sha256: info.sha256, ...(await profileZip(source)) };
  } catch (e) {
    await blobs.delete(key);
    throw e;
  }
}

/** Checks a server-side path: absolute, existing, a regular file. */
export async function checkServerPath(path: string): Promise<{ sizeBytes: number }> {
  const bad = (message: string) =>
    invalid(`path ${message}`, { reason: 'invalid_path', errors: [{ field: 'path', message }] });
  if (!isAbsolute(path)) throw bad('must be absolute');
  let s;
  try {
    s = await stat(path);
  } catch {
    throw bad(`'${path}' does not exist or cannot be read by the server`);
  }
  if (!s.isFile()) throw bad(`'${path}' is not a regular file`);
  return { sizeBytes: s.size };
}

/** Reads a server-side file in place: hash and profile in one pass (CSV) or directory (zip). */
export async function ingestPath(
  path: string,
  format: 'csv' | 'zip',
  opts: { target: string | null },
): Promise<Ingested> {
  await checkServerPath(path);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const profiler = format === 'csv' ? createCsvProfiler({ target: opts.target }) : null;
  await pipeline(
    createReadStream(path, { highWaterMark: 1 << 20 }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        profiler?.push(chunk);
      }
    },
  );
  const sha256 = hash.digest('hex');
  if (profiler) return { sizeBytes, sha256, profile: profiler.finish(), warnings: [] };
  const source: ZipSource = {
    sizeBytes,
    read: async (start, end) => createReadStream(path, { start, end: end - 1 }),
  };
  return { sizeBytes, sha256, ...(await profileZip(source)) };
}

/** Image zip → the profile of its (path, label) table; target `label`, always classification. */
async function profileZip(source: ZipSource): Promise<{ profile: CsvProfile; warnings: string[] }> {
  const zip = await listZipImages(source);
  const labels = Object.keys(zip.labelCounts).sort();
  const codeOf = new Map(labels.map((l, i) => [l, i]));
  const targetCodes = new Uint16Array(zip.items.length);
  zip.items.forEach((it, i) => (targetCodes[i] = codeOf.get(it.label)!));
  const none = { min: null, max: null, mean: null, std: null };
  const columns: ColumnProfile[] = [
    { name: 'path', type: 'text', missing: 0, distinct: null, ...none, topValues: null },
    {
      name: 'label',
      type: 'category',
      missing: 0,
      distinct: labels.length,
      ...none,
      topValues: Object.entries(zip.labelCounts)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20)
        .map(([value, count]) => ({ value, count })),
    },
  ];
  return {
    profile: {
      columns,
      rowCount: zip.items.length,
      target: 'label',
      task: labels.length === 2 ? 'binary' : 'multiclass',
      labelCounts: zip.labelCounts,
      targetCodes,
    },
    warnings:
      zip.ignored > 0 ? [`${zip.ignored} zip entries are not images in a class folder and were ignored`] : [],
  };
}
