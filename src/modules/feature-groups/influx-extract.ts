import { invalid } from '../../errors.js';
import { toCsvLine as csvLine } from '../datasets/index.js';
import { measurementKeys, queryInflux, quoteIdent, type InfluxConnection } from './influx-client.js';

/**
 * Checks an InfluxQL WHERE condition (the O-RAN `query_filter`) before it is appended to our
 * SELECT: a leading `WHERE` is dropped, and a `;` outside quotes is refused so the filter cannot
 * smuggle in a second statement. Everything else is InfluxDB's to parse (its errors come back as 400).
 */
export function influxWhere(filter: string): string {
  const cond = filter.trim().replace(/^where\s+/i, '');
  let quote: string | null = null;
  for (let i = 0; i < cond.length; i++) {
    const c = cond[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || (c === '/' && /[=!]~\s*$/.test(cond.slice(0, i)))) {
      // a `/regex/` literal (only right after =~ or !~) may hold quotes and semicolons too
      quote = c;
    } else if (c === ';') {
      throw invalid('queryFilter must be one InfluxQL WHERE condition; it may not contain ";"', {
        reason: 'invalid_filter',
        errors: [{ field: 'queryFilter', message: 'one WHERE condition, no ";"' }],
      });
    }
  }
  return cond;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

/**
 * Yields CSV lines (header `time,<columns…>` first) of `SELECT <columns> FROM <measurement>
 * [WHERE filter]`. Columns missing from the measurement are a 400 naming them, checked against its
 * field and tag keys first, so a typo is not silently an empty column.
 */
export async function* influxCsvLines(
  conn: InfluxConnection,
  measurement: string,
  columns: readonly string[],
  filter: string | undefined,
): AsyncGenerator<string> {
  const keys = await measurementKeys(conn, measurement);
  if (keys.size === 0)
    throw invalid(
      `InfluxDB database '${conn.database}' has no measurement '${measurement}' (or it holds no data)`,
      {
        reason: 'influx_measurement_empty',
      },
    );
  const wanted = columns.filter((c) => c !== 'time');
  const missing = wanted.filter((c) => !keys.has(c));
  if (missing.length > 0)
    throw invalid(
      `measurement '${measurement}' has no field or tag ${missing.map((c) => `'${c}'`).join(', ')} (it has ${[...keys].join(', ')})`,
      {
        reason: 'unknown_columns',
        errors: [{ field: 'featureList', message: `unknown: ${missing.join(', ')}` }],
      },
    );
  const cond = filter !== undefined && filter.trim() !== '' ? influxWhere(filter) : '';
  const q =
    `SELECT ${wanted.map(quoteIdent).join(',')} FROM ${quoteIdent(measurement)}` +
    (cond ? ` WHERE ${cond}` : '');
  const header = ['time', ...wanted];
  yield csvLine(header);
  for await (const s of queryInflux(conn, q)) {
    const pos = header.map((h) => s.columns.indexOf(h));
    for (const row of s.values) yield csvLine(pos.map((i) => (i < 0 ? '' : cell(row[i]))));
  }
}
