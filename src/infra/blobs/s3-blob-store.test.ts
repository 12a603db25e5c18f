import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { startLocalS3, type LocalS3Server } from '../../../test/helpers/s3.js';
import type { S3Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { runBlobStoreContract } from './blob-store.contract.js';
import { createS3BlobStore } from './s3-blob-store.js';

let server: LocalS3Server;

/** A plain SDK client on the test server, to leave behind what a crashed put would. */
const rawClient = (config: S3Config) =>
  new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  });
before(async () => {
  server = await startLocalS3();
});
after(async () => {
  await server?.stop();
});

// Each test gets its own key prefix in the one bucket, which also exercises the prefix setting.
runBlobStoreContract(
  'S3 (s3rver)',
  async () => {
    const prefix = `t-${randomBytes(6).toString('hex')}`;
    const store = createS3BlobStore(server.config(prefix), {
      partSizeBytes: 5 * 1024 * 1024,
      // Small pages and batches, so that a few dozen keys cross several of each.
      listPageSize: 10,
      deleteBatchSize: 20,
    });
    const config = server.config(prefix);
    const client = rawClient(config);
    return {
      store,
      // Tests run one at a time in this file, so any pending upload is the current test's.
      leftovers: async () => server.pendingUploads(),
      abandonPut: async (key, idleMs) => {
        const Key = `${prefix}/${key}`;
        const { UploadId } = await client.send(
          new CreateMultipartUploadCommand({ Bucket: config.bucket, Key }),
        );
        await client.send(
          new UploadPartCommand({
            Bucket: config.bucket,
            Key,
            UploadId,
            PartNumber: 1,
            Body: 'half a value',
          }),
        );
        server.ageUpload(UploadId!, idleMs);
      },
      close: async () => {
        store.destroy();
        client.destroy();
      },
    };
  },
  {
    // s3rver writes an object's file in place, so racing writers interleave; S3 itself replaces
    // objects atomically (last complete write wins), which our adapter relies on.
    concurrentOverwrites: 's3rver writes objects in place, not atomically',
  },
);

describe('S3 blob store specifics', () => {
  it('keeps stores with different prefixes apart and names its place', async () => {
    const a = createS3BlobStore(server.config('tenant-a/'));
    const b = createS3BlobStore(server.config('/tenant-b'));
    const whole = createS3BlobStore(server.config(''));
    try {
      await a.put('k', 'from a');
      await b.put('k', 'from b');
      assert.equal((await a.getBuffer('k')).toString(), 'from a');
      assert.deepEqual(await b.list(''), [{ key: 'k', sizeBytes: 6 }]);
      assert.deepEqual(
        (await whole.list('tenant-')).map((o) => o.key),
        ['tenant-a/k', 'tenant-b/k'],
      );
      assert.equal(await a.deletePrefix(''), 1);
      assert.equal((await b.getBuffer('k')).toString(), 'from b');
      assert.equal(a.describe(), `s3://${server.bucket}/tenant-a/`);
      assert.equal(b.describe(), `s3://${server.bucket}/tenant-b/`);
    } finally {
      for (const s of [a, b, whole]) s.destroy();
    }
  });

  it('reports a missing bucket clearly on ping and as unavailable on use', async () => {
    const store = createS3BlobStore({ ...server.config(), bucket: 'no-such-bucket' });
    try {
      await assert.rejects(
        store.ping(),
        (e) =>
          e instanceof AppError &&
          e.code === 'unavailable' &&
          e.reason === 's3_bucket_missing' &&
          /no-such-bucket/.test(e.message),
      );
      const unavailable = (e: unknown) => e instanceof AppError && e.code === 'unavailable';
      await assert.rejects(store.getBuffer('k'), unavailable);
      await assert.rejects(store.put('k', 'small'), unavailable);
      const slice = randomBytes(64 * 1024);
      let sentBytes = 0;
      const source = Readable.from(
        (function* () {
          for (; sentBytes < 64 * 1024 * 1024; sentBytes += slice.length) yield slice;
        })(),
      );
      await assert.rejects(store.put('k', source), unavailable);
      assert.ok(source.destroyed, 'the source is released, not left waiting');
      assert.ok(sentBytes < 64 * 1024 * 1024, 'the put stopped reading at the first S3 error');
    } finally {
      store.destroy();
    }
  });

  it('keeps a multipart upload started long ago that is still receiving parts', async () => {
    const config = server.config('slow-put/');
    const store = createS3BlobStore(config);
    const client = rawClient(config);
    try {
      const Key = 'slow-put/big';
      const { UploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: config.bucket, Key }),
      );
      const part = (PartNumber: number) =>
        client.send(
          new UploadPartCommand({ Bucket: config.bucket, Key, UploadId, PartNumber, Body: 'part' }),
        );
      await part(1);
      server.ageUpload(UploadId!, 2 * 3600_000);
      await part(2);
      const hourAgo = () => new Date(Date.now() - 3600_000);
      assert.equal(await store.removeAbandonedWrites(hourAgo()), 0);
      server.ageUpload(UploadId!, 2 * 3600_000);
      assert.equal(await store.removeAbandonedWrites(hourAgo()), 1);
      assert.deepEqual(server.pendingUploads(), []);
    } finally {
      store.destroy();
      client.destroy();
    }
  });

  it('reports an unreachable endpoint as unavailable', async () => {
    const store = createS3BlobStore({ ...server.config(), endpoint: 'http://127.0.0.1:9' });
    try {
      await assert.rejects(store.ping(), (e) => e instanceof AppError && e.code === 'unavailable');
    } finally {
      store.destroy();
    }
  });
});
