import { createHash } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Config } from '../../config.js';
import { removeAbandonedUploads } from './s3-abandoned-uploads.js';
import { AppError } from '../../errors.js';
import {
  assertValidKey,
  assertValidPrefix,
  blobNotFound,
  blobTooLarge,
  createPutMeter,
  type BlobInfo,
  type BlobPutOptions,
  type BlobStore,
} from './blob-store.js';

/** Tuning of streamed uploads; defaults suit uploads from one server process. */
export interface S3BlobStoreOptions {
  /** Size of each multipart part (S3's minimum is 5 MiB). Memory held per upload ≈ partSizeBytes × queueSize. */
  partSizeBytes?: number;
  /** Parts uploaded at once per put. */
  queueSize?: number;
  /** Keys asked for per ListObjectsV2 page (S3 caps it at 1000); tests lower it to cross pages. */
  listPageSize?: number;
  /** Keys per DeleteObjects call (S3 caps it at 1000); tests lower it to cross batches. */
  deleteBatchSize?: number;
}

/** The S3 adapter; `destroy` closes the client's sockets (tests and tools that exit cleanly). */
export interface S3BlobStore extends BlobStore {
  destroy(): void;
}

/**
 * Blobs as objects in one bucket under an optional key prefix. S3 makes an object visible only
 * when PutObject or CompleteMultipartUpload succeeds, so a put is atomic without a temp key; a
 * failed streamed put aborts its multipart upload.
 */
