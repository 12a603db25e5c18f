/**
 * CSV payloads with pandas-like semantics (header row required, empty/NA/NaN/null → missing,
 * UTF-8 only). Two paths: `parseCsvAligned` parses numbers straight from bytes into a row-major
 * matrix in the model's input order (the 1-row hot path; returns null when it cannot decide,
 * e.g. quoted fields or text cells), and `parseCsvTable`, the general path (csv-parse for quotes).
 */
import { parseNumberBytes } from '../../learn/index.js';
import { parse as csvParse } from 'csv-parse/sync';
import { invalid } from '../../errors.js';
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

/** Input alignment of a CSV header: file column j feeds model input map[j] (-1 = ignored). */
interface CsvPlan {
  header: string;
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

/** names = model input names (null: positional, k columns in file order). */
export function createCsvAligner(names: string[] | null, k: number): CsvAligner {
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
    return { header, map, k };
  }

  return {
    parse(b, scratch) {
      if (b.indexOf(0x22) !== -1) return -1;
      const pos = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
      let lineEnd = b.indexOf(0x0a, pos);
      if (lineEnd === -1) lineEnd = b.length;
      const hEnd = lineEnd > pos && b[lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd;
      for (let i = pos; i < hEnd; i++) if (b[i]! > 127) return -1;
      const header = Buffer.from(b.buffer, b.byteOffset + pos, hEnd - pos).toString('latin1');
      if (!plan || plan.header !== header) plan = makePlan(header);
      const { map } = plan;
      const nc = map.length;
      // Single-column CSVs keep blank lines as missing rows (pandas); leave that to the general path.
      if (nc === 1) return -1;
      // One pass over the body: fields end at ',', '\n' or '\r\n'; plain decimals (sign, ≤ 15
      // significant digits, no exponent) are read while scanning, anything else goes to
      // parseNumberBytes. No per-line search calls: Buffer#indexOf costs ~0.1 µs a call.
      const len = b.length;
      let out = scratch.buf;
      let cap = Math.floor(out.length / k);
      let row = 0;
      let line = 2;
      let i = lineEnd + 1;
      while (i < len) {
        let c = b[i]!;
        // Blank lines are skipped (pandas, with more than one column).
        if (c === 0x0a || (c === 0x0d && (i + 1 === len || b[i + 1] === 0x0a))) {
          i += c === 0x0a ? 1 : 2;
          line++;
          continue;
        }
        if (row === cap) {
          cap = Math.max(16, cap * 2);
          const grown = new Float64Array(cap * k);
          grown.set(out.subarray(0, row * k));
          out = scratch.buf = grown;
        }
        const base = row * k;
        let field = 0;
        for (;;) {
          if (field >= nc)
            throw invalid(`CSV line ${line}: more than ${nc} fields`, { reason: 'csv_ragged_row' });
          const s = i;
          const m = map[field]!;
          c = i < len ? b[i]! : 0x0a;
          if (m < 0) {
            while (c !== 0x2c && c !== 0x0a && c !== 0x0d) c = ++i < len ? b[i]! : 0x0a;
          } else {
            const neg = c === 0x2d;
            if (neg || c === 0x2b) c = ++i < len ? b[i]! : 0x0a;
            let mant = 0;
            let digits = 0;
            let scale = 0;
            let any = false;
            while (c >= 0x30 && c <= 0x39) {
              mant = mant * 10 + (c - 0x30);
              if (mant > 0) digits++;
              any = true;
              c = ++i < len ? b[i]! : 0x0a;
            }
            if (c === 0x2e) {
              c = ++i < len ? b[i]! : 0x0a;
              while (c >= 0x30 && c <= 0x39) {
                mant = mant * 10 + (c - 0x30);
                if (mant > 0) digits++;
                scale++;
                any = true;
                c = ++i < len ? b[i]! : 0x0a;
              }
            }
            let v: number | undefined;
            if ((c === 0x2c || c === 0x0a || c === 0x0d) && any && digits <= 15 && scale <= 22) {
              v = scale === 0 ? mant : mant / P10[scale]!;
              if (neg) v = -v;
            } else {
              while (c !== 0x2c && c !== 0x0a && c !== 0x0d) c = ++i < len ? b[i]! : 0x0a;
              v = parseNumberBytes(b, s, i);
              if (v === undefined) {
                if (!MISSING.has(Buffer.from(b.buffer, b.byteOffset + s, i - s).toString('latin1')))
                  return -1;
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
          // End of line: '\n', '\r\n', or the end of the body. A lone '\r' is left to csv-parse.
          if (c === 0x0d) {
            if (i + 1 < len && b[i + 1] !== 0x0a) return -1;
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
      return row;
    },
  };
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
