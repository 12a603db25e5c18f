import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { invalid } from '../../errors.js';
import { toCsvLine as csvLine } from '../datasets/index.js';
import type { RowFilter } from './row-filter.js';

/**
 * Streams a dataset's CSV (header first) and yields the projected columns, in the given order,
 * of the rows the filter keeps, as CSV lines (header first). Memory stays bounded by one record.
 */
export async function* projectCsv(
  source: Readable,
  columns: readonly string[],
  filter: RowFilter | null,
): AsyncGenerator<string> {
  const parser = source.pipe(parse({ bom: true, relax_column_count: false, skip_empty_lines: true }));
  source.once('error', (e) => parser.destroy(e));
  let index: Map<string, number> | null = null;
  let picks: number[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!index) {
        index = new Map(record.map((name, i) => [name, i]));
        const missing = [...columns, ...(filter?.columns ?? [])].filter((c) => !index!.has(c));
        if (missing.length > 0)
          throw invalid(`the source data has no column(s) ${missing.map((c) => `'${c}'`).join(', ')}`, {
            reason: 'unknown_columns',
          });
        picks = columns.map((c) => index!.get(c)!);
        yield csvLine(columns);
        continue;
      }
      const row = record;
      if (filter && !filter.matches((c) => row[index!.get(c)!])) continue;
      yield csvLine(picks.map((i) => row[i] ?? ''));
    }
  } finally {
    source.destroy();
  }
}
