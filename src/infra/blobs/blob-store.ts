import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { AppError } from '../../errors.js';

/** What a completed write reports. */
export interface BlobInfo {
  key: string;
  sizeBytes: number;
  /** Hex sha256 of the stored bytes. */
  sha256: string;
}

export interface BlobPutOptions {
  contentType?: string;
  /** Abort the write (and leave nothing behind) once this many bytes have been read. */
  maxBytes?: number;
}

/**
 * Where artifacts and data files live. Keys are `/`-separated relative paths
 * (`datasets/<id>/v1/data.csv`). A put is atomic: readers see the whole object or nothing,
 * and a failed or aborted put leaves no object behind.
 */
export interface BlobStore {
  /** Stores the body under key, replacing what was there, and returns its size and sha256. */
  put(key: string, body: Readable | Uint8Array | string, options?: BlobPutOptions): Promise<BlobInfo>;
  /**
   * Streams an object, or the bytes start..endInclusive of it (an end past the object is clamped;
   * a start past it, or an end before the start, reads empty); not_found when it does not exist.
   */
  get(key: string, range?: { start: number; endInclusive?: number }): Promise<Readable>;
  /** Reads an object whole; for small objects only. */
  getBuffer(key: string): Promise<Buffer>;
  /** Size of an object, or null when it does not exist. */
  stat(key: string): Promise<{ sizeBytes: number } | null>;
  /** Removes an object; succeeds when it is already gone. */
  delete(key: string): Promise<void>;
  /** Removes every object whose key starts with prefix (a plain string prefix); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Lists objects whose key starts with prefix, in key (byte) order. The prefix is a plain string
   * prefix as in S3: `a/b` matches `a/b/1` and `a/bc/2`; `a/b/` matches only the first.
   */
  list(prefix: string): Promise<Array<{ key: string; sizeBytes: number }>>;
  /**
   * Removes what puts interrupted by a crash left behind (a killed process never cleans up after
   * itself): temp files of the local store, unfinished multipart uploads in S3, provided nothing
   * was written to them since `idleSince` (so a slow put still running elsewhere is left alone).
   * Stored objects are never touched. Returns how many it removed.
   */
  removeAbandonedWrites(idleSince: Date): Promise<number>;
  /** Short description for logs and /readyz, e.g. `local:/var/lib/modelyard/blobs`. */
  describe(): string;
  /** Readiness probe. */
  ping(): Promise<void>;
}

const KEY_RULE = /^[A-Za-z0-9._\-@=+][A-Za-z0-9._\-@=+/]*$/;

/** Rejects keys that could escape a directory or clash with temp files. */
export function assertValidKey(key: string): void {
  if (
    !KEY_RULE.test(key) ||
    key.split('/').some((p) => p === '' || p === '.' || p === '..') ||
    key.includes('.tmp-')
  ) {
    throw new AppError('invalid', `invalid blob key '${key}'`, { reason: 'invalid_blob_key' });
  }
}

/**
 * Rejects list/delete prefixes that no valid key could start with (`../`, `/abs`, `a//`), so a
 * prefix can never reach outside the store. The empty prefix means everything.
 */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  try {
    assertValidKey(`${prefix}x`);
  } catch {
    throw new AppError('invalid', `invalid blob prefix '${prefix}'`, { reason: 'invalid_blob_key' });
  }
}

export function blobNotFound(key: string): AppError {
  return new AppError('not_found', `blob '${key}' was not found`, { reason: 'blob_not_found' });
}

export function blobTooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `upload exceeds the limit of ${maxBytes} bytes`, {
    reason: 'upload_too_large',
  });
}

/**
 * A pass-through that counts and hashes what a put stores, failing with `upload_too_large` once
 * more than `maxBytes` went through; `info()` gives size and sha256 after the stream ended.
 */
export function createPutMeter(maxBytes: number | undefined): {
  meter: Transform;
  info(): { sizeBytes: number; sha256: string };
} {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sizeBytes += chunk.length;
      if (maxBytes !== undefined && sizeBytes > maxBytes) return cb(blobTooLarge(maxBytes));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  return { meter, info: () => ({ sizeBytes, sha256: hash.digest('hex') }) };
}
