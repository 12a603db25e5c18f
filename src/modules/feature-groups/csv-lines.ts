import { Readable } from 'node:stream';
import { invalid } from '../../errors.js';

/** Lines are handed downstream in chunks of about this size: one write per line is slow. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Turns a generator of CSV lines (header first) into a stream, after pulling the header and the
 * first data row: a source that yields no data rows becomes a clear 400 before a dataset version
 * is started, and source errors that happen up front (connection refused, bad query) surface as
 * themselves rather than as a failed upload.
 */
export async function csvStreamWithRows(
  lines: AsyncGenerator<string>,
  emptyMessage: string,
): Promise<Readable> {
  const header = await lines.next();
  const first = header.done ? header : await lines.next();
  if (header.done || first.done) {
    await lines.return(undefined);
    throw invalid(emptyMessage, { reason: 'no_rows' });
  }
  async function* chunks() {
    let buf = header.value + first.value;
    for await (const line of lines) {
      buf += line;
      if (buf.length >= CHUNK_CHARS) {
        yield buf;
        buf = '';
      }
    }
    if (buf !== '') yield buf;
  }
  return Readable.from(chunks(), { objectMode: false });
}
