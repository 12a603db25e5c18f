/**
 * Image-classification datasets: a zip with one folder per class (optionally all under one top
 * folder). Only the zip's central directory is read, through ranged reads, so the zip never has
 * to be held in memory or copied to local disk.
 */
import { PassThrough, type Readable } from 'node:stream';
import yauzl from 'yauzl';
import { invalid } from '../../errors.js';

const IMAGE_EXT = /\.(png|jpe?g|gif|bmp|webp|tiff?)$/i;

/** Random access to the zip's bytes: `read(start, endExclusive)`. */
export interface ZipSource {
  sizeBytes: number;
  read(start: number, endExclusive: number): Promise<Readable>;
}

export interface ZipImages {
  /** One row per image, sorted by path: the entry path and its class. */
  items: Array<{ path: string; label: string }>;
  labelCounts: Record<string, number>;
  /** Entries that are not images (or sit outside a class folder) and were ignored. */
  ignored: number;
}

class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: ZipSource) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    // yauzl wants a stream synchronously; the port opens ranges asynchronously.
    const out = new PassThrough();
    this.source.read(start, end).then(
      (s) => s.on('error', (e) => out.destroy(e)).pipe(out),
      (e: Error) => out.destroy(e),
    );
    return out;
  }
}

const zipError = (reason: string, message: string) =>
  invalid(message, { reason, errors: [{ field: 'file', message }] });

async function entryNames(source: ZipSource): Promise<string[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new SourceReader(source), source.sizeBytes, {
      lazyEntries: true,
      autoClose: true,
    });
  } catch (e) {
    throw zipError('zip_invalid', `the file is not a readable zip archive (${(e as Error).message})`);
  }
  return new Promise((resolve, reject) => {
    const names: string[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      zip.readEntry();
    });
    zip.on('end', () => resolve(names));
    zip.on('error', (e: Error) => {
      zip.close();
      reject(
        /absolute path|invalid relative path/.test(e.message)
          ? zipError('zip_unsafe_path', `the zip holds an unsafe entry path (${e.message})`)
          : zipError('zip_invalid', `the zip archive is damaged (${e.message})`),
      );
    });
    zip.readEntry();
  });
}

/** Lists the images of a class-per-folder zip; 400 when it has no class folders or unsafe paths. */
export async function listZipImages(source: ZipSource): Promise<ZipImages> {
  const names = await entryNames(source);
  let ignored = 0;
  const images: string[][] = [];
  for (const name of names) {
    if (name.endsWith('/')) continue;
    const parts = name.split('/');
    if (parts.some((p) => p === '..' || p === '')) {
      throw zipError('zip_unsafe_path', `the zip holds an unsafe entry path '${name}'`);
    }
    if (parts[0] === '__MACOSX' || parts.some((p) => p.startsWith('.')) || !IMAGE_EXT.test(name)) {
      ignored++;
      continue;
    }
    images.push(parts);
  }
  // One shared top folder above the class folders is allowed: strip it.
  const top = images[0]?.[0];
  const depth = images.length > 0 && images.every((p) => p.length >= 3 && p[0] === top) ? 1 : 0;
  const items: ZipImages['items'] = [];
  const labelCounts: Record<string, number> = {};
  for (const parts of images) {
    if (parts.length - depth < 2) {
      ignored++;
      continue;
    }
    const label = parts[depth]!;
    items.push({ path: parts.join('/'), label });
    labelCounts[label] = (labelCounts[label] ?? 0) + 1;
  }
  if (items.length === 0) {
    throw zipError(
      'zip_no_classes',
      'the zip has no class folders with images: expected <class>/<image>.png (optionally under one top folder)',
    );
  }
  if (Object.keys(labelCounts).length < 2) {
    throw zipError(
      'zip_no_classes',
      `the zip has images for ${Object.keys(labelCounts).length} class folder; a classification dataset needs at least two`,
    );
  }
  items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { items, labelCounts, ignored };
}
