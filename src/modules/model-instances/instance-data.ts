/**
 * MISTK is path-based: a dataset's `dataPath` is a file or directory on the file system the model
 * shares with its caller. Here it is a CSV file or a directory of CSV files (read in name order,
 * one header, the others' headers must match it). Used by the service to check a path when it is
 * loaded and by the task thread to read it.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Where an objective's data is: a server path, or CSV bytes (a Modelyard dataset, read by the caller). */
export type DataSource = { kind: 'path'; path: string } | { kind: 'bytes'; bytes: Uint8Array; label: string };

/** The CSV files a data path stands for, or an error message saying why there are none. */
export async function csvFilesAt(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new Error(`dataPath '${path}' does not exist on the server`);
  }
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new Error(`dataPath '${path}' is neither a file nor a directory`);
  const names = (await readdir(path)).filter((n) => n.toLowerCase().endsWith('.csv')).sort();
  if (names.length === 0) throw new Error(`dataPath '${path}' is a directory without .csv files`);
  return names.map((n) => join(path, n));
}

const firstLine = (bytes: Uint8Array): string => {
  const nl = bytes.indexOf(10);
  return new TextDecoder().decode(nl < 0 ? bytes : bytes.subarray(0, nl)).replace(/\r$/, '');
};

/** One CSV from several: the first file whole, the others without their (identical) header. */
export async function readCsvSource(source: DataSource): Promise<Uint8Array> {
  if (source.kind === 'bytes') return source.bytes;
  const files = await csvFilesAt(source.path);
  if (files.length === 1) return new Uint8Array(await readFile(files[0]!));
  const parts: Uint8Array[] = [];
  let header: string | null = null;
  for (const f of files) {
    const bytes = new Uint8Array(await readFile(f));
    const head = firstLine(bytes);
    if (header === null) {
      header = head;
      parts.push(bytes);
    } else {
      if (head !== header)
        throw new Error(`${basename(f)} has header '${head}', unlike the first file's '${header}'`);
      const nl = bytes.indexOf(10);
      if (nl >= 0) parts.push(bytes.subarray(nl + 1));
    }
    if (parts.at(-1)!.at(-1) !== 10) parts.push(new Uint8Array([10]));
  }
  return Buffer.concat(parts);
}

/** The header of a CSV data path, read without loading the whole file (to check a target early). */
export async function csvHeaderAt(path: string): Promise<string[]> {
  const files = await csvFilesAt(path);
  const fh = await open(files[0]!, 'r');
  try {
    const buf = new Uint8Array(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const line = firstLine(buf.subarray(0, bytesRead));
    if (line.trim() === '') throw new Error(`${files[0]} is empty: a CSV with a header row is expected`);
    return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  } finally {
    await fh.close();
  }
}
