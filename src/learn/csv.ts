/**
 * CSV → Frame. Two tokenizers: a fast byte path for files without quotes (the common numeric
 * export), which records field offsets and parses numbers straight from bytes, and a general
 * RFC 4180 path (quoted fields, escaped quotes, embedded delimiters and newlines).
 */
import { categoricalFromStrings, createFrame } from './frame.js';
import type { Column, Frame } from './frame.js';

export interface ParseCsvOptions {
  /** Field separator, one ASCII character (default ","). */
  delimiter?: string;
  /** Columns to read as categorical even when every value is a number. */
  categorical?: string[];
  /** Cell values that mean "missing" (default: empty, NA, N/A, NaN, nan, null, NULL). */
  missing?: string[];
}

const DEFAULT_MISSING = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'];
const P10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const NUMERIC_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const utf8 = new TextDecoder();

/** Parses CSV text (string or UTF-8 bytes) with a header row into a typed frame. */
export function parseCsv(input: string | Uint8Array, options: ParseCsvOptions = {}): Frame {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter.charCodeAt(0) > 127)
    throw new Error('delimiter must be one ASCII character');
  const missing = new Set(options.missing ?? DEFAULT_MISSING);
  const forced = new Set(options.categorical ?? []);
  const frame =
    bytes.indexOf(0x22) === -1
      ? parseFast(bytes, delimiter.charCodeAt(0), missing, forced)
      : parseGeneral(utf8.decode(bytes), delimiter, missing, forced);
  for (const name of forced) {
    if (!frame.columns.some((c) => c.name === name))
      throw new Error(`categorical column "${name}" not in CSV header`);
  }
  return frame;
}

function parseFast(b: Uint8Array, delim: number, missing: Set<string>, forced: Set<string>): Frame {
  let pos = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  let lineEnd = b.indexOf(0x0a, pos);
  if (lineEnd === -1) lineEnd = b.length;
  const names = utf8.decode(b.subarray(pos, trimCr(b, pos, lineEnd))).split(String.fromCharCode(delim));
  const nc = names.length;
  pos = lineEnd + 1;
  let cap = Math.max(16, Math.ceil(((b.length - pos) / Math.max(1, lineEnd)) * 1.1) + 16) * nc;
  let starts: Uint32Array = new Uint32Array(cap);
  let ends: Uint32Array = new Uint32Array(cap);
  let nRows = 0;
  let line = 2;
  while (pos < b.length) {
    let end = b.indexOf(0x0a, pos);
    if (end === -1) end = b.length;
    const stop = trimCr(b, pos, end);
    if (stop > pos) {
      if ((nRows + 1) * nc > cap) {
        cap *= 2;
        starts = grow(starts, cap);
        ends = grow(ends, cap);
      }
      let k = nRows * nc;
      let s = pos;
      let field = 0;
      for (let i = pos; i <= stop; i++) {
        if (i === stop || b[i] === delim) {
          if (field >= nc) throw new Error(`CSV line ${line}: more than ${nc} fields`);
          starts[k] = s;
          ends[k++] = i;
          field++;
          s = i + 1;
        }
      }
      if (field !== nc) throw new Error(`CSV line ${line}: ${field} fields, expected ${nc}`);
      nRows++;
    }
    pos = end + 1;
    line++;
  }
  const columns: Column[] = names.map((name, j) => {
    if (!forced.has(name)) {
      const values = new Float64Array(nRows);
      let ok = true;
      for (let i = 0; i < nRows && ok; i++) {
        const s = starts[i * nc + j]!;
        const e = ends[i * nc + j]!;
        const v = parseNumberBytes(b, s, e);
        if (v === undefined) {
          const text = utf8.decode(b.subarray(s, e));
          if (missing.has(text)) values[i] = NaN;
          else ok = false;
        } else values[i] = v;
      }
      if (ok) return { kind: 'numeric', name, values };
    }
    const strings = new Array<string | null>(nRows);
    for (let i = 0; i < nRows; i++) {
      const text = utf8.decode(b.subarray(starts[i * nc + j]!, ends[i * nc + j]!));
      strings[i] = missing.has(text) ? null : text;
    }
    return categoricalFromStrings(name, strings);
  });
  return createFrame(columns);
}

