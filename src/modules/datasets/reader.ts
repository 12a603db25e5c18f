/**
 * Reading stored data back by split: paged previews and per-split CSV downloads. Both walk the
 * data once and use the stored one-byte-a-row assignment, so they see exactly the upload's split.
 */
import { Readable } from 'node:stream';
import { CsvParser, Utf8Chunker, readCsvRecords, toCsvLine } from './csv-reader.js';
import { listZipImages, type ZipSource } from './images.js';
import { SPLIT_NAMES, type SplitName } from './splits.js';

export type SplitFilter = SplitName | 'all';

const codeOf = (split: SplitFilter) => (split === 'all' ? -1 : SPLIT_NAMES.indexOf(split));

/** Rows `start … start+length-1` of a split (counted within the split), read from a CSV stream. */
export async function previewCsv(
  stream: Readable,
  assignment: Uint8Array,
  q: { split: SplitFilter; start: number; length: number },
): Promise<{ columns: string[]; rows: string[][] }> {
  const code = codeOf(q.split);
  let columns: string[] | null = null;
  const rows: string[][] = [];
  let index = 0;
  let matched = 0;
  const end = q.start + q.length;
  await readCsvRecords(stream, (fields) => {
    if (columns === null) {
      columns = fields;
      return;
    }
    const i = index++;
    if (code >= 0 && assignment[i] !== code) return;
    const k = matched++;
    if (k >= q.start) rows.push(fields);
    return matched < end;
  });
  return { columns: columns ?? [], rows };
}

/** The same preview for an image zip: rows are (path, label). */
export async function previewZip(
  source: ZipSource,
  assignment: Uint8Array,
  q: { split: SplitFilter; start: number; length: number },
): Promise<{ columns: string[]; rows: string[][] }> {
  const code = codeOf(q.split);
  const { items } = await listZipImages(source);
  const chosen = items.filter((_, i) => code < 0 || assignment[i] === code);
  return {
    columns: ['path', 'label'],
    rows: chosen.slice(q.start, q.start + q.length).map((it) => [it.path, it.label]),
  };
}

/** Streams the header and the rows of one split as CSV, chunk by chunk with backpressure. */
export function splitCsvStream(stream: Readable, assignment: Uint8Array, split: SplitName): Readable {
  const code = codeOf(split);
  async function* lines() {
    const utf8 = new Utf8Chunker();
    let out: string[] = [];
    let header = true;
    let index = 0;
    const parser = new CsvParser((fields) => {
      if (header) header = false;
      else if (assignment[index++] !== code) return;
      out.push(toCsvLine(fields));
    });
    try {
      for await (const chunk of stream) {
        parser.push(utf8.decode(chunk as Buffer));
        if (out.length > 0) {
          yield out.join('');
          out = [];
        }
      }
      parser.push(utf8.end());
      parser.end();
      if (out.length > 0) yield out.join('');
    } finally {
      stream.destroy();
    }
  }
  return Readable.from(lines(), { objectMode: false });
}

/** One split of an image zip as a (path, label) CSV. */
export async function splitZipCsv(
  source: ZipSource,
  assignment: Uint8Array,
  split: SplitName,
): Promise<Readable> {
  const code = codeOf(split);
  const { items } = await listZipImages(source);
  const body = ['path,label\n'];
  items.forEach((it, i) => {
    if (assignment[i] === code) body.push(toCsvLine([it.path, it.label]));
  });
  return Readable.from([body.join('')]);
}
