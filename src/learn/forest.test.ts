import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrame, takeRows } from './frame.js';
import { accuracy, r2 } from './metrics.js';
import { predict } from './model.js';
import { loadModel, saveModel } from './model-format.js';
import { trainTestSplit } from './split.js';
import { loadFixture } from './test-helpers.js';
import { train } from './train.js';

function classes(frame: ReturnType<typeof loadFixture>): Int32Array {
  const t = frame.columns.find((c) => c.name === 'target')!;
  if (t.kind !== 'categorical') throw new Error('expected categorical target');
  return t.codes;
}

test('an unbounded decision tree fits distinct training rows exactly', () => {
  const iris = loadFixture('iris');
  // iris has duplicate rows with one label each; a pure tree should still reach ≥ 0.99.
  const { model } = train('decision_tree', iris, 'target');
  assert.ok(accuracy(classes(iris), predict(model, iris).classIndex!) >= 0.99);
  const stump = train('decision_tree', iris, 'target', { max_depth: 1 }).model;
  assert.equal(stump.predictor.kind === 'trees' ? stump.predictor.feature.length : 0, 3);
});

test('decision tree regression on a step function', () => {
  const x = Float64Array.from({ length: 100 }, (_, i) => i);
  const y = Float64Array.from(x, (v) => (v < 30 ? 1 : v < 70 ? 5 : -2));
  const frame = createFrame([{ kind: 'numeric', name: 'x', values: x }]);
  const { model } = train('decision_tree', frame, y, { max_depth: 2, task: 'regression' });
  assert.deepEqual(Array.from(predict(model, frame).output), Array.from(y));
});

test('a tree learns which side missing values go: a stump separates low+missing from high', () => {
  // Class 0: x in [0, 10) or missing; class 1: x in [20, 30). Missing sent right (the old fixed
  // rule) would put them with class 1; the learned side puts them left, where they belong.
  const n = 300;
  const x = Float64Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? NaN : i % 3 === 1 ? i % 10 : 20 + (i % 10),
  );
  const y = Array.from(x, (v) => (Number.isNaN(v) || v < 10 ? 'a' : 'b'));
  const frame = createFrame([{ kind: 'numeric', name: 'x', values: x }]);
  for (const learner of ['decision_tree', 'random_forest']) {
    const { model } = train(learner, frame, y, { max_depth: 1 });
    const labels = Array.from(predict(model, frame).classIndex!, (c) => model.classes[c]);
    assert.deepEqual(labels, y, learner);
    // Through save/load and the row predictor too.
    const again = loadModel(saveModel(model));
    const one = createFrame([{ kind: 'numeric', name: 'x', values: Float64Array.of(NaN, 25) }]);
    assert.deepEqual(
      Array.from(predict(again, one).classIndex!, (c) => again.classes[c]),
      ['a', 'b'],
    );
  }
});

test('random forest holdout accuracy on breast_cancer ≥ 0.93 and R² on diabetes ≥ 0.3', () => {
  const bc = loadFixture('breast_cancer');
  const s = trainTestSplit(bc.nRows, { seed: 1, testFraction: 0.25 });
  const { model } = train('random_forest', takeRows(bc, s.train), 'target', { n_estimators: 30 });
  const te = takeRows(bc, s.test);
  assert.ok(accuracy(classes(te), predict(model, te).classIndex!) >= 0.93);
  const db = loadFixture('diabetes');
  const s2 = trainTestSplit(db.nRows, { seed: 1, testFraction: 0.25 });
  const m2 = train('random_forest', takeRows(db, s2.train), 'target', {
    n_estimators: 30,
    min_samples_leaf: 3,
  }).model;
  const te2 = takeRows(db, s2.test);
  const y = te2.columns.find((c) => c.name === 'target')!;
  assert.ok(r2(y.kind === 'numeric' ? y.values : [], predict(m2, te2).output) >= 0.3);
});

test('forest probabilities sum to 1, are seed-deterministic and survive a save/load round trip', () => {
  const wine = loadFixture('wine');
  const a = train('random_forest', wine, 'target', { n_estimators: 10, seed: 4 }).model;
  const b = train('random_forest', wine, 'target', { n_estimators: 10, seed: 4 }).model;
  const pa = predict(a, wine).output;
  assert.deepEqual(pa, predict(b, wine).output);
  for (let i = 0; i < wine.nRows; i++)
    assert.ok(Math.abs(pa[3 * i]! + pa[3 * i + 1]! + pa[3 * i + 2]! - 1) < 1e-12);
  assert.deepEqual(predict(loadModel(saveModel(a)), wine).output, pa);
  assert.throws(
    () => train('random_forest', wine, 'target', { criterion: 'squared_error' }),
    /does not fit task/,
  );
  assert.throws(
    () => train('random_forest', wine, 'target', { max_features: 'half' }),
    /"max_features" must be one of/,
  );
});
