/** Prints JSON when asked, a plain table otherwise. */
export function printRows(
  rows: Array<Record<string, unknown>>,
  columns: string[],
  asJson: boolean,
  raw?: unknown,
): void {
  if (asJson) {
    process.stdout.write(JSON.stringify(raw ?? rows, null, 2) + '\n');
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => Math.min(60, cell(r[c]).length))));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.slice(0, 60).padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(line(columns.map((c) => c.toUpperCase())) + '\n');
  for (const r of rows) process.stdout.write(line(columns.map((c) => cell(r[c]))) + '\n');
}

/** Prints one object: JSON when asked, `key: value` lines otherwise. */
export function printObject(obj: Record<string, unknown>, asJson: boolean): void {
  if (asJson) {
    process.stdout.write(JSON.stringify(obj, null, 2) + '\n');
    return;
  }
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  for (const [k, v] of Object.entries(obj)) {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    process.stdout.write(`${k.padEnd(width)}  ${s}\n`);
  }
}
