/**
 * CSV payloads with pandas-like semantics (header row required, empty/NA/NaN/null → missing,
 * UTF-8 only). Two paths: `createCsvAligner(...).parse` reads numbers straight from bytes into a
 * row-major matrix in the model's input order (plain lines in a wasm kernel, csv-wasm.ts, the
 * rest in JS; returns -1 when it cannot decide, e.g. quoted fields or text cells), and
 * `parseCsvTable`, the general path (csv-parse for quotes).
 */
import { parseNumberBytes } from '../../learn/index.js';
import { parse as csvParse } from 'csv-parse/sync';
import { invalid } from '../../errors.js';
import { createCsvKernel, MAP, STATUS } from './csv-wasm.js';
import type { CsvKernel } from './csv-wasm.js';
import type { Table, TableColumn } from './serving.types.js';

const MISSING = new Set([
  '',
  'NA',
  'N/A',
  'NaN',
  'nan',
  'null',
  'NULL',
  'None',
  '#N/A',
  '-NaN',
  '-nan',
  'n/a',
]);
const NUMERIC_RE = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?(inf|Infinity)\s*$/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Exact powers of ten for the fast decimal path (10^22 is the largest exactly representable). */
const P10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Bodies up to this size go through the wasm kernel (its memory needs ~2-9x the body). */
const KERNEL_MAX_BYTES = 4 << 20;
/** Smaller bodies (a row or two) are read in place by JS: setting up the kernel costs ~0.8 µs more. */
const KERNEL_MIN_BYTES = 512;
/**
 * A wasm memory cannot shrink: after a call that grew the kernel's memory past this, the kernel
 * is dropped (the next call makes a new one, ~0.1 ms) so one large payload does not pin up to
 * ~36 MB per model for the life of the server. Bodies up to ~1.5 MB stay under it.
 */
const KERNEL_KEEP_BYTES = 16 << 20;

/** Input alignment of a CSV header: file column j feeds model input map[j] (-1 = ignored). */
interface CsvPlan {
  header: string;
  /** The header line's bytes: a request with the same header is recognised by one memcmp. */
  headerBytes: Buffer;
  map: Int32Array;
  k: number;
}

/** Caches the plan of the last header seen, so repeated requests skip name lookups. */
export interface CsvAligner {
  /**
   * Parses `body` into `out` (grown if needed) as nRows × k in the model's input order; returns
   * the row count, or -1 when the general path must decide (quotes, text cells, non-UTF-8).
   */
  parse(body: Uint8Array, scratch: { buf: Float64Array }): number;
}

/**
 * names = model input names (null: positional, k columns in file order). `kernelMinBytes` (tests)
 * sends smaller bodies through the wasm kernel too, so both readers meet the same edge cases.
 */
