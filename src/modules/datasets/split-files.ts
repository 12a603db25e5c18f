/**
 * A CSV dataset given as separate train / validation / test files on the server (WMLA's
 * trainpath / valpath / testpath): the files are checked to share one header, counted, and
 * streamed as one CSV (the later files without their header), so the version's split is exactly
 * the files' rows.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { invalid } from '../../errors.js';
import { readCsvRecords } from './csv-reader.js';
import { checkServerPath } from './ingest.js';
import type { CreateVersionInput, DatasetsService, DatasetVersionView } from './datasets.service.js';
import { SPLIT_NAMES, type SplitCounts, type SplitName } from './splits.js';

/** The file of each split (train required), and the request field that named it (for errors). */
export type SplitPaths = { train: SplitFile } & Partial<Record<Exclude<SplitName, 'train'>, SplitFile>>;
export interface SplitFile {
  path: string;
  field: string;
}

async function headerAndRows(path: string, field: string): Promise<{ header: string[]; rows: number }> {
  try {
    await checkServerPath(path);
  } catch (e) {
    throw invalid(`${field} ${(e as Error).message.replace(/^path /, '')}`, {
      reason: 'invalid_path',
      errors: [{ field, message: (e as Error).message }],
    });
  }
  let header: string[] | null = null;
  let rows = 0;
  await readCsvRecords(createReadStream(path), (fields) => {
    if (header === null) header = fields.slice();
    else rows++;
    return true;
  });
  if (header === null) throw invalid(`${field} '${path}' is empty: it needs a header row`);
  return { header, rows };
}

/** The files' rows as one CSV stream, and how many rows each split has. */
export async function concatSplitFiles(paths: SplitPaths): Promise<{ body: Readable; rows: SplitCounts }> {
  const rows: SplitCounts = { train: 0, validation: 0, test: 0 };
  const files: string[] = [];
  let first: string[] | null = null;
  for (const split of SPLIT_NAMES) {
    const file = paths[split];
    if (!file) continue;
    const { path, field } = file;
    const info = await headerAndRows(path, field);
    if (first === null) first = info.header;
    else if (info.header.join('\u0000') !== first.join('\u0000'))
      throw invalid(
        `${field} has the header ${info.header.join(',')}, not ${first.join(',')} as the train file`,
        {
          reason: 'header_mismatch',
          errors: [{ field, message: 'header differs from the train file' }],
        },
      );
    rows[split] = info.rows;
    files.push(path);
  }
  async function* bytes(): AsyncGenerator<Buffer> {
    let endsWithNewline = true;
    for (let i = 0; i < files.length; i++) {
      if (!endsWithNewline) yield Buffer.from('\n');
      let skipping = i > 0; // later files: drop the header line
      for await (const c of createReadStream(files[i]!)) {
        let chunk = c as Buffer;
        if (skipping) {
          const nl = chunk.indexOf(0x0a);
          if (nl < 0) continue;
          chunk = chunk.subarray(nl + 1);
          skipping = false;
        }
        if (chunk.length === 0) continue;
        endsWithNewline = chunk[chunk.length - 1] === 0x0a;
        yield chunk;
      }
    }
  }
  return { body: Readable.from(bytes()), rows };
}

/** Imports separate split files on the server as one version split exactly as given (copied into storage). */
export async function registerSplitFiles(
  datasets: DatasetsService,
  input: Omit<CreateVersionInput, 'body' | 'source' | 'format' | 'split' | 'splitRows'> & {
    paths: SplitPaths;
  },
): Promise<DatasetVersionView> {
  const { paths, ...rest } = input;
  const { body, rows } = await concatSplitFiles(paths);
  return datasets.createVersionFromStream({ ...rest, body, splitRows: rows, source: 'path' });
}