export function createS3BlobStore(config: S3Config, options: S3BlobStoreOptions = {}): S3BlobStore {
  const bucket = config.bucket;
  const root = normalizePrefix(config.prefix);
  const client = new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint === '' ? {} : { endpoint: config.endpoint }),
    // Empty keys: let the SDK's default chain find credentials (instance role, profile, env).
    ...(config.accessKeyId === '' || config.secretAccessKey === ''
      ? {}
      : { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }),
    // Checksums only where S3 demands them: many S3-compatible servers reject the newer
    // CRC32 headers and aws-chunked bodies; our own sha256 covers integrity end to end.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const partSize = Math.max(options.partSizeBytes ?? 8 * 1024 * 1024, 5 * 1024 * 1024);
  const queueSize = options.queueSize ?? 4;
  const listPageSize = Math.min(options.listPageSize ?? 1000, 1000);
  const deleteBatch = Math.min(options.deleteBatchSize ?? 1000, 1000);
  const objectKey = (key: string) => {
    assertValidKey(key);
    return root + key;
  };

  async function putBuffer(key: string, bytes: Buffer, options: BlobPutOptions): Promise<BlobInfo> {
    if (options.maxBytes !== undefined && bytes.length > options.maxBytes)
      throw blobTooLarge(options.maxBytes);
    await send('put', () =>
      client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: objectKey(key),
          Body: bytes,
          ContentType: options.contentType,
        }),
      ),
    );
    return { key, sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  async function putStream(key: string, source: Readable, options: BlobPutOptions): Promise<BlobInfo> {
    const target = objectKey(key);
    const { meter, info } = createPutMeter(options.maxBytes);
    // The first failure on our side (source error, size limit); S3 errors and a failed abort come after it.
    let cause: unknown;
    pipeline(source, meter, (e) => {
      if (e && cause === undefined) cause = e;
    });
    const upload = new Upload({
      client,
      params: { Bucket: bucket, Key: target, Body: meter, ContentType: options.contentType },
      partSize,
      queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (e) {
      const ours = cause; // read before destroy(), whose premature-close error is not the cause
      meter.destroy();
      source.destroy(); // now, not a tick later through the pipeline: a client upload must not hang
      // Upload aborted its multipart upload; if that abort failed too, S3 never shows the parts as an object.
      if (ours !== undefined) throw ours;
      throw s3Failure('put', e);
    }
    if (cause !== undefined) throw cause;
    return { key, ...info() };
  }

  async function put(
    key: string,
    body: Readable | Uint8Array | string,
    options: BlobPutOptions = {},
  ): Promise<BlobInfo> {
    assertValidKey(key);
    if (typeof body === 'string' || body instanceof Uint8Array)
      return putBuffer(key, Buffer.from(body), options);
    return putStream(key, body, options);
  }

  async function get(key: string, range?: { start: number; endInclusive?: number }): Promise<Readable> {
    if (range?.endInclusive !== undefined && range.endInclusive < range.start) {
      // A zero-length range; S3 would ignore such a Range header and send the whole object.
      if ((await stat(key)) === null) throw blobNotFound(key);
      return Readable.from([]);
    }
    const Range = range ? `bytes=${range.start}-${range.endInclusive ?? ''}` : undefined;
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key), Range }));
      const body = out.Body as Readable;
      if (!range) return body;
      // HTTP lets a server ignore Range (200, whole object) and some S3 look-alikes answer a
      // wider range than asked (s3rver reads `bytes=0-0` as `bytes=0-`): cut to what was asked.
      const wanted = range.endInclusive === undefined ? Infinity : range.endInclusive - range.start + 1;
      const skip = out.ContentRange === undefined ? range.start : 0;
      if (skip === 0 && (out.ContentLength ?? 0) <= wanted) return body;
      const cut = slice(skip, wanted);
      pipeline(body, cut, () => undefined); // errors reach the reader through `cut`
      return cut;
    } catch (e) {
      // A range that starts at or past the end reads as empty, as a file read does.
      if (range && statusOf(e) === 416) return Readable.from([]);
      throw mapError('get', key, e);
    }
  }

  async function getBuffer(key: string): Promise<Buffer> {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      const bytes = await out.Body!.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      throw mapError('get', key, e);
    }
  }

  async function stat(key: string): Promise<{ sizeBytes: number } | null> {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      return { sizeBytes: out.ContentLength ?? 0 };
    } catch (e) {
      if (isMissingObject(e)) return null;
      throw s3Failure('stat', e);
    }
  }

  async function del(key: string): Promise<void> {
    const Key = objectKey(key);
    await send('delete', () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key })));
  }

  async function list(prefix: string): Promise<Array<{ key: string; sizeBytes: number }>> {
    assertValidPrefix(prefix);
    const out: Array<{ key: string; sizeBytes: number }> = [];
    let token: string | undefined;
    do {
      const page = await send('list', () =>
        client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: root + prefix,
            MaxKeys: listPageSize,
            ContinuationToken: token,
          }),
        ),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) out.push({ key: o.Key.slice(root.length), sizeBytes: o.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    // S3 lists in byte order already; some S3-compatible servers (s3rver) list in folder order.
    // Keys are ASCII (assertValidKey), so code-unit order is byte order.
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async function deletePrefix(prefix: string): Promise<number> {
    const keys = (await list(prefix)).map((o) => root + o.key);
    for (let i = 0; i < keys.length; i += deleteBatch) {
      const Objects = keys.slice(i, i + deleteBatch).map((Key) => ({ Key }));
      const res = await send('delete', () =>
        client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } })),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new AppError(
          'unavailable',
          `S3 refused to delete ${failed.length} object(s), e.g. '${first.Key}': ${first.Code}`,
          {
            reason: 's3_error',
          },
        );
      }
    }
    return keys.length;
  }

  const removeAbandonedWrites = (idleSince: Date) =>
    removeAbandonedUploads({ client, bucket, prefix: root, send }, idleSince);

  async function ping(): Promise<void> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) {
        throw new AppError('unavailable', `S3 bucket '${bucket}' does not exist${at(config)}`, {
          reason: 's3_bucket_missing',
          cause: e,
        });
      }
      if (status === 403) {
        throw new AppError('unavailable', `S3 access to bucket '${bucket}' was denied${at(config)}`, {
          reason: 's3_access_denied',
          cause: e,
        });
      }
      throw s3Failure('ping', e);
    }
  }

  return {
    put,
    get,
    getBuffer,
    stat,
    delete: del,
    deletePrefix,
    list,
    removeAbandonedWrites,
    describe: () => `s3://${bucket}/${root}`,
    ping,
    destroy: () => client.destroy(),
  };
}

/** Passes `limit` bytes after skipping `skip`, then ends the stream. */
function slice(skip: number, limit: number): Transform {
  let pos = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const from = Math.max(0, skip - pos);
      const to = Math.min(chunk.length, skip + limit - pos);
      pos += chunk.length;
      cb(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}

/** `modelyard` and `/modelyard/` both mean the folder `modelyard/`; empty means the bucket root. */
function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

function at(config: S3Config): string {
  return config.endpoint === '' ? '' : ` at ${config.endpoint}`;
}

/** Runs one S3 call, turning its failure into an AppError. */
export async function send<T>(op: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw s3Failure(op, e);
  }
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isMissingObject(e: unknown): boolean {
  const name = (e as { name?: string })?.name;
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(e) === 404;
}

function mapError(op: string, key: string, e: unknown): unknown {
  return isMissingObject(e) ? blobNotFound(key) : s3Failure(op, e);
}

/** S3 failures other than a missing object: the store is unreachable or misconfigured. */
function s3Failure(op: string, e: unknown): unknown {
  if (e instanceof AppError) return e;
  const err = e as { name?: string; message?: string };
  return new AppError(
    'unavailable',
    `S3 ${op} failed: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`,
    {
      reason: 's3_error',
      cause: e,
    },
  );
}