function trimCr(b: Uint8Array, start: number, end: number): number {
  return end > start && b[end - 1] === 0x0d ? end - 1 : end;
}

function grow(a: Uint32Array, cap: number): Uint32Array {
  const n = new Uint32Array(cap);
  n.set(a);
  return n;
}

/**
 * Parses a decimal number from bytes, or returns undefined when the field is not one. Uses the
 * exact fast path (mantissa < 2^53, |exponent| ≤ 22 gives one correctly rounded operation) and
 * falls back to Number() for the rest, so results always equal Number(text).
 */
export function parseNumberBytes(b: Uint8Array, s: number, e: number): number | undefined {
  let i = s;
  let neg = false;
  if (i < e && (b[i] === 0x2d || b[i] === 0x2b)) neg = b[i++] === 0x2d;
  let mant = 0;
  let digits = 0;
  let exp = 0;
  let any = false;
  let c = 0;
  while (i < e && (c = b[i]! - 48) >= 0 && c <= 9) {
    mant = mant * 10 + c;
    if (mant > 0) digits++;
    any = true;
    i++;
  }
  if (i < e && b[i] === 0x2e) {
    i++;
    while (i < e && (c = b[i]! - 48) >= 0 && c <= 9) {
      mant = mant * 10 + c;
      if (mant > 0) digits++;
      exp--;
      any = true;
      i++;
    }
  }
  if (!any) return undefined;
  if (i < e && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    let eneg = false;
    if (i < e && (b[i] === 0x2d || b[i] === 0x2b)) eneg = b[i++] === 0x2d;
    let ev = 0;
    let edigits = 0;
    while (i < e && (c = b[i]! - 48) >= 0 && c <= 9) {
      ev = ev * 10 + c;
      edigits++;
      i++;
    }
    if (edigits === 0) return undefined;
    exp += eneg ? -ev : ev;
  }
  if (i !== e) return undefined;
  if (digits <= 15 && exp >= -22 && exp <= 22) {
    const v = exp < 0 ? mant / P10[-exp]! : mant * P10[exp]!;
    return neg ? -v : v;
  }
  return Number(utf8.decode(b.subarray(s, e)));
}

function parseGeneral(text: string, delimiter: string, missing: Set<string>, forced: Set<string>): Frame {
  const rows = tokenize(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, delimiter);
  const header = rows.shift();
  if (!header) throw new Error('CSV has no header row');
  const nc = header.length;
  rows.forEach((r, i) => {
    if (r.length !== nc) throw new Error(`CSV record ${i + 2}: ${r.length} fields, expected ${nc}`);
  });
  const columns: Column[] = header.map((name, j) => {
    const cells = rows.map((r) => r[j]!);
    const isMissing = (s: string): boolean => missing.has(s);
    if (!forced.has(name) && cells.every((s) => isMissing(s) || NUMERIC_RE.test(s))) {
      return {
        kind: 'numeric',
        name,
        values: Float64Array.from(cells, (s) => (isMissing(s) ? NaN : Number(s))),
      };
    }
    return categoricalFromStrings(
      name,
      cells.map((s) => (isMissing(s) ? null : s)),
    );
  });
  return createFrame(columns);
}

/** RFC 4180 tokenizer; blank lines are skipped. */
function tokenize(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  const endRow = (): void => {
    if (row.length > 0 || field !== '' || wasQuoted) {
      row.push(field);
      rows.push(row);
    }
    row = [];
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (ch === delimiter) {
      row.push(field);
      field = '';
      wasQuoted = false;
    } else if (ch === '\n') endRow();
    else if (ch !== '\r') field += ch;
  }
  if (quoted) throw new Error('CSV ends inside a quoted field');
  endRow();
  return rows;
}
