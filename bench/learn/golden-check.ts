// Dev aid: hashes GBDT models trained under many settings, so a refactor of the tree grower can be
// checked to leave every model bit-identical. `tsx bench/learn/golden-check.ts > before.txt`.
import { createHash } from 'node:crypto';
import { createFrame, predict, train } from '../../src/learn/index.js';
import { createRng } from '../../src/learn/random.js';

const rng = createRng(3);
const n = 60_000;
const cols = Array.from({ length: 9 }, (_, j) => ({
  kind: 'numeric' as const,
  name: `x${j}`,
  values: Float64Array.from({ length: n }, () => (rng.next() < 0.04 ? NaN : rng.next() * (j + 1))),
}));
const v = (j: number, i: number): number => cols[j]!.values[i]! || 0;
const yBin = Array.from({ length: n }, (_, i) =>
  v(0, i) + v(1, i) * 0.5 > 1.2 !== rng.next() < 0.1 ? 'a' : 'b',
);
const yMulti = Array.from({ length: n }, (_, i) => ['p', 'q', 'r'][Math.floor(v(2, i)) % 3]!);
const yReg = Float64Array.from({ length: n }, (_, i) => v(3, i) * 2 + Math.sin(v(4, i)) + rng.next());
const frame = createFrame(cols);
const settings: [string, string[] | Float64Array, Record<string, unknown>][] = [
  ['binary', yBin, { n_estimators: 8 }],
  ['binary-col', yBin, { n_estimators: 6, colsample: 0.6, subsample: 0.7 }],
  ['binary-leaves', yBin, { n_estimators: 6, max_leaves: 12, max_depth: 0 }],
  ['binary-deep', yBin, { n_estimators: 3, max_depth: 10, min_samples_leaf: 20 }],
  ['multi', yMulti, { n_estimators: 4, task: 'multiclass' }],
  ['reg', yReg, { n_estimators: 5, task: 'regression', gamma: 0.1, reg_lambda: 3 }],
];
for (const [name, y, params] of settings)
  for (const threads of [1, 2]) {
    const { model } = train('gbdt', frame, y, { ...params, n_threads: threads });
    const out = predict(model, frame).output as Float64Array;
    const h = createHash('sha256')
      .update(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))
      .digest('hex')
      .slice(0, 16);
    console.log(name, threads, h);
  }
