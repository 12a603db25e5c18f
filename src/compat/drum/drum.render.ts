/** DRUM response bodies: predictions per target type, built as strings (no per-row objects). */
import { num } from '../../modules/serving/serving.http.js';
import type { Scores } from '../../modules/serving/serving.types.js';

const keyCache = new Map<string, string[]>();

function keys(labels: string[]): string[] {
  const id = labels.join('\u0000');
  let k = keyCache.get(id);
  if (!k) {
    k = labels.map((l, i) => (i === 0 ? '{' : ',') + JSON.stringify(l) + ':');
    if (keyCache.size > 64) keyCache.clear();
    keyCache.set(id, k);
  }
  return k;
}

/**
 * `{"predictions":[…]}`: values for single-column targets, `{label: p}` objects for classification;
 * plus `"extraModelOutput"` (pandas' split orient: columns, index, data) when a custom model
 * returned columns besides its predictions.
 */
export function renderPredictions(s: Scores, classification: boolean): string {
  const body = renderPredictionList(s, classification);
  if (!s.extra) return body;
  const { columns, rows } = s.extra;
  const extra = JSON.stringify({ columns, index: rows.map((_, i) => i), data: rows });
  return `${body.slice(0, -1)},"extraModelOutput":${extra}}`;
}

function renderPredictionList(s: Scores, classification: boolean): string {
  const n = s.nRows;
  const v = s.values;
  if (!classification) {
    if (n === 1) return `{"predictions":[${num(v[0]!)}]}`;
    const parts = new Array<string>(n);
    for (let i = 0; i < n; i++) parts[i] = num(v[i]!);
    return `{"predictions":[${parts.join(',')}]}`;
  }
  const ks = keys(s.columns);
  const k = ks.length;
  // One string grown in place: cheaper than a string per row and a join (~10% of the render).
  let out = '{"predictions":[';
  for (let i = 0; i < n; i++) {
    if (i > 0) out += ',';
    for (let c = 0; c < k; c++) out += ks[c]! + num(v[i * k + c]!);
    out += '}';
  }
  return out + ']}';
}
