/**
 * GBDT profiling harness for load-independent comparisons: trains on the bench CSV with a fixed
 * thread count and reports CPU time (process.cpuUsage, all threads) next to wall time, then times
 * single-row and batch predict. Usage: tsx bench/learn/profile.ts [trees=100] [threads=1] [model-out]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  outputSize,
  parseCsv,
  predict,
  predictRowInto,
  rocAuc,
  saveModel,
  takeRows,
  train,
} from '../../src/learn/index.js';
import { getColumn } from '../../src/learn/frame.js';

const here = dirname(fileURLToPath(import.meta.url));
const trees = Number(process.argv[2] ?? 100);
const threads = Number(process.argv[3] ?? 1);
const frame = parseCsv(readFileSync(join(here, '..', 'data', 'learn-binary-200k.csv')));
const trainFrame = takeRows(
  frame,
  Uint32Array.from({ length: 160_000 }, (_, i) => i),
);
const testFrame = takeRows(
  frame,
  Uint32Array.from({ length: 40_000 }, (_, i) => 160_000 + i),
);
const params = { task: 'binary', n_estimators: trees, max_depth: 6, learning_rate: 0.1, n_threads: threads };
const c0 = process.cpuUsage();
let t0 = performance.now();
const { model } = train('gbdt', trainFrame, 'target', params);
const wall = (performance.now() - t0) / 1000;
const cu = process.cpuUsage(c0);
const cpu = (cu.user + cu.system) / 1e6;
t0 = performance.now();
const pred = predict(model, testFrame);
const predS = (performance.now() - t0) / 1000;
const y = (getColumn(testFrame, 'target') as { values: Float64Array }).values;
const k = outputSize(model);
const auc = rocAuc(
  y,
  Float64Array.from({ length: y.length }, (_, i) => pred.output[i * k + 1]!),
);
const names = model.preprocess.inputs.map((i) => i.name);
const cols = names.map((n) => (getColumn(testFrame, n) as { values: Float64Array }).values);
const rows = Array.from({ length: 20_000 }, (_, i) => Float64Array.from(cols, (c) => c[i]!));
const out = new Float64Array(k);
for (const r of rows) predictRowInto(model, r, out);
t0 = performance.now();
const r0 = process.cpuUsage();
for (let p = 0; p < 5; p++) for (const r of rows) predictRowInto(model, r, out);
const rowUs = ((performance.now() - t0) * 1000) / 100_000;
const ru = process.cpuUsage(r0);
const rowCpuUs = (ru.user + ru.system) / 100_000;
console.log(
  JSON.stringify({
    trees,
    threads,
    train_wall_s: wall,
    train_cpu_s: cpu,
    predict_s: predS,
    auc,
    row_us: rowUs,
    row_cpu_us: rowCpuUs,
  }),
);
if (process.argv[4]) writeFileSync(process.argv[4], saveModel(model));
