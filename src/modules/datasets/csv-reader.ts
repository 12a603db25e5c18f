/**
 * Streaming CSV reading (RFC 4180: comma separator, `"` quoting with `""` escapes, LF or CRLF line
 * ends) shared by the upload profiler, row previews and split downloads. Hand-written because it
 * runs over every byte of every upload; it keeps nothing but the record being read.
 */
import type { Readable } from 'node:stream';
import { invalid } from '../../errors.js';

/** Receives each record with the 1-based physical line it starts on; return false to stop reading. */
export type RecordSink = (fields: string[], line: number) => boolean | void;

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

const enum State {
  /** In an unquoted field (or at the start of a field). */
  Plain,
  /** Inside a quoted field. */
  Quoted,
  /** Just read a `"` inside a quoted field: either an escaped quote or the closing one. */
  QuoteInQuoted,
  /** After a closing quote: only a separator or line end may follow. */
  AfterQuoted,
}

export function csvError(reason: string, message: string) {
  return invalid(message, { reason, errors: [{ field: 'file', message }] });
}

/** Incremental CSV parser over decoded text chunks. Blank lines are skipped. */
export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private fieldStarted = false;
  private state = State.Plain;
  private skipLf = false;
  private stopped = false;
  /** Current physical line (1-based). */
  line = 1;
  private recordLine = 1;

  constructor(private readonly sink: RecordSink) {}

  /** True once the sink asked to stop. */
  get done(): boolean {
    return this.stopped;
  }

  push(s: string): void {
    const n = s.length;
    let i = 0;
    if (this.skipLf && n > 0) {
      this.skipLf = false;
      if (s.charCodeAt(0) === LF) i = 1;
    }
    while (i < n && !this.stopped) {
      switch (this.state) {
        case State.Plain: {
          if (!this.fieldStarted && s.charCodeAt(i) === QUOTE) {
            this.state = State.Quoted;
            this.fieldStarted = true;
            i++;
            break;
          }
          let j = i;
          let c = 0;
          for (; j < n; j++) {
            c = s.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR) break;
          }
          if (j > i) this.field = this.fieldStarted ? this.field + s.slice(i, j) : s.slice(i, j);
          this.fieldStarted = true;
          if (j === n) return;
          i = this.delimiter(s, j, c);
          break;
        }
        case State.Quoted: {
          const q = s.indexOf('"', i);
          const end = q < 0 ? n : q;
          this.field += s.slice(i, end);
          for (let k = s.indexOf('\n', i); k >= 0 && k < end; k = s.indexOf('\n', k + 1)) this.line++;
          if (q < 0) return;
          this.state = State.QuoteInQuoted;
          i = q + 1;
          break;
        }
        case State.QuoteInQuoted: {
          if (s.charCodeAt(i) === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            i++;
          } else this.state = State.AfterQuoted;
          break;
        }
        case State.AfterQuoted: {
          const c = s.charCodeAt(i);
          if (c !== COMMA && c !== LF && c !== CR) {
            throw csvError(
              'csv_malformed',
              `line ${this.line}: unexpected character '${s[i]}' after a closing quote (quote the whole field and double inner quotes)`,
            );
          }
          this.state = State.Plain;
          i = this.delimiter(s, i, c);
          break;
        }
      }
    }
  }

  /** Flushes the last record; throws when a quoted field is still open. */
  end(): void {
    if (this.stopped) return;
    if (this.state === State.Quoted) {
      throw csvError(
        'csv_unterminated_quote',
        `line ${this.recordLine}: a quoted field is never closed before the end of the file`,
      );
    }
    if (this.fieldStarted || this.fields.length > 0) this.endRecord();
  }

  private delimiter(s: string, j: number, c: number): number {
    this.fields.push(this.field);
    this.field = '';
    this.fieldStarted = false;
    if (c === COMMA) return j + 1;
    this.endRecord();
    this.line++;
    this.recordLine = this.line;
    if (c === CR) {
      if (j + 1 < s.length) return s.charCodeAt(j + 1) === LF ? j + 2 : j + 1;
      this.skipLf = true;
    }
    return j + 1;
  }

  private endRecord(): void {
    if (this.fieldStarted) {
      this.fields.push(this.field);
      this.field = '';
      this.fieldStarted = false;
    }
    const fields = this.fields;
    this.fields = [];
    if (fields.length === 1 && fields[0] === '') return;
    if (this.sink(fields, this.recordLine) === false) this.stopped = true;
  }
}

/**
 * Bytes → text with strict UTF-8 checking: invalid bytes fail with their byte offset and line
 * instead of turning into U+FFFD. A leading BOM is dropped (TextDecoder's default).
 */
export class Utf8Chunker {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private offset = 0;
  private newlines = 0;

  decode(chunk: Uint8Array): string {
    let s: string;
    try {
      s = this.decoder.decode(chunk, { stream: true });
    } catch {
      const at = firstInvalidUtf8(chunk);
      let line = this.newlines;
      for (let k = 0; k < at; k++) if (chunk[k] === LF) line++;
      throw csvError(
        'csv_invalid_utf8',
        `line ${line + 1}: invalid UTF-8 at byte offset ${this.offset + at}; save the file as UTF-8`,
      );
    }
    for (let k = chunk.indexOf(LF); k >= 0; k = chunk.indexOf(LF, k + 1)) this.newlines++;
    this.offset += chunk.length;
    return s;
  }

  end(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw csvError(
        'csv_invalid_utf8',
        `line ${this.newlines + 1}: the file ends inside a UTF-8 character (byte offset ${this.offset})`,
      );
    }
  }
}

/** Index of the first byte that cannot start or continue a valid UTF-8 sequence (0 when not found). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  // Skip continuation bytes left over from a sequence that began in the previous chunk.
  while (i < 3 && i < b.length && (b[i]! & 0xc0) === 0x80) i++;
  while (i < b.length) {
    const c = b[i]!;
    let need: number;
    if (c < 0x80) need = 0;
    else if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) need = 2;
    else if (c >= 0xf0 && c <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= b.length) return i;
      if ((b[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return 0;
}

/**
 * Reads a CSV byte stream record by record. The sink may return false to stop early (the stream
 * is then destroyed). Resolves once the stream ends or the sink stopped.
 */
export async function readCsvRecords(stream: Readable, sink: RecordSink): Promise<void> {
  const utf8 = new Utf8Chunker();
  const parser = new CsvParser(sink);
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      parser.push(utf8.decode(bytes));
      if (parser.done) return;
    }
    parser.push(utf8.end());
    parser.end();
  } finally {
    stream.destroy();
  }
}

/** One CSV line (with trailing LF) for the given fields, quoting only where needed. */
export function toCsvLine(fields: readonly string[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (i > 0) out += ',';
    out += /[",\r\n]/.test(f) || f.trim() !== f ? `"${f.replace(/"/g, '""')}"` : f;
  }
  return out + '\n';
}
