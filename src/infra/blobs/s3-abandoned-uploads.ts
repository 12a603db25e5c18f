/**
 * Sweeping of unfinished multipart uploads for the S3 blob store. The store's puts are atomic
 * without temp keys, but a process killed mid-upload leaves its multipart upload open.
 */
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/** What the sweep needs of the store: its client, bucket, key prefix and error mapping. */
export interface S3Access {
  client: S3Client;
  bucket: string;
  /** Key prefix of the store (`''` or ending in `/`). */
  prefix: string;
  send<T>(op: string, call: () => Promise<T>): Promise<T>;
}

/** Multipart uploads under our prefix that S3 still holds (never completed nor aborted). */
async function pendingUploads(
  s3: S3Access,
): Promise<Array<{ key: string; uploadId: string; initiated: Date }>> {
  const out: Array<{ key: string; uploadId: string; initiated: Date }> = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send('list uploads', () =>
      s3.client.send(
        new ListMultipartUploadsCommand({
          Bucket: s3.bucket,
          Prefix: s3.prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      ),
    );
    for (const u of page.Uploads ?? []) {
      if (u.Key !== undefined && u.UploadId !== undefined && u.Initiated !== undefined)
        out.push({ key: u.Key, uploadId: u.UploadId, initiated: new Date(u.Initiated) });
    }
    if (!page.IsTruncated) return out;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/** When a part of the upload was last written, or null when it has no parts. */
async function lastPartWrite(s3: S3Access, key: string, uploadId: string): Promise<Date | null> {
  let last: Date | null = null;
  let marker: string | undefined;
  for (;;) {
    const page = await s3.send('list parts', () =>
      s3.client.send(
        new ListPartsCommand({ Bucket: s3.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
      ),
    );
    for (const p of page.Parts ?? []) {
      const at = p.LastModified ? new Date(p.LastModified) : null;
      if (at && (last === null || at > last)) last = at;
    }
    if (!page.IsTruncated) return last;
    marker = page.NextPartNumberMarker;
  }
}

/**
 * Aborts the multipart uploads under the store's prefix that a crashed put left (S3 keeps their
 * parts, and bills them, until aborted): those started before `idleSince` with no part written
 * since. Returns how many it aborted.
 */
export async function removeAbandonedUploads(s3: S3Access, idleSince: Date): Promise<number> {
  let removed = 0;
  for (const u of await pendingUploads(s3)) {
    if (u.initiated >= idleSince) continue;
    // Started long ago but still receiving parts: a big put running on another server.
    const last = await lastPartWrite(s3, u.key, u.uploadId);
    if (last !== null && last >= idleSince) continue;
    try {
      await s3.client.send(
        new AbortMultipartUploadCommand({ Bucket: s3.bucket, Key: u.key, UploadId: u.uploadId }),
      );
    } catch (e) {
      // Gone meanwhile (completed, or swept by another server): nothing left to remove.
      if ((e as { name?: string })?.name === 'NoSuchUpload') continue;
      await s3.send('abort upload', () => Promise.reject(e));
    }
    removed += 1;
  }
  return removed;
}
