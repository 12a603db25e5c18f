/**
 * How the `modelyard datasets …` commands print a dataset version: its summary (dataset, rows,
 * splits, source) and its column schema with statistics.
 */
import { printObject, printRows } from './output.js';

type Json = Record<string, unknown>;

export interface Column {
  name: string;
  type: string;
  missing: number;
  distinct: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  topValues: Array<{ value: string; count: number }> | null;
}

const fmt = (n: number | null) =>
  n === null
    ? ''
    : Number.isInteger(n)
      ? String(n)
      : Math.abs(n) >= 1e6 || Math.abs(n) < 1e-3
        ? n.toExponential(3)
        : n.toFixed(4);

export function printVersion(v: Json, json: boolean): void {
  if (json) {
    printObject(v, true);
    return;
  }
  const splits = v.splitCounts as Record<string, number>;
  const split = v.split as Json;
  printObject(
    {
      dataset: `${String(v.name)}@${String(v.version)}`,
      kind: v.kind,
      rows: v.rowCount,
      size: `${String(v.sizeBytes)} bytes`,
      sha256: v.sha256,
      target: v.target ?? '(none)',
      task: v.task ?? '',
      splits: `train ${splits.train} / validation ${splits.validation} / test ${splits.test}  (${String(split.train)}/${String(split.validation)}/${String(split.test)}%, seed ${String(split.seed)}${split.stratified ? ', stratified' : ''})`,
      ...(v.labelCounts ? { labels: v.labelCounts } : {}),
      source: v.sourcePath ? `${String(v.source)} ${String(v.sourcePath)}` : v.source,
      created: `${String(v.createdAt)}${v.createdBy ? ` by ${String(v.createdBy)}` : ''}`,
      ...((v.warnings as string[]).length > 0 ? { warnings: (v.warnings as string[]).join('; ') } : {}),
    },
    false,
  );
}

export function printSchema(columns: Column[]): void {
  process.stdout.write('\n');
  printRows(
    columns.map((c) => ({
      column: c.name,
      type: c.type,
      missing: c.missing,
      min: fmt(c.min),
      max: fmt(c.max),
      mean: fmt(c.mean),
      std: fmt(c.std),
      top: c.topValues
        ? c.topValues
            .slice(0, 3)
            .map((t) => `${t.value} (${t.count})`)
            .join(', ') + (c.distinct !== null && c.distinct > 3 ? `, … ${c.distinct} values` : '')
        : '',
    })),
    ['column', 'type', 'missing', 'min', 'max', 'mean', 'std', 'top'],
    false,
  );
}
