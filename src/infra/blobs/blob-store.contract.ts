/**
 * The behaviour every BlobStore adapter must have. Each adapter's test file calls
 * `runBlobStoreContract` with a factory of fresh, empty stores.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, it } from 'node:test';
import { AppError } from '../../errors.js';
import type { BlobStore } from './blob-store.js';

export interface BlobStoreFixture {
  /** An empty store that no other test sees. */
  store: BlobStore;
  /**
   * Debris a failed put might leave outside the visible keys (e.g. temp files on disk). Adapters
   * whose backend cannot show such debris omit it.
   */
  leftovers?: () => Promise<string[]>;
  /**
   * Leaves in the store what a put of `key` killed mid-write would (a temp file, an open
   * multipart upload with a part), last written `idleMs` ago.
   */
  abandonPut(key: string, idleMs: number): Promise<void>;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Streams bytes in slices, so the store sees a stream of unknown length. */
function streamOf(bytes: Buffer, sliceBytes = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += sliceBytes) yield bytes.subarray(i, i + sliceBytes);
    })(),
  );
}

/** A source that delivers `goodBytes` and then fails, like a client that disconnects mid-upload. */
function brokenStream(goodBytes: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      const slice = randomBytes(64 * 1024);
      for (let sent = 0; sent < goodBytes; sent += slice.length) yield slice;
      throw error;
    })(),
  );
}

const read = async (store: BlobStore, key: string, range?: { start: number; endInclusive?: number }) =>
  buffer(await store.get(key, range));

const isAppError = (code: string, reason?: string) => (e: unknown) =>
  e instanceof AppError && e.code === code && (reason === undefined || e.reason === reason);

/** Known gaps of a backend (not of our adapter), each with its reason; the matching test is skipped. */
export interface BlobStoreContractGaps {
  /** The backend does not make concurrent overwrites of one key atomic. */
  concurrentOverwrites?: string;
}

