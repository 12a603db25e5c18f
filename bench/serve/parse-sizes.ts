// CSV parse time by payload size (1 to 1000 breast_cancer rows), in process: where the JS reader
// and the wasm kernel cross over (csv-payload.ts KERNEL_MIN_BYTES). Best of 5 rounds, µs a call.
// `npx tsx bench/serve/parse-sizes.ts`
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCsvAligner } from '../../src/modules/serving/csv-payload.js';

const ROOT = join(import.meta.dirname, '..', '..');
const lines = readFileSync(join(ROOT, 'test/fixtures/datasets/breast_cancer.csv'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(',').slice(0, -1).join(','));
const names = lines[0]!.split(',');
const scratch = { buf: new Float64Array(1) };
for (const rows of [1, 3, 6, 12, 25, 50, 1000]) {
  const body = Buffer.from(
    [lines[0], ...Array.from({ length: rows }, (_, i) => lines[1 + (i % (lines.length - 1))])].join('\n') +
      '\n',
  );
  const figures: string[] = [];
  for (const [label, kernelMinBytes] of [
    ['default', undefined],
    ['kernel always', 0],
    ['JS always', Infinity],
  ] as const) {
    const aligner = createCsvAligner(names, names.length, { kernelMinBytes });
    const n = Math.max(20, Math.round(100_000 / rows));
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) aligner.parse(body, scratch);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / n / 1000);
    }
    figures.push(`${label} ${best.toFixed(2)}`);
  }
  console.log(`${String(rows).padStart(4)} rows (${body.length} B): ${figures.join(' | ')} µs`);
}
