/**
 * JSON payloads → Table: KServe V2 tensors (flat or nested data), row lists / record lists
 * (V1 `instances`, MLflow `instances`/`dataframe_records`), column dicts (`inputs`) and
 * pandas split frames (`dataframe_split`).
 */
import { invalid } from '../../errors.js';
import type { InputSpec, Table, TableColumn } from './serving.types.js';

const V2_TYPES = new Set([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
]);

/** JSON values of one column → numbers (null → NaN, booleans → 0/1) or strings. */
export function jsonColumn(cells: unknown[], where: string): TableColumn {
  if (cells.some((c) => typeof c === 'string'))
    return cells.map((c) => (c === null || c === undefined ? null : String(c)));
  const out = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (c === null || c === undefined) out[i] = NaN;
    else if (typeof c === 'number') out[i] = c;
    else if (typeof c === 'boolean') out[i] = c ? 1 : 0;
    else throw invalid(`${where}: value ${i + 1} is not a number or string`, { reason: 'not_numeric' });
  }
  return out;
}

/** A list of rows: arrays (positional) or objects (named; keys of the first record give the order). */
export function rowsToTable(rows: unknown, where: string): Table {
  if (!Array.isArray(rows) || rows.length === 0)
    throw invalid(`${where} must be a non-empty list of rows`, { reason: 'bad_json' });
  if (rows.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const r of rows as Record<string, unknown>[])
      for (const k of Object.keys(r))
        if (!seen.has(k)) {
          seen.add(k);
          names.push(k);
        }
    const recs = rows as Record<string, unknown>[];
    return {
      nRows: rows.length,
      names,
      columns: names.map((n) =>
        jsonColumn(
          recs.map((r) => r[n] ?? null),
          `${where} column '${n}'`,
        ),
      ),
    };
  }
  const matrix = rows.map((r) => (Array.isArray(r) ? r : [r]));
  const width = matrix[0]!.length;
  matrix.forEach((r, i) => {
    if (r.length !== width)
      throw invalid(`${where}: row ${i + 1} has ${r.length} values, expected ${width}`, {
        reason: 'column_count',
      });
  });
  const columns = Array.from({ length: width }, (_, j) =>
    jsonColumn(
      matrix.map((r) => r[j]),
      `${where} column ${j}`,
    ),
  );
  return { nRows: rows.length, names: null, columns };
}

/** `{col: [values…]}` (TF-serving columnar `inputs`). */
export function columnsToTable(obj: Record<string, unknown>, where: string): Table {
  const names = Object.keys(obj);
  if (names.length === 0) throw invalid(`${where} has no columns`, { reason: 'bad_json' });
  const cols = names.map((n) => {
    const v = obj[n];
    return Array.isArray(v) ? v : [v];
  });
  const n = cols[0]!.length;
  if (n === 0 || cols.some((c) => c.length !== n))
    throw invalid(`${where}: every column needs the same, non-zero number of values`, {
      reason: 'column_count',
    });
  return { nRows: n, names, columns: cols.map((c, j) => jsonColumn(c, `${where} column '${names[j]}'`)) };
}

/** pandas split orientation: `{columns?, data, index?}`. */
export function splitToTable(obj: unknown): Table {
  if (!obj || typeof obj !== 'object' || !Array.isArray((obj as { data?: unknown }).data))
    throw invalid('dataframe_split must be an object with a "data" list', { reason: 'bad_json' });
  const { columns, data } = obj as { columns?: unknown; data: unknown[] };
  const t = rowsToTable(data, 'dataframe_split.data');
  if (columns !== undefined) {
    if (!Array.isArray(columns) || columns.length !== t.columns.length)
      throw invalid(`dataframe_split.columns must name each of the ${t.columns.length} columns`, {
        reason: 'column_count',
      });
    t.names = columns.map(String);
  }
  return t;
}

interface V2Input {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown;
}

function flatten(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
}

/**
 * V2 `inputs` → Table. One input of shape [N, k] is a positional matrix; otherwise every input is
 * one named column of shape [N] or [N, 1].
 */
export function v2InputsToTable(inputs: unknown, spec: InputSpec): Table {
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw invalid('"inputs" must be a non-empty list of tensors', { reason: 'bad_json' });
  const tensors = inputs.map((raw, i) => {
    const t = raw as Partial<V2Input>;
    if (!t || typeof t !== 'object' || typeof t.name !== 'string')
      throw invalid(`inputs[${i}] needs a "name"`, { reason: 'bad_json' });
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw invalid(`input '${t.name}' needs a "shape" of non-negative integers`, { reason: 'bad_json' });
    if (typeof t.datatype !== 'string' || !V2_TYPES.has(t.datatype))
      throw invalid(`input '${t.name}' has an unknown datatype '${String(t.datatype)}'`, {
        reason: 'bad_json',
      });
    if (t.datatype === 'FP16')
      throw invalid('FP16 needs the binary tensor extension', { reason: 'bad_json' });
    const flat: unknown[] = [];
    flatten(t.data, flat);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (flat.length !== count)
      throw invalid(
        `input '${t.name}': shape ${JSON.stringify(t.shape)} needs ${count} values, got ${flat.length}`,
        {
          reason: 'shape_mismatch',
        },
      );
    if (
      t.datatype === 'BYTES'
        ? flat.some((v) => typeof v !== 'string')
        : flat.some((v) => typeof v !== 'number' && typeof v !== 'boolean')
    )
      throw invalid(`input '${t.name}': data does not match datatype ${t.datatype}`, { reason: 'bad_json' });
    return { name: t.name, shape: t.shape, flat };
  });
  const only = tensors[0]!;
  const named = spec.names?.includes(only.name) ?? false;
  if (tensors.length === 1 && only.shape.length === 2 && (only.shape[1] !== 1 || !named)) {
    const [n, k] = only.shape as [number, number];
    const columns = Array.from({ length: k }, (_, j) =>
      jsonColumn(
        Array.from({ length: n }, (_, i) => only.flat[i * k + j]),
        `input '${only.name}'`,
      ),
    );
    return { nRows: n, names: null, columns };
  }
  const n = only.shape[0] ?? 1;
  for (const t of tensors) {
    if ((t.shape[0] ?? 1) !== n || t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1))
      throw invalid(`input '${t.name}': each named input must have shape [${n}] or [${n}, 1]`, {
        reason: 'shape_mismatch',
      });
  }
  if (n === 0) throw invalid('the request has no rows', { reason: 'no_rows' });
  return {
    nRows: n,
    names: tensors.map((t) => t.name),
    columns: tensors.map((t) => jsonColumn(t.flat, `input '${t.name}'`)),
  };
}