export function runBlobStoreContract(
  name: string,
  factory: () => Promise<BlobStoreFixture>,
  gaps: BlobStoreContractGaps = {},
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture | undefined;
    const open = async () => {
      fixture = await factory();
      return fixture.store;
    };
    afterEach(async () => {
      await fixture?.close();
      fixture = undefined;
    });
    const assertNothingLeft = async (store: BlobStore, expectedKeys: string[] = []) => {
      assert.deepEqual(
        (await store.list('')).map((o) => o.key),
        expectedKeys,
      );
      if (fixture?.leftovers) assert.deepEqual(await fixture.leftovers(), []);
    };

    it('round-trips bytes and strings with their size and sha256', async () => {
      const store = await open();
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      assert.deepEqual(await store.put('bin/all-bytes', bytes), {
        key: 'bin/all-bytes',
        sizeBytes: 256,
        sha256: sha256(bytes),
      });
      assert.deepEqual(await store.getBuffer('bin/all-bytes'), Buffer.from(bytes));
      assert.deepEqual(await read(store, 'bin/all-bytes'), Buffer.from(bytes));
      const info = await store.put('text.txt', 'héllo wörld\n', { contentType: 'text/plain' });
      assert.equal(info.sizeBytes, Buffer.byteLength('héllo wörld\n'));
      assert.equal((await store.getBuffer('text.txt')).toString('utf8'), 'héllo wörld\n');
      assert.deepEqual(await store.stat('text.txt'), { sizeBytes: info.sizeBytes });
      const empty = await store.put('empty', new Uint8Array(0));
      assert.equal(empty.sizeBytes, 0);
      assert.equal(empty.sha256, sha256(new Uint8Array(0)));
      assert.equal((await store.getBuffer('empty')).length, 0);
    });

    it('streams a multi-MB body of unknown length in and out', async () => {
      const store = await open();
      const bytes = randomBytes(12 * MiB + 12345);
      const info = await store.put('big/data.bin', streamOf(bytes));
      assert.equal(info.sizeBytes, bytes.length);
      assert.equal(info.sha256, sha256(bytes));
      assert.deepEqual(await store.stat('big/data.bin'), { sizeBytes: bytes.length });
      assert.equal(sha256(await read(store, 'big/data.bin')), sha256(bytes));
    });

    it('overwrites a key with the new value', async () => {
      const store = await open();
      await store.put('k', 'first value, longer');
      await store.put('k', streamOf(Buffer.from('second')));
      assert.equal((await store.getBuffer('k')).toString(), 'second');
      assert.deepEqual(await store.stat('k'), { sizeBytes: 6 });
      assert.deepEqual(await store.list(''), [{ key: 'k', sizeBytes: 6 }]);
    });

    it('reads byte ranges, clamping the end and reading empty past the end', async () => {
      const store = await open();
      await store.put('r', '0123456789');
      assert.equal((await read(store, 'r', { start: 2, endInclusive: 4 })).toString(), '234');
      assert.equal((await read(store, 'r', { start: 7 })).toString(), '789');
      assert.equal((await read(store, 'r', { start: 0, endInclusive: 0 })).toString(), '0');
      assert.equal((await read(store, 'r', { start: 8, endInclusive: 100 })).toString(), '89');
      assert.equal((await read(store, 'r', { start: 10 })).length, 0);
      assert.equal((await read(store, 'r', { start: 5, endInclusive: 4 })).length, 0, 'an empty range');
      await assert.rejects(store.get('missing', { start: 5, endInclusive: 4 }), isAppError('not_found'));
      await assert.rejects(store.get('missing', { start: 0 }), isAppError('not_found', 'blob_not_found'));
    });

    it('reports missing objects: stat null, get and getBuffer not_found', async () => {
      const store = await open();
      assert.equal(await store.stat('no/such/key'), null);
      await assert.rejects(store.get('no/such/key'), isAppError('not_found', 'blob_not_found'));
      await assert.rejects(store.getBuffer('no/such/key'), isAppError('not_found', 'blob_not_found'));
      await store.put('no/such/other', 'x');
      assert.equal(await store.stat('no/such'), null, 'a prefix of a key is not an object');
      await assert.rejects(store.getBuffer('no/such'), isAppError('not_found'));
    });

    it('deletes idempotently', async () => {
      const store = await open();
      await store.delete('never/was');
      await store.put('d/x', 'x');
      await store.delete('d/x');
      await store.delete('d/x');
      assert.equal(await store.stat('d/x'), null);
      await assert.rejects(store.getBuffer('d/x'), isAppError('not_found'));
      // A deleted key's folder can hold a new object of the same name as the folder was.
      await store.put('d', 'now a file');
      assert.equal((await store.getBuffer('d')).toString(), 'now a file');
    });

    it('lists in key order with plain string-prefix semantics, like S3', async () => {
      const store = await open();
      const keys = ['b/x', 'a/b/2', 'a/bc/x', 'a-c', 'a/b/1', 'a/B/z', 'a/b/+@=.txt', 'a/c'];
      for (const k of keys) await store.put(k, k);
      const sorted = [...keys].sort();
      assert.deepEqual(
        (await store.list('')).map((o) => o.key),
        sorted,
      );
      assert.deepEqual(
        (await store.list('a/b')).map((o) => o.key),
        ['a/b/+@=.txt', 'a/b/1', 'a/b/2', 'a/bc/x'],
        "'a/b' matches 'a/bc/…' too: a prefix is a string prefix, not a folder",
      );
      assert.deepEqual(
        (await store.list('a/b/')).map((o) => o.key),
        ['a/b/+@=.txt', 'a/b/1', 'a/b/2'],
      );
      assert.deepEqual(await store.list('a/b/1'), [{ key: 'a/b/1', sizeBytes: 5 }]);
      assert.deepEqual(await store.list('zzz'), []);
      assert.deepEqual(await store.list('a/nothing/'), []);
    });

    it('deletes by prefix and counts what it removed', async () => {
      const store = await open();
      for (const k of ['p/1', 'p/2', 'p/sub/3', 'pq/4', 'q/5']) await store.put(k, 'x');
      assert.equal(await store.deletePrefix('p/'), 3);
      assert.deepEqual(
        (await store.list('')).map((o) => o.key),
        ['pq/4', 'q/5'],
      );
      assert.equal(await store.deletePrefix('p/'), 0);
      assert.equal(await store.deletePrefix('p'), 1);
      assert.equal(await store.deletePrefix(''), 1);
      await assertNothingLeft(store);
    });

    it('lists and deletes many keys across listing pages and delete batches', async () => {
      const store = await open();
      const keys = Array.from({ length: 57 }, (_, i) => `many/${String(i).padStart(3, '0')}`);
      await Promise.all(keys.map((k) => store.put(k, 'x')));
      await store.put('other/keep', 'x');
      assert.deepEqual(
        (await store.list('many/')).map((o) => o.key),
        keys,
      );
      assert.equal(await store.deletePrefix('many/'), keys.length);
      assert.deepEqual(
        (await store.list('')).map((o) => o.key),
        ['other/keep'],
      );
    });

    it('rejects invalid keys and prefixes before touching storage', async () => {
      const store = await open();
      const bad = [
        '',
        '../x',
        'a/../../x',
        '/abs',
        'a//b',
        'a/',
        './a',
        'a/./b',
        'x.tmp-1',
        'sp ace',
        'a\\b',
        'é',
      ];
      for (const key of bad) {
        const invalid = isAppError('invalid', 'invalid_blob_key');
        await assert.rejects(store.put(key, 'x'), invalid, `put '${key}'`);
        await assert.rejects(store.get(key), invalid, `get '${key}'`);
        await assert.rejects(store.getBuffer(key), invalid, `getBuffer '${key}'`);
        await assert.rejects(store.stat(key), invalid, `stat '${key}'`);
        await assert.rejects(store.delete(key), invalid, `delete '${key}'`);
      }
      for (const prefix of ['../', '..//', '/', '/a', 'a//', 'a/../']) {
        await assert.rejects(store.list(prefix), isAppError('invalid'), `list '${prefix}'`);
        await assert.rejects(store.deletePrefix(prefix), isAppError('invalid'), `deletePrefix '${prefix}'`);
      }
      await assertNothingLeft(store);
    });

    it('aborts a put over maxBytes and leaves nothing behind (small and multipart-sized)', async () => {
      const store = await open();
      const tooLarge = isAppError('payload_too_large', 'upload_too_large');
      await assert.rejects(store.put('small', streamOf(randomBytes(3 * MiB)), { maxBytes: MiB }), tooLarge);
      await assert.rejects(store.put('buf', randomBytes(2048), { maxBytes: 2047 }), tooLarge);
      await assert.rejects(
        store.put('big', streamOf(randomBytes(14 * MiB)), { maxBytes: 11 * MiB }),
        tooLarge,
      );
      await assertNothingLeft(store);
      const exact = await store.put('exact', streamOf(randomBytes(4096)), { maxBytes: 4096 });
      assert.equal(exact.sizeBytes, 4096);
    });

    it('leaves nothing when the source stream fails midway, and keeps the previous value', async () => {
      const store = await open();
      await store.put('kept', 'old value');
      for (const goodBytes of [256 * 1024, 13 * MiB]) {
        const boom = new Error(`source broke after ${goodBytes} bytes`);
        await assert.rejects(store.put('kept', brokenStream(goodBytes, boom)), (e) => e === boom);
        await assert.rejects(store.put('fresh/key', brokenStream(goodBytes, boom)), (e) => e === boom);
      }
      assert.equal((await store.getBuffer('kept')).toString(), 'old value');
      await assertNothingLeft(store, ['kept']);
    });

    it(
      'ends concurrent puts to one key with one complete value',
      { skip: gaps.concurrentOverwrites },
      async () => {
        const store = await open();
        const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(MiB + i * 1000));
        const infos = await Promise.all(bodies.map((b) => store.put('race', streamOf(b, 16 * 1024))));
        const stored = await store.getBuffer('race');
        const winner = bodies.findIndex((b) => b.equals(stored));
        assert.ok(winner >= 0, 'the stored value is exactly one of the bodies');
        assert.equal(infos[winner]!.sha256, sha256(stored));
        assert.deepEqual(await store.list(''), [{ key: 'race', sizeBytes: stored.length }]);
        if (fixture?.leftovers) assert.deepEqual(await fixture.leftovers(), []);
      },
    );

    it('removes writes abandoned before the cut-off, and nothing else', async () => {
      const store = await open();
      const HOUR = 3600_000;
      await store.put('data/kept', 'stored value');
      await fixture!.abandonPut('data/old', 2 * HOUR);
      await fixture!.abandonPut('data/kept', 3 * HOUR);
      await fixture!.abandonPut('data/recent', 60_000);
      if (fixture?.leftovers) assert.equal((await fixture.leftovers()).length, 3);
      assert.deepEqual(
        (await store.list('')).map((o) => o.key),
        ['data/kept'],
        'abandoned writes are not objects',
      );
      assert.equal(await store.removeAbandonedWrites(new Date(Date.now() - HOUR)), 2);
      if (fixture?.leftovers) assert.equal((await fixture.leftovers()).length, 1, 'the recent one stays');
      assert.equal((await store.getBuffer('data/kept')).toString(), 'stored value');
      assert.equal(await store.removeAbandonedWrites(new Date(Date.now() - HOUR)), 0);
      assert.equal(await store.removeAbandonedWrites(new Date(Date.now() + 1000)), 1);
      await assertNothingLeft(store, ['data/kept']);
    });

    it('answers ping and describes itself', async () => {
      const store = await open();
      await store.ping();
      assert.match(store.describe(), /^[a-z0-9]+:\S+/);
    });
  });
}
