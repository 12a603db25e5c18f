import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '../../errors.js';
import { runBlobStoreContract } from './blob-store.contract.js';
import { createLocalBlobStore } from './local-blob-store.js';

/** Every file under dir, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return (
    readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<{
      name: string;
      parentPath?: string;
      path?: string;
      isFile(): boolean;
    }>
  )
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path ?? dir, e.name)));
}

runBlobStoreContract('local directory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'modelyard-blobs-'));
  return {
    store: createLocalBlobStore(root),
    leftovers: async () => filesUnder(root).filter((f) => f.includes('.tmp-')),
    abandonPut: async (key, idleMs) => {
      const tmp = join(root, ...key.split('/')) + `.tmp-${randomBytes(6).toString('hex')}`;
      mkdirSync(dirname(tmp), { recursive: true });
      writeFileSync(tmp, 'half a value');
      const when = new Date(Date.now() - idleMs);
      utimesSync(tmp, when, when);
    },
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

describe('local blob store specifics', () => {
  it('never reaches outside its root', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'modelyard-blobs-'));
    try {
      writeFileSync(join(parent, 'secret'), 'outside');
      const store = createLocalBlobStore(join(parent, 'root'));
      await store.put('inside', 'x');
      await assert.rejects(store.list('../'), (e) => e instanceof AppError && e.code === 'invalid');
      await assert.rejects(store.deletePrefix('../s'), (e) => e instanceof AppError && e.code === 'invalid');
      assert.deepEqual(filesUnder(parent).sort(), ['root/inside', 'secret']);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('answers conflict when a key would be both a file and a folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'modelyard-blobs-'));
    try {
      const store = createLocalBlobStore(root);
      await store.put('a/b', 'file');
      await assert.rejects(store.put('a/b/c', 'x'), (e) => e instanceof AppError && e.code === 'conflict');
      await store.put('x/y/z', 'deep');
      await assert.rejects(store.put('x/y', 'x'), (e) => e instanceof AppError && e.code === 'conflict');
      assert.deepEqual(filesUnder(root).sort(), ['a/b', 'x/y/z']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('removes folders emptied by deletes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'modelyard-blobs-'));
    try {
      const store = createLocalBlobStore(root);
      await store.put('ds/1/v1/data.csv', 'x');
      await store.put('ds/1/v1/split.bin', 'x');
      await store.put('ds/2/data.csv', 'x');
      await store.deletePrefix('ds/1/');
      await store.delete('ds/2/data.csv');
      assert.deepEqual(readdirSync(root), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
