/** Apache Arrow IPC (stream or file format) → Table; nulls become missing (NaN / null). */
import { invalid } from '../../errors.js';
import type { Table, TableColumn } from './serving.types.js';

export async function parseArrow(body: Uint8Array): Promise<Table> {
  // Loaded on first use: apache-arrow is large and most deployments never see Arrow.
  const arrow = await import('apache-arrow');
  let table;
  try {
    table = arrow.tableFromIPC(body);
  } catch (e) {
    throw invalid(`malformed Arrow IPC payload: ${(e as Error).message}`, { reason: 'arrow_malformed' });
  }
  if (table.numCols === 0) throw invalid('the Arrow payload has no columns', { reason: 'empty_payload' });
  const n = table.numRows;
  if (n === 0) throw invalid('the Arrow payload has no rows', { reason: 'no_rows' });
  const names: string[] = [];
  const columns: TableColumn[] = [];
  for (const field of table.schema.fields) {
    const vec = table.getChild(field.name)!;
    names.push(field.name);
    const values = vec.toArray() as ArrayLike<unknown>;
    const first = firstDefined(values);
    if (typeof first === 'string') {
      columns.push(Array.from(values, (v) => (v === null || v === undefined ? null : String(v))));
      continue;
    }
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = vec.isValid(i) ? values[i] : null;
      col[i] = v === null || v === undefined ? NaN : Number(v as number | bigint | boolean);
    }
    columns.push(col);
  }
  return { nRows: n, names, columns };
}

function firstDefined(values: ArrayLike<unknown>): unknown {
  for (let i = 0; i < values.length; i++) if (values[i] !== null && values[i] !== undefined) return values[i];
  return undefined;
}
