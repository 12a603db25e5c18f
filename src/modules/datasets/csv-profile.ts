/**
 * One-pass CSV profiler: fed the raw upload bytes chunk by chunk while they stream to the blob
 * store, it validates the file and computes per-column types and statistics. Memory stays
 * bounded: per column a few numbers and at most DISTINCT_CAP distinct values; per row only the
 * target's class code (2 bytes) when a target is given.
 */
import { invalid } from '../../errors.js';
import { CsvParser, Utf8Chunker, csvError } from './csv-reader.js';

export const COLUMN_TYPES = ['int', 'float', 'bool', 'category', 'text', 'datetime'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];
export const TASK_KINDS = ['binary', 'multiclass', 'regression'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Distinct values tracked per column before it is called free text. */
export const DISTINCT_CAP = 1000;
/** Values longer than this are never tracked as categories. */
const CATEGORY_MAX_CHARS = 200;
/** An integer target with at most this many classes is a classification target. */
const MAX_INT_CLASSES = 20;
const TOP_VALUES = 20;
/** Written in the target-code array for rows whose target is missing. */
export const MISSING_CODE = 0xffff;

/** Cell values read as missing (the usual spellings, as pandas reads them). */
const MISSING = new Set(['', 'NA', 'N/A', 'n/a', 'NaN', 'nan', 'null', 'NULL', 'None', '#N/A', '<NA>']);
const BOOLS = new Set(['true', 'false', 'yes', 'no']);

/** Cheap pre-check before the Set lookup: every missing spelling is short and starts with N, n, # or <. */
function isMissing(v: string): boolean {
  if (v.length === 0) return true;
  if (v.length > 4) return false;
  const c = v.charCodeAt(0);
  return (c === 78 || c === 110 || c === 35 || c === 60) && MISSING.has(v);
}

function isBoolWord(v: string): boolean {
  if (v.length < 2 || v.length > 5) return false;
  const c = v.charCodeAt(0) | 32;
  return (c === 116 || c === 102 || c === 121 || c === 110) && BOOLS.has(v.toLowerCase());
}
const DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export interface ColumnProfile {
  name: string;
  type: ColumnType;
  /** Cells read as missing (empty, NA, NaN, null, …). */
  missing: number;
  /** Distinct non-missing values, or null when more than DISTINCT_CAP. */
  distinct: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Sample standard deviation (n − 1). */
  std: number | null;
  /** Most frequent values of category and bool columns. */
  topValues: Array<{ value: string; count: number }> | null;
}

export interface CsvProfile {
  columns: ColumnProfile[];
  rowCount: number;
  target: string | null;
  task: TaskKind | null;
  /** Class → rows, for classification targets. */
  labelCounts: Record<string, number> | null;
  /** Per-row class code (MISSING_CODE when missing), for stratified splits; null for regression. */
  targetCodes: Uint16Array | null;
}

/** 0: not a number, 1: integer literal, 2: decimal / exponent literal. */
function numberKind(v: string): 0 | 1 | 2 {
  const n = v.length;
  let i = 0;
  let c = v.charCodeAt(0);
  if (c === 43 || c === 45) i++;
  let digits = 0;
  let kind: 1 | 2 = 1;
  for (; i < n; i++) {
    c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else break;
  }
  if (i < n && c === 46) {
    kind = 2;
    for (i++; i < n; i++) {
      c = v.charCodeAt(i);
      if (c >= 48 && c <= 57) digits++;
      else break;
    }
  }
  if (digits === 0) return 0;
  if (i < n && (c === 101 || c === 69)) {
    kind = 2;
    i++;
    c = v.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    const start = i;
    for (; i < n; i++) {
      c = v.charCodeAt(i);
      if (c < 48 || c > 57) break;
    }
    if (i === start) return 0;
  }
  return i === n ? kind : 0;
}

class ColumnStats {
  missing = 0;
  present = 0;
  maybeInt = true;
  maybeFloat = true;
  maybeBool = true;
  maybeDate = true;
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  cats: Map<string, number> | null = new Map();

  /** The target keeps counting values even when decimal ("0.0"/"1.0" labels are a binary task). */
  constructor(
    readonly name: string,
    private readonly isTarget: boolean,
  ) {}

  add(v: string): void {
    if (isMissing(v)) {
      this.missing++;
      return;
    }
    this.present++;
    if (this.maybeFloat) {
      const k = numberKind(v);
      if (k === 0) {
        this.maybeFloat = false;
        this.maybeInt = false;
      } else {
        const x = +v;
        if (k === 2 || !Number.isSafeInteger(x)) {
          this.maybeInt = false;
          // Decimal columns never report distinct values: stop paying for the map.
          if (!this.isTarget) this.cats = null;
        }
        const d = x - this.mean;
        this.n++;
        this.mean += d / this.n;
        this.m2 += d * (x - this.mean);
        if (x < this.min) this.min = x;
        if (x > this.max) this.max = x;
      }
    }
    if (this.maybeBool && !isBoolWord(v)) this.maybeBool = false;
    if (this.maybeDate && (this.maybeFloat || !DATETIME.test(v) || Number.isNaN(Date.parse(v))))
      this.maybeDate = false;
    const cats = this.cats;
    if (cats !== null) {
      const c = cats.get(v);
      if (c !== undefined) cats.set(v, c + 1);
      else if (cats.size >= DISTINCT_CAP || v.length > CATEGORY_MAX_CHARS) this.cats = null;
      else cats.set(v, 1);
    }
  }

  type(): ColumnType {
    if (this.present === 0) return 'text';
    if (this.maybeBool) return 'bool';
    if (this.maybeInt) return 'int';
    if (this.maybeFloat) return 'float';
    if (this.maybeDate) return 'datetime';
    const d = this.cats?.size;
    return d !== undefined && (d <= 50 || d <= this.present / 2) ? 'category' : 'text';
  }

  profile(): ColumnProfile {
    const type = this.type();
    const numeric = type === 'int' || type === 'float';
    const top =
      (type === 'category' || type === 'bool') && this.cats
        ? [...this.cats.entries()]
            .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
            .slice(0, TOP_VALUES)
            .map(([value, count]) => ({ value, count }))
        : null;
    return {
      name: this.name,
      type,
      missing: this.missing,
      distinct: this.cats ? this.cats.size : null,
      min: numeric ? this.min : null,
      max: numeric ? this.max : null,
      mean: numeric ? this.mean : null,
      std: numeric ? (this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0) : null,
      topValues: top,
    };
  }
}

/** Per-row class codes of the target column, growing as rows arrive (2 bytes a row). */
class TargetCoder {
  private codes = new Uint16Array(1 << 16);
  private length = 0;
  private readonly ids = new Map<string, number>();
  overflow = false;

  add(v: string): void {
    let code = MISSING_CODE;
    if (!isMissing(v)) {
      const id = this.ids.get(v);
      if (id !== undefined) code = id;
      else if (this.ids.size < DISTINCT_CAP) {
        code = this.ids.size;
        this.ids.set(v, code);
      } else {
        this.overflow = true;
        this.codes = new Uint16Array(0);
        return;
      }
    }
    if (this.overflow) return;
    if (this.length === this.codes.length) {
      const next = new Uint16Array(this.codes.length * 2);
      next.set(this.codes);
      this.codes = next;
    }
    this.codes[this.length++] = code;
  }

  result(): Uint16Array | null {
    return this.overflow ? null : this.codes.slice(0, this.length);
  }
}

export interface CsvProfiler {
  /** Feeds raw bytes; throws a 400 AppError naming the line on malformed input. */
  push(chunk: Uint8Array): void;
  /** Ends the input and returns the profile; throws on empty / header-only input. */
  finish(): CsvProfile;
}

export function createCsvProfiler(options: { target?: string | null } = {}): CsvProfiler {
  const target = options.target ?? null;
  const utf8 = new Utf8Chunker();
  let header: string[] | null = null;
  let stats: ColumnStats[] = [];
  let targetIndex = -1;
  let coder: TargetCoder | null = null;
  let rows = 0;

  const parser = new CsvParser((fields, line) => {
    if (header === null) {
      header = readHeader(fields, target);
      stats = header.map((h) => new ColumnStats(h, h === target));
      targetIndex = target === null ? -1 : header.indexOf(target);
      if (targetIndex >= 0) coder = new TargetCoder();
      return;
    }
    if (fields.length !== stats.length) {
      throw csvError(
        'csv_ragged_row',
        `line ${line}: ${fields.length} field${fields.length === 1 ? '' : 's'}, but the header has ${stats.length}`,
      );
    }
    for (let i = 0; i < fields.length; i++) stats[i]!.add(fields[i]!);
    if (coder !== null) coder.add(fields[targetIndex]!);
    rows++;
  });

  return {
    push(chunk) {
      parser.push(utf8.decode(chunk));
    },
    finish() {
      parser.push(utf8.end());
      parser.end();
      if (header === null) throw csvError('csv_empty', 'the file is empty: expected a header line and rows');
      if (rows === 0)
        throw csvError('csv_no_rows', 'line 1 is the header, but the file has no data rows after it');
      const columns = stats.map((s) => s.profile());
      if (targetIndex < 0) {
        return { columns, rowCount: rows, target: null, task: null, labelCounts: null, targetCodes: null };
      }
      const t = stats[targetIndex]!;
      const col = columns[targetIndex]!;
      const task = taskOf(col, t);
      const classification = task !== 'regression';
      return {
        columns,
        rowCount: rows,
        target,
        task,
        labelCounts: classification && t.cats ? Object.fromEntries(t.cats) : null,
        targetCodes: classification ? coder!.result() : null,
      };
    },
  };
}

function readHeader(fields: string[], target: string | null): string[] {
  const seen = new Set<string>();
  fields.forEach((name, i) => {
    if (name.trim() === '') {
      throw csvError('csv_empty_column_name', `line 1: column ${i + 1} has an empty name`);
    }
    if (seen.has(name)) {
      throw csvError('csv_duplicate_column', `line 1: column name '${name}' appears more than once`);
    }
    seen.add(name);
  });
  if (target !== null && !seen.has(target)) {
    const list = fields.slice(0, 12).join(', ') + (fields.length > 12 ? ', …' : '');
    throw invalid(`target column '${target}' is not in the header (columns: ${list})`, {
      reason: 'unknown_target',
      errors: [{ field: 'target', message: `'${target}' is not a column of the file` }],
    });
  }
  return fields;
}

function taskOf(col: ColumnProfile, s: ColumnStats): TaskKind {
  const fail = (why: string) =>
    invalid(`target column '${col.name}' ${why}`, {
      reason: 'invalid_target',
      errors: [{ field: 'target', message: why }],
    });
  if (s.present === 0) throw fail('has no values');
  if (col.type === 'datetime') throw fail('holds dates; a target must be a label or a number');
  const distinct = col.distinct;
  if (distinct !== null && distinct < 2) throw fail('has a single value; nothing to learn');
  if (col.type === 'float') return distinct === 2 ? 'binary' : 'regression';
  if (col.type === 'int') {
    if (distinct === 2) return 'binary';
    return distinct !== null && distinct <= MAX_INT_CLASSES ? 'multiclass' : 'regression';
  }
  if (distinct === null) throw fail(`has more than ${DISTINCT_CAP} distinct labels`);
  return distinct === 2 ? 'binary' : 'multiclass';
}
