/**
 * Micro-bench of boosted-tree prediction: a 1000-row matrix scored row by row (the single-row
 * predictor in a loop) and as one batch, for the bench:serve model (breast_cancer, 100 trees,
 * depth 6). Prints CPU µs per row, the minimum of several runs (process.cpuUsage).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NumericColumn } from '../../src/learn/index.js';
import {
  createBatchPredictor,
  createRowPredictor,
  outputSize,
  parseCsv,
  train,
} from '../../src/learn/index.js';

const ROOT = join(import.meta.dirname, '../..');
const frame = parseCsv(readFileSync(join(ROOT, 'test/fixtures/datasets/breast_cancer.csv')), {
  categorical: ['target'],
});
const model = train('gbdt', frame, 'target', { n_estimators: 100, max_depth: 6 }).model;
const nIn = frame.columns.length - 1;
const nRows = 1000;
const x = new Float64Array(nRows * nIn);
const n = (frame.columns[0] as NumericColumn).values.length;
for (let i = 0; i < nRows; i++)
  for (let j = 0; j < nIn; j++) x[i * nIn + j] = (frame.columns[j] as NumericColumn).values[i % n]!;
const k = outputSize(model);
const row = createRowPredictor(model);
const batch = createBatchPredictor(model);
const out = new Float64Array(nRows * k);
const outRow = new Float64Array(k);
const xRow = new Float64Array(nIn);

function cpuUsPerRow(fn: () => void, reps: number): number {
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / reps / nRows);
  }
  return best;
}
const rowLoop = (): void => {
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nIn; j++) xRow[j] = x[i * nIn + j]!;
    row(xRow, outRow);
    for (let c = 0; c < k; c++) out[i * k + c] = outRow[c]!;
  }
};
const batchRun = (): void => batch(x, nRows, out);
cpuUsPerRow(rowLoop, 20);
cpuUsPerRow(batchRun, 20);
console.log(`row predictor in a loop: ${cpuUsPerRow(rowLoop, 50).toFixed(3)} µs/row`);
console.log(`batch predictor:         ${cpuUsPerRow(batchRun, 50).toFixed(3)} µs/row`);
