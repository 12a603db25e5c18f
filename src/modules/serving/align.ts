/** Table → the row-major numeric matrix a model reads (columns by name, or by position). */
import { invalid } from '../../errors.js';
import { isMissingText, isNumericText } from './csv-payload.js';
import type { InputSpec, Table, TableColumn } from './serving.types.js';

/** Returns nRows × k values in the model's input order; categoricals become level indices. */
export function alignTable(t: Table, spec: InputSpec): Float64Array {
  const k = spec.count ?? t.columns.length;
  const source: TableColumn[] = [];
  if (spec.names && t.names) {
    const byName = new Map<string, number>();
    t.names.forEach((n, j) => {
      if (!byName.has(n)) byName.set(n, j);
    });
    const missing: string[] = [];
    for (const name of spec.names) {
      const j = byName.get(name) ?? byName.get(name.trim());
      if (j === undefined) missing.push(name);
      else source.push(t.columns[j]!);
    }
    if (missing.length > 0)
      throw invalid(`the payload lacks column(s) the model needs: ${missing.slice(0, 10).join(', ')}`, {
        reason: 'missing_columns',
      });
  } else {
    if (t.columns.length !== k)
      throw invalid(`the model takes ${k} columns, the payload has ${t.columns.length}`, {
        reason: 'column_count',
      });
    source.push(...t.columns);
  }
  const n = t.nRows;
  const out = new Float64Array(n * k);
  for (let m = 0; m < k; m++) {
    const col = source[m]!;
    const levels = spec.levels?.[m] ?? null;
    const label = spec.names?.[m] ?? t.names?.[m] ?? String(m);
    if (levels) {
      const index = new Map(levels.map((l, i) => [l, i]));
      for (let i = 0; i < n; i++) {
        const v = col[i];
        const s = typeof v === 'number' ? (Number.isNaN(v) ? null : String(v)) : (v ?? null);
        out[i * k + m] = s === null ? NaN : (index.get(s) ?? NaN);
      }
    } else if (col instanceof Float64Array) {
      for (let i = 0; i < n; i++) out[i * k + m] = col[i]!;
    } else {
      for (let i = 0; i < n; i++) {
        const s = col[i];
        if (s === null || s === undefined || isMissingText(s)) out[i * k + m] = NaN;
        else if (isNumericText(s)) out[i * k + m] = Number(s.trim().replace(/^([+-]?)inf$/i, '$1Infinity'));
        else
          throw invalid(`column '${label}' row ${i + 1}: '${s.slice(0, 40)}' is not a number`, {
            reason: 'not_numeric',
          });
      }
    }
  }
  return out;
}
