import assert from 'node:assert/strict';
import { test } from 'node:test';
import { categoricalFromStrings, createFrame } from './frame.js';
import type { Frame } from './frame.js';
import { buildImplicitTrees } from './implicit-trees.js';
import { createBatchPredictor, createRowPredictor, inputNames, outputSize } from './model.js';
import { createWasmBatch } from './predict-wasm.js';
import type { Model } from './model.js';
import { createRng } from './random.js';
import { loadFixture } from './test-helpers.js';
import { train } from './train.js';
import type { TreePredictor } from './types.js';

/**
 * nRows input rows drawn from the frame's values, a third of them with about a quarter of their
 * cells missing, and a tenth of the numeric cells set exactly on a split threshold.
 */
function probeMatrix(model: Model, frame: Frame, nRows: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const names = inputNames(model);
  const cols = names.map((n) => frame.columns.find((c) => c.name === n)!);
  const thr = model.predictor.kind === 'trees' ? model.predictor.threshold : new Float64Array([0]);
  const x = new Float64Array(nRows * names.length);
  for (let i = 0; i < nRows; i++) {
    const src = rng.int(frame.nRows);
    cols.forEach((c, j) => {
      let v = c.kind === 'numeric' ? c.values[src]! : c.codes[src]!;
      const t = thr[rng.int(thr.length)]!;
      if (c.kind === 'numeric' && Number.isFinite(t) && rng.next() < 0.1) v = t;
      if (v === -1 && c.kind === 'categorical') v = NaN;
      x[i * names.length + j] = i % 3 === 0 && rng.next() < 0.25 ? NaN : v;
    });
  }
  return x;
}

/** Scores x with the batch predictor and row by row; both must agree bit for bit. */
function assertBatchMatchesRows(model: Model, x: Float64Array, nRows: number, what: string): void {
  const nIn = inputNames(model).length;
  const k = outputSize(model);
  const batch = new Float64Array(nRows * k);
  createBatchPredictor(model)(x, nRows, batch);
  const rows = new Float64Array(nRows * k);
  const row = createRowPredictor(model);
  const out = new Float64Array(k);
  for (let i = 0; i < nRows; i++) {
    row(x.subarray(i * nIn, (i + 1) * nIn), out);
    rows.set(out, i * k);
  }
  const a = Buffer.from(batch.buffer);
  const b = Buffer.from(rows.buffer);
  assert.ok(a.equals(b), `${what}: batch and row predictions differ`);
}

test('batch prediction is bit-identical to the row predictor (binary, multiclass, regression; missing values; any depth)', () => {
  const cases = [
    { data: 'breast_cancer', params: { n_estimators: 100, max_depth: 6 } },
    { data: 'breast_cancer', params: { n_estimators: 13, max_depth: 3 } },
    { data: 'iris', params: { n_estimators: 7, max_depth: 4 } },
    { data: 'wine', params: { n_estimators: 11, max_depth: 2 } },
    { data: 'diabetes', params: { n_estimators: 9, max_depth: 10, min_child_weight: 0 } },
    { data: 'diabetes', params: { n_estimators: 21, max_depth: 6, min_samples_leaf: 15 } },
    { data: 'breast_cancer', params: { n_estimators: 5, max_depth: 0, max_leaves: 9 } },
    // Single-leaf trees only (no split can reach the child weight).
    { data: 'iris', params: { n_estimators: 3, min_child_weight: 1e9 } },
  ] as const;
  for (const { data, params } of cases) {
    const frame = loadFixture(data);
    const { model } = train('gbdt', frame, 'target', params);
    const p = model.predictor as TreePredictor;
    const what = `${data} ${JSON.stringify(params)}`;
    assert.ok(buildImplicitTrees(p), `${what}: complete-tree layout built`);
    // Row counts around the lane (8) and block (128) sizes, and a single row.
    const nIn = inputNames(model).length;
    for (const n of [1, 7, 129, 301]) {
      const x = probeMatrix(model, frame, n, n);
      assertBatchMatchesRows(model, x, n, what);
      // Blocks without a missing value are copied in bulk: here only rows 128..255 keep theirs.
      const mixed = x.map((v, q) => (v !== v && (q < 128 * nIn || q >= 256 * nIn) ? 0 : v));
      assertBatchMatchesRows(model, mixed, n, `${what} (mostly complete rows)`);
    }
  }
});

test('batch prediction is exact through preprocessing, too-deep trees and non-tree models', () => {
  const base = loadFixture('iris');
  const colour = categoricalFromStrings(
    'colour',
    Array.from({ length: base.nRows }, (_, i) => (i % 5 === 0 ? null : ['red', 'green', 'blue'][i % 3])),
  );
  const frame = createFrame([...base.columns, colour]);
  const withCategorical = train('gbdt', frame, 'target', { n_estimators: 6 }).model;
  assert.ok(withCategorical.preprocess.inputs.some((i) => i.kind === 'categorical'));
  assertBatchMatchesRows(
    withCategorical,
    probeMatrix(withCategorical, frame, 200, 1),
    200,
    'categorical input',
  );

  const diabetes = loadFixture('diabetes');
  const deep = train('gbdt', diabetes, 'target', {
    n_estimators: 3,
    max_depth: 12,
    min_child_weight: 0,
  }).model;
  assert.equal(buildImplicitTrees(deep.predictor as TreePredictor), null);
  assertBatchMatchesRows(deep, probeMatrix(deep, diabetes, 150, 2), 150, 'depth 12');

  const linear = train('logistic_regression', base, 'target', {}).model;
  assertBatchMatchesRows(
    linear,
    probeMatrix(linear, base, 50, 3).map((v) => (v !== v ? 0 : v)),
    50,
    'logistic',
  );

  const empty = new Float64Array(0);
  createBatchPredictor(withCategorical)(empty, 0, empty);
});

test('the wasm NaN test sees a NaN at any position of the row area, and none beyond n', () => {
  const { model } = train('gbdt', loadFixture('iris'), 'target', { n_estimators: 3, max_depth: 2 });
  const w = createWasmBatch(buildImplicitTrees(model.predictor as TreePredictor)!, 8, 5);
  for (let n = 0; n <= 13; n++) {
    w.f64.fill(0.5, w.xBase, w.xBase + 40);
    assert.equal(w.hasNaN(n), false, `n=${n}, no NaN`);
    w.f64[w.xBase + n] = NaN;
    assert.equal(w.hasNaN(n), false, `n=${n}, NaN just beyond`);
    for (let q = 0; q < n; q++) {
      w.f64.fill(0.5, w.xBase, w.xBase + 40);
      w.f64[w.xBase + q] = NaN;
      assert.equal(w.hasNaN(n), true, `n=${n}, NaN at ${q}`);
    }
  }
});
