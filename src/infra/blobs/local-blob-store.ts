import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../errors.js';
import {
  assertValidKey,
  assertValidPrefix,
  blobNotFound,
  createPutMeter,
  type BlobInfo,
  type BlobPutOptions,
  type BlobStore,
} from './blob-store.js';

type Listing = Array<{ key: string; sizeBytes: number }>;

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * Blobs as files under one directory; writes go to a temp file in the same directory, then rename.
 * Folders emptied by deletes are removed, so a key can later name a file where a folder was. A key
 * cannot be a file and a folder at once (`a` and `a/b`): that put answers `conflict`.
 */
export function createLocalBlobStore(rootDirectory: string): BlobStore {
  const rootDir = resolve(rootDirectory);
  const pathOf = (key: string) => {
    assertValidKey(key);
    return join(rootDir, ...key.split('/'));
  };

  const folderConflict = (key: string, cause: unknown) =>
    new AppError('conflict', `blob key '${key}' clashes with a key that is a folder of it, or its file`, {
      reason: 'blob_key_conflict',
      cause,
    });

  /** Creates the temp file; retries when a concurrent delete prunes the folder between mkdir and open. */
  async function openTemp(key: string, target: string) {
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(dirname(target), { recursive: true });
      } catch (e) {
        if (errno(e) === 'ENOTDIR' || errno(e) === 'EEXIST') throw folderConflict(key, e);
        throw e;
      }
      const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        return { tmp, handle: await open(tmp, 'wx') };
      } catch (e) {
        if (errno(e) !== 'ENOENT' || attempt >= 3) throw e;
      }
    }
  }

  async function put(
    key: string,
    body: Readable | Uint8Array | string,
    options: BlobPutOptions = {},
  ): Promise<BlobInfo> {
    const target = pathOf(key);
    const { tmp, handle } = await openTemp(key, target);
    const { meter, info } = createPutMeter(options.maxBytes);
    const source =
      typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
    try {
      await pipeline(source, meter, handle.createWriteStream());
      await rename(tmp, target);
    } catch (e) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      if (errno(e) === 'EISDIR' || errno(e) === 'ENOTEMPTY') throw folderConflict(key, e);
      throw e;
    }
    return { key, ...info() };
  }

  async function get(key: string, range?: { start: number; endInclusive?: number }): Promise<Readable> {
    const p = pathOf(key);
    if ((await statKey(key)) === null) throw blobNotFound(key);
    // An end before the start is a zero-length range (`end - 1` of an empty slice).
    if (range?.endInclusive !== undefined && range.endInclusive < range.start) return Readable.from([]);
    return createReadStream(p, range ? { start: range.start, end: range.endInclusive } : undefined);
  }

  async function getBuffer(key: string): Promise<Buffer> {
    const p = pathOf(key);
    try {
      return await readFile(p);
    } catch (e) {
      // A folder of other keys is not an object either.
      if (errno(e) === 'ENOENT' || errno(e) === 'EISDIR' || errno(e) === 'ENOTDIR') throw blobNotFound(key);
      throw e;
    }
  }

  async function statKey(key: string) {
    const p = pathOf(key);
    try {
      const s = await stat(p);
      return s.isFile() ? { sizeBytes: s.size } : null;
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return null;
      throw e;
    }
  }

  /** Removes the folders above a deleted file while they are empty, up to (not including) the root. */
  async function pruneEmptyParents(path: string) {
    for (let dir = dirname(path); dir !== rootDir && dir.startsWith(rootDir + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone, or raced with a put): stop climbing
      }
    }
  }

  async function del(key: string) {
    const p = pathOf(key);
    try {
      await unlink(p);
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
      if (errno(e) === 'EISDIR') return; // a folder of other keys: no object by this name
      throw e;
    }
    await pruneEmptyParents(p);
  }

  /** Calls `visit` for every file under dir, depth first; folders removed meanwhile are skipped. */
  async function eachFile(dir: string, visit: (path: string, name: string) => Promise<void>) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await eachFile(p, visit);
      else if (e.isFile()) await visit(p, e.name);
    }
  }

  async function walk(dir: string, out: Listing) {
    await eachFile(dir, async (p, name) => {
      if (name.includes('.tmp-')) return;
      try {
        out.push({ key: relative(rootDir, p).split(sep).join('/'), sizeBytes: (await stat(p)).size });
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw err; // deleted while we walked
      }
    });
  }

  async function removeAbandonedWrites(idleSince: Date): Promise<number> {
    let removed = 0;
    await eachFile(rootDir, async (p, name) => {
      if (!name.includes('.tmp-')) return;
      try {
        // mtime is the last write: a put still streaming into its temp file keeps it recent.
        if ((await stat(p)).mtimeMs >= idleSince.getTime()) return;
        await unlink(p);
      } catch (err) {
        if (errno(err) === 'ENOENT') return; // renamed into place or removed meanwhile
        throw err;
      }
      removed += 1;
      await pruneEmptyParents(p);
    });
    return removed;
  }

  async function list(prefix: string): Promise<Listing> {
    assertValidPrefix(prefix);
    const out: Listing = [];
    // Walk only the deepest directory the prefix names fully; the rest is a plain string match.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? rootDir : join(rootDir, ...prefix.slice(0, slash).split('/'));
    await walk(base, out);
    return out
      .filter((o) => o.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async function deletePrefix(prefix: string) {
    const items = await list(prefix);
    for (const item of items) await del(item.key);
    return items.length;
  }

  return {
    put,
    get,
    getBuffer,
    stat: statKey,
    delete: del,
    deletePrefix,
    list,
    removeAbandonedWrites,
    describe: () => `local:${rootDir}`,
    ping: async () => {
      await mkdir(rootDir, { recursive: true });
    },
  };
}
