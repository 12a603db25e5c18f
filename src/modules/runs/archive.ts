/**
 * User code arrives as one file, a tar (optionally gzipped) or a zip. These readers unpack it in
 * memory into files for the executor's working directory, and reject anything unsafe or corrupt at
 * upload time, so a bad archive is a 400 rather than a failed run later.
 */
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { invalid } from '../../errors.js';

export interface CodeFile {
  path: string;
  content: Uint8Array;
  mode: number;
}

export type CodeFormat = 'file' | 'tar' | 'zip';

const badArchive = (message: string) =>
  invalid(`the code archive is invalid: ${message}`, {
    reason: 'bad_archive',
    errors: [{ field: 'code', message }],
  });

/** Picks the format from the name, then the magic bytes. */
export function detectFormat(fileName: string, bytes: Uint8Array): CodeFormat {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.zip') || (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4))
    return 'zip';
  if (/\.(tar|tar\.gz|tgz)$/.test(lower)) return 'tar';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'tar';
  if (bytes.length >= 512 && latin1(bytes, 257, 5) === 'ustar') return 'tar';
  return 'file';
}

/** The files of the code, paths checked and a single shared top-level folder removed. */
export function unpackCode(fileName: string, bytes: Uint8Array): { format: CodeFormat; files: CodeFile[] } {
  const format = detectFormat(fileName, bytes);
  if (format === 'file') {
    const name = safePath(fileName.split(/[\\/]/).pop() ?? 'main');
    return {
      format,
      files: [{ path: name, content: bytes, mode: /\.(sh|py|pl|rb)$/.test(name) ? 0o755 : 0o644 }],
    };
  }
  const files = format === 'zip' ? readZip(bytes) : readTar(bytes);
  if (files.length === 0) throw badArchive('it holds no files');
  return { format, files: stripCommonFolder(files) };
}

function latin1(b: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length && i < b.length && b[i] !== 0; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function safePath(raw: string): string {
  const path = raw.replace(/^\.\//, '').replace(/\/+$/, '');
  const parts = path.split('/');
  if (
    path === '' ||
    path.startsWith('/') ||
    path.includes('\\') ||
    parts.some((p) => p === '..' || p === '')
  ) {
    throw badArchive(`entry '${raw}' is not a relative path inside the archive`);
  }
  return path;
}

function stripCommonFolder(files: CodeFile[]): CodeFile[] {
  const first = files[0]!.path.split('/')[0]!;
  if (!files.every((f) => f.path.startsWith(`${first}/`))) return files;
  return files.map((f) => ({ ...f, path: f.path.slice(first.length + 1) }));
}

function readTar(input: Uint8Array): CodeFile[] {
  let bytes = input;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw badArchive(`gzip data is corrupt (${(e as Error).message})`);
    }
  }
  const files: CodeFile[] = [];
  let offset = 0;
  let longName: string | null = null;
  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(latin1(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    if (!Number.isFinite(size) || size < 0 || offset + 512 + size > bytes.length) {
      throw badArchive(`tar entry at byte ${offset} is truncated or has a bad size`);
    }
    if (!verifyChecksum(header)) throw badArchive(`tar header at byte ${offset} has a bad checksum`);
    const data = bytes.subarray(offset + 512, offset + 512 + size);
    const prefix = latin1(header, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${latin1(header, 0, 100)}` : latin1(header, 0, 100));
    longName = null;
    if (type === 'L') longName = latin1(data, 0, data.length);
    else if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(Buffer.from(data).toString('utf8'));
      if (m) longName = m[1]!;
    } else if (type === '0' || type === '\0' || type === '7') {
      name = safePath(name);
      const mode = parseInt(latin1(header, 100, 8).trim() || '644', 8);
      files.push({ path: name, content: new Uint8Array(data), mode: mode & 0o111 ? 0o755 : 0o644 });
    } else if (type === '1' || type === '2') {
      throw badArchive(`links are not supported ('${name}')`);
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  if (offset === 0) throw badArchive('not a tar archive');
  return files;
}

function verifyChecksum(header: Uint8Array): boolean {
  const stored = parseInt(latin1(header, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return stored === sum;
}

function readZip(bytes: Uint8Array): CodeFile[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw badArchive('zip end-of-central-directory record not found');
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const files: CodeFile[] = [];
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50)
      throw badArchive('zip central directory is corrupt');
    const method = view.getUint16(p + 10, true);
    const compSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const attrs = view.getUint32(p + 38, true);
    const local = view.getUint32(p + 42, true);
    const rawName = Buffer.from(bytes.subarray(p + 46, p + 46 + nameLen)).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (rawName.endsWith('/')) continue;
    if (compSize === 0xffffffff || local === 0xffffffff) throw badArchive('zip64 archives are not supported');
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50)
      throw badArchive(`zip entry '${rawName}' is corrupt`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(start, start + compSize);
    let content: Uint8Array;
    try {
      if (method === 0) content = new Uint8Array(raw);
      else if (method === 8) content = inflateRawSync(raw);
      else
        throw badArchive(
          `zip entry '${rawName}' uses compression method ${method} (only stored and deflate)`,
        );
    } catch (e) {
      if ((e as { reason?: string }).reason === 'bad_archive') throw e;
      throw badArchive(`zip entry '${rawName}' cannot be inflated (${(e as Error).message})`);
    }
    if (content.length !== size) throw badArchive(`zip entry '${rawName}' has the wrong size`);
    const unixMode = attrs >>> 16;
    if ((unixMode & 0o170000) === 0o120000) throw badArchive(`links are not supported ('${rawName}')`);
    files.push({ path: safePath(rawName), content, mode: unixMode & 0o111 ? 0o755 : 0o644 });
  }
  return files;
}