export function createCsvAligner(
  names: string[] | null,
  k: number,
  { kernelMinBytes = KERNEL_MIN_BYTES }: { kernelMinBytes?: number } = {},
): CsvAligner {
  let plan: CsvPlan | null = null;
  const index = names ? new Map(names.map((n, i) => [n, i])) : null;

  function makePlan(header: string): CsvPlan {
    const cols = header.split(',');
    const map = new Int32Array(cols.length).fill(-1);
    if (index) {
      const seen = new Uint8Array(k);
      cols.forEach((c, j) => {
        const m = index.get(c) ?? index.get(c.trim());
        if (m !== undefined && !seen[m]) {
          map[j] = m;
          seen[m] = 1;
        }
      });
      const missing = names!.filter((_, i) => !seen[i]);
      if (missing.length > 0)
        throw invalid(`the payload lacks column(s) the model needs: ${missing.slice(0, 10).join(', ')}`, {
          reason: 'missing_columns',
        });
    } else {
      if (cols.length !== k)
        throw invalid(`the model takes ${k} columns, the payload has ${cols.length}`, {
          reason: 'column_count',
        });
      for (let j = 0; j < k; j++) map[j] = j;
    }
    return { header, headerBytes: Buffer.from(header, 'latin1'), map, k };
  }

  let kernel: CsvKernel | null = null;

  const release = (w: CsvKernel) => {
    if (w.u8.length > KERNEL_KEEP_BYTES) kernel = null;
  };

  /**
   * The body from `start` copied into the kernel's memory (with a final '\n' if missing) and
   * read there; parseLines reads each line the kernel leaves, then the kernel resumes. When the
   * kernel stops within a few lines, most lines need the JS rules: parseLines reads the rest.
   */
  function parseWithKernel(b: Uint8Array, start: number, map: Int32Array, scratch: { buf: Float64Array }) {
    const w = (kernel ??= createCsvKernel());
    const nc = map.length;
    let len = b.length - start;
    const inAt = align8(MAP + 4 * nc);
    const outAt = align8(inAt + len + 1);
    // An accepted line has nc - 1 commas and a '\n': fewer than maxRows rows.
    const maxRows = Math.floor((len + 1) / nc) + 1;
    w.reserve(outAt + 8 * k * maxRows);
    w.i32.set(map, MAP / 4);
    w.u8.set(b.subarray(start), inAt);
    if (len > 0 && w.u8[inAt + len - 1] !== 0x0a) w.u8[inAt + len++] = 0x0a;
    const body = Buffer.from(w.u8.buffer, inAt, len);
    const st: LinesState = { out: w.f64.subarray(outAt / 8, outAt / 8 + k * maxRows), row: 0, line: 2 };
    let p = 0;
    while (p < len) {
      const before = st.line;
      p = w.run(inAt + p, inAt + len, st.row, st.line, nc, k, outAt) - inAt;
      st.row = w.i32[(STATUS + 4) / 4]!;
      st.line = w.i32[(STATUS + 8) / 4]!;
      if (p >= len) break;
      const to = st.line - before < 4 ? len : body.indexOf(0x0a, p) + 1;
      if (!parseLines(body, p, to, map, k, st)) {
        release(w);
        return -1;
      }
      p = to;
    }
    if (scratch.buf.length < st.row * k) scratch.buf = new Float64Array(Math.max(16, st.row) * k);
    scratch.buf.set(st.out.subarray(0, st.row * k));
    release(w);
    return st.row;
  }

  return {
    parse(b, scratch) {
      if (b.indexOf(0x22) !== -1) return -1;
      const pos = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
      let lineEnd = b.indexOf(0x0a, pos);
      if (lineEnd === -1) lineEnd = b.length;
      const hEnd = lineEnd > pos && b[lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd;
      if (!plan || plan.headerBytes.length !== hEnd - pos || plan.headerBytes.compare(b, pos, hEnd) !== 0) {
        for (let i = pos; i < hEnd; i++) if (b[i]! > 127) return -1;
        const header = Buffer.from(b.buffer, b.byteOffset + pos, hEnd - pos).toString('latin1');
        plan = makePlan(header);
      }
      const { map } = plan;
      // Single-column CSVs keep blank lines as missing rows (pandas); leave that to the general path.
      if (map.length === 1) return -1;
      const start = lineEnd + 1;
      const size = b.length - start;
      if (size >= kernelMinBytes && size <= KERNEL_MAX_BYTES) return parseWithKernel(b, start, map, scratch);
      // Lines up to the last '\n' are parsed in place: that '\n' ends every scan, so the byte
      // loops need no end-of-body test. A last line without '\n' is parsed from a copy that has one.
      const st: LinesState = { out: scratch.buf, row: 0, line: 2 };
      const last = b.lastIndexOf(0x0a);
      if (last >= start && !parseLines(b, start, last + 1, map, k, st)) return -1;
      const tail = Math.max(start, last + 1);
      if (tail < b.length) {
        const t = Buffer.allocUnsafe(b.length - tail + 1);
        t.set(b.subarray(tail));
        t[t.length - 1] = 0x0a;
        if (!parseLines(t, 0, t.length, map, k, st)) return -1;
      }
      scratch.buf = st.out;
      return st.row;
    },
  };
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Output matrix, rows written so far, and the 1-based line number of the next line. */
interface LinesState {
  out: Float64Array;
  row: number;
  line: number;
}

/**
 * Parses the lines of b[i, end) (b[end - 1] is '\n') into st.out, nc = map.length fields a line.
 * Fields end at ',', '\n' or '\r\n'; plain decimals (sign, ≤ 15 digits, no exponent) are read
 * while scanning, anything else goes to parseNumberBytes. Returns false when the general path
 * must decide (text cells, a lone '\r'). No per-line search calls: Buffer#indexOf costs ~0.1 µs.
 */
function parseLines(
  b: Uint8Array,
  i: number,
  end: number,
  map: Int32Array,
  k: number,
  st: LinesState,
): boolean {
  const nc = map.length;
  let { out, row, line } = st;
  let cap = Math.floor(out.length / k);
  while (i < end) {
    let c = b[i]!;
    // Blank lines are skipped (pandas, with more than one column).
    if (c === 0x0a || (c === 0x0d && b[i + 1] === 0x0a)) {
      i += c === 0x0a ? 1 : 2;
      line++;
      continue;
    }
    if (row === cap) {
      cap = Math.max(16, cap * 2);
      const grown = new Float64Array(cap * k);
      grown.set(out.subarray(0, row * k));
      out = st.out = grown;
    }
    const base = row * k;
    let field = 0;
    for (;;) {
      if (field >= nc)
        throw invalid(`CSV line ${line}: more than ${nc} fields`, { reason: 'csv_ragged_row' });
      const s = i;
      const m = map[field]!;
      c = b[i]!;
      if (m < 0) {
        while (c !== 0x2c && c !== 0x0a && c !== 0x0d) c = b[++i]!;
      } else {
        let neg = false;
        if (c < 0x30 && (c === 0x2d || c === 0x2b)) {
          neg = c === 0x2d;
          c = b[++i]!;
        }
        // Digits before and after '.' (their count, not the significant digits: a long
        // zero-padded field takes parseNumberBytes, which gives the same value).
        let mant = 0;
        const d0 = i;
        let d = c - 0x30;
        while (d >>> 0 < 10) {
          mant = mant * 10 + d;
          d = b[++i]! - 0x30;
        }
        c = d + 0x30;
        let nd = i - d0;
        let scale = 0;
        if (c === 0x2e) {
          const f0 = ++i;
          d = b[i]! - 0x30;
          while (d >>> 0 < 10) {
            mant = mant * 10 + d;
            d = b[++i]! - 0x30;
          }
          c = d + 0x30;
          scale = i - f0;
          nd += scale;
        }
        let v: number | undefined;
        // ≤ 15 digits: mant and 10^scale are exact, so one division rounds like Number() does.
        if ((c === 0x2c || c === 0x0a || c === 0x0d) && nd > 0 && nd <= 15) {
          v = mant / P10[scale]!;
          if (neg) v = -v;
        } else {
          while (c !== 0x2c && c !== 0x0a && c !== 0x0d) c = b[++i]!;
          v = parseNumberBytes(b, s, i);
          if (v === undefined) {
            if (!MISSING.has(Buffer.from(b.buffer, b.byteOffset + s, i - s).toString('latin1'))) return false;
            v = NaN;
          }
        }
        out[base + m] = v;
      }
      field++;
      if (c === 0x2c) {
        i++;
        continue;
      }
      // End of line: '\n' or '\r\n' (a lone '\r' is left to csv-parse).
      if (c === 0x0d) {
        if (b[i + 1] !== 0x0a) return false;
        i++;
      }
      i++;
      break;
    }
    if (field !== nc)
      throw invalid(`CSV line ${line}: ${field} fields, expected ${nc}`, { reason: 'csv_ragged_row' });
    row++;
    line++;
  }
  st.row = row;
  st.line = line;
  return true;
}

/** General CSV → Table: numeric columns when every cell is a number or missing, else text. */
export function parseCsvTable(body: Uint8Array): Table {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw invalid('Supplied CSV input file encoding must be UTF-8', { reason: 'csv_encoding' });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw invalid('the CSV payload is empty', { reason: 'empty_payload' });
  let records: string[][];
  if (text.includes('"')) {
    try {
      records = csvParse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
    } catch (e) {
      throw invalid(`malformed CSV: ${(e as Error).message}`, { reason: 'csv_malformed' });
    }
  } else {
    records = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l).split(','));
    if (text.endsWith('\n')) records.pop();
  }
  const names = records[0]!;
  const nc = names.length;
  const rows: string[][] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    const blank = rec.length === 1 && rec[0] === '';
    if (blank && nc > 1) continue;
    if (rec.length !== nc)
      throw invalid(`CSV line ${r + 1}: ${rec.length} fields, expected ${nc}`, { reason: 'csv_ragged_row' });
    rows.push(rec);
  }
  if (rows.length === 0)
    throw invalid('the CSV payload has a header but no data rows', { reason: 'no_rows' });
  const columns: TableColumn[] = names.map((_, j) => textColumn(rows.map((r) => r[j]!)));
  return { nRows: rows.length, names, columns };
}

/** Numbers when every cell is numeric or missing; otherwise the strings (missing → null). */
export function textColumn(cells: string[]): TableColumn {
  const n = cells.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = cells[i]!;
    if (MISSING.has(c)) values[i] = NaN;
    else if (NUMERIC_RE.test(c)) values[i] = Number(c.trim().replace(/^([+-]?)inf$/i, '$1Infinity'));
    else return cells.map((s) => (MISSING.has(s) ? null : s));
  }
  return values;
}

/** Whether a text cell counts as missing (pandas' default NA strings). */
export function isMissingText(s: string): boolean {
  return MISSING.has(s);
}

/** Whether a text cell is a number pandas would read. */
export function isNumericText(s: string): boolean {
  return NUMERIC_RE.test(s);
}

/** Renders a Table as CSV (header + rows), quoting text cells that need it. */
export function tableToCsv(t: Table): string {
  const names = t.names ?? t.columns.map((_, j) => String(j));
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [names.map(q).join(',')];
  for (let i = 0; i < t.nRows; i++) {
    lines.push(
      t.columns
        .map((c) => {
          const v = c[i];
          if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
          return v === null || v === undefined ? '' : q(v);
        })
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}
