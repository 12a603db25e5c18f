/**
 * A columnar table: numeric columns as Float64Array (NaN = missing) and categorical columns as
 * Int32Array codes into a sorted level list (-1 = missing). Learners read columns by name, so the
 * column order of the data given to predict does not have to match the training data.
 */
export interface NumericColumn {
  kind: 'numeric';
  name: string;
  values: Float64Array;
}

export interface CategoricalColumn {
  kind: 'categorical';
  name: string;
  /** Index into `levels`, or -1 when the value is missing. */
  codes: Int32Array;
  levels: string[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface Frame {
  nRows: number;
  columns: Column[];
}

/** Builds a frame, checking that every column has the same length and names are unique. */
export function createFrame(columns: Column[]): Frame {
  const nRows = columns.length === 0 ? 0 : columnLength(columns[0]!);
  const seen = new Set<string>();
  for (const c of columns) {
    if (columnLength(c) !== nRows)
      throw new Error(`column "${c.name}" has ${columnLength(c)} rows, expected ${nRows}`);
    if (seen.has(c.name)) throw new Error(`duplicate column name "${c.name}"`);
    seen.add(c.name);
  }
  return { nRows, columns };
}

function columnLength(c: Column): number {
  return c.kind === 'numeric' ? c.values.length : c.codes.length;
}

/** A frame over a row-major matrix; names default to x0, x1, … */
export function frameFromMatrix(x: ArrayLike<number>, nRows: number, nCols: number, names?: string[]): Frame {
  if (x.length !== nRows * nCols)
    throw new Error(`matrix has ${x.length} values, expected ${nRows}×${nCols}`);
  const columns: Column[] = [];
  for (let j = 0; j < nCols; j++) {
    const values = new Float64Array(nRows);
    for (let i = 0; i < nRows; i++) values[i] = x[i * nCols + j]!;
    columns.push({ kind: 'numeric', name: names?.[j] ?? `x${j}`, values });
  }
  return createFrame(columns);
}

/** Builds a categorical column from strings; null/undefined are missing. Levels are sorted. */
export function categoricalFromStrings(
  name: string,
  values: ArrayLike<string | null | undefined>,
): CategoricalColumn {
  const distinct = new Set<string>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) distinct.add(v);
  }
  const levels = [...distinct].sort(compareStrings);
  const index = new Map(levels.map((l, i) => [l, i]));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    codes[i] = v === null || v === undefined ? -1 : index.get(v)!;
  }
  return { kind: 'categorical', name, codes, levels };
}

/** Code-unit order, so level order never depends on the process locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The column with this name, or an error naming it and the available columns. */
export function getColumn(frame: Frame, name: string): Column {
  const c = frame.columns.find((col) => col.name === name);
  if (!c)
    throw new Error(`column "${name}" not found (have: ${frame.columns.map((x) => x.name).join(', ')})`);
  return c;
}

/** The frame without the named columns. */
export function dropColumns(frame: Frame, names: string[]): Frame {
  return createFrame(frame.columns.filter((c) => !names.includes(c.name)));
}

/** The rows at `rows`, in that order. */
export function takeRows(frame: Frame, rows: ArrayLike<number>): Frame {
  const n = rows.length;
  const columns = frame.columns.map((c): Column => {
    if (c.kind === 'numeric') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = c.values[rows[i]!]!;
      return { kind: 'numeric', name: c.name, values };
    }
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) codes[i] = c.codes[rows[i]!]!;
    return { kind: 'categorical', name: c.name, codes, levels: c.levels };
  });
  return { nRows: n, columns };
}

/** The string form of one cell (for labels); missing is null. */
export function cellString(c: Column, row: number): string | null {
  if (c.kind === 'numeric') {
    const v = c.values[row]!;
    return Number.isNaN(v) ? null : String(v);
  }
  const code = c.codes[row]!;
  return code < 0 ? null : c.levels[code]!;
}
