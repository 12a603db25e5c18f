import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertValidKey,
  blobNotFound,
  blobTooLarge,
  type BlobInfo,
  type BlobPutOptions,
  type BlobStore,
} from './blob-store.js';

/** Blobs as files under one directory; writes go to a temp file in the same directory, then rename. */
export function createLocalBlobStore(rootDir: string): BlobStore {
  const pathOf = (key: string) => {
    assertValidKey(key);
    return join(rootDir, ...key.split('/'));
  };

  async function put(
    key: string,
    body: Readable | Uint8Array | string,
    options: BlobPutOptions = {},
  ): Promise<BlobInfo> {
    const target = pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sizeBytes += chunk.length;
        if (options.maxBytes !== undefined && sizeBytes > options.maxBytes)
          return cb(blobTooLarge(options.maxBytes));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const source =
      typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
    try {
      await pipeline(source, meter, createWriteStream(tmp));
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return { key, sizeBytes, sha256: hash.digest('hex') };
  }

  async function get(key: string, range?: { start: number; endInclusive?: number }): Promise<Readable> {
    const p = pathOf(key);
    try {
      await stat(p);
    } catch {
      throw blobNotFound(key);
    }
    return createReadStream(p, range ? { start: range.start, end: range.endInclusive } : undefined);
  }

  async function getBuffer(key: string): Promise<Buffer> {
    try {
      return await readFile(pathOf(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw blobNotFound(key);
      throw e;
    }
  }

  async function statKey(key: string) {
    try {
      const s = await stat(pathOf(key));
      return s.isFile() ? { sizeBytes: s.size } : null;
    } catch {
      return null;
    }
  }

  async function del(key: string) {
    try {
      await unlink(pathOf(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async function walk(dir: string, out: Array<{ key: string; sizeBytes: number }>) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p, out);
      else if (e.isFile() && !e.name.includes('.tmp-')) {
        out.push({ key: relative(rootDir, p).split(sep).join('/'), sizeBytes: (await stat(p)).size });
      }
    }
  }

  async function list(prefix: string) {
    const out: Array<{ key: string; sizeBytes: number }> = [];
    // Walk only the deepest directory the prefix names fully.
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
    describe: () => `local:${rootDir}`,
    ping: async () => {
      await mkdir(rootDir, { recursive: true });
    },
  };
}
