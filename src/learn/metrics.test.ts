import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracy, confusionMatrix, logLoss, mae, precisionRecallF1, r2, rmse, rocAuc } from './metrics.js';
import { kFold, trainTestSplit } from './split.js';

const close = (a: number, b: number, eps = 1e-12): void => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

test('classification metrics match hand-computed values', () => {
  const yt = [1, 0, 1, 1, 0, 0, 1, 0];
  const yp = [1, 0, 0, 1, 1, 0, 1, 0];
  close(accuracy(yt, yp), 6 / 8);
  assert.deepEqual(confusionMatrix(yt, yp), [
    [3, 1],
    [1, 3],
  ]);
  const prf = precisionRecallF1(yt, yp);
  close(prf.precision, 3 / 4);
  close(prf.recall, 3 / 4);
  close(prf.f1, 3 / 4);
  // 3 classes: per-class P = [1, 1/2, 1], R = [1/2, 1, 1]; macro averages.
  const m = precisionRecallF1([0, 0, 1, 2], [0, 1, 1, 2], { average: 'macro' });
  close(m.precision, (1 + 0.5 + 1) / 3);
  close(m.recall, (0.5 + 1 + 1) / 3);
  close(m.f1, (2 / 3 + 2 / 3 + 1) / 3);
});

test('log loss and ROC AUC (with ties)', () => {
  close(logLoss([1, 0], [0.2, 0.8, 0.6, 0.4], 2), -(Math.log(0.8) + Math.log(0.6)) / 2);
  // Positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4, 0.8>0.1, 0.4=0.4 → ½, 0.4>0.1) = 3.5/4.
  close(rocAuc([1, 0, 1, 0], [0.8, 0.4, 0.4, 0.1]), 3.5 / 4);
  assert.throws(() => rocAuc([1, 1], [0.1, 0.2]), /both classes/);
});

test('regression metrics', () => {
  const yt = [3, -0.5, 2, 7];
  const yp = [2.5, 0, 2, 8];
  close(rmse(yt, yp), Math.sqrt((0.25 + 0.25 + 0 + 1) / 4));
  close(mae(yt, yp), 0.5);
  close(r2(yt, yp), 0.9486081370449679, 1e-12);
});

test('seeded split is reproducible, disjoint and stratified', () => {
  const y = Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0));
  const a = trainTestSplit(100, { seed: 7, testFraction: 0.2, stratify: y });
  const b = trainTestSplit(100, { seed: 7, testFraction: 0.2, stratify: y });
  assert.deepEqual(a, b);
  assert.equal(a.test.length, 20);
  assert.equal(Array.from(a.test).filter((i) => y[i] === 1).length, 6);
  assert.equal(new Set([...a.train, ...a.test]).size, 100);
  assert.notDeepEqual(trainTestSplit(100, { seed: 8 }).test, a.test);
});

test('k-fold covers every row once with balanced stratified folds', () => {
  const y = Array.from({ length: 53 }, (_, i) => i % 3);
  const folds = kFold(53, 5, { seed: 1, stratify: y });
  const seen = new Array<number>(53).fill(0);
  for (const f of folds) {
    for (const i of f.test) seen[i]! += 1;
    assert.equal(f.train.length + f.test.length, 53);
    assert.ok(f.test.length >= 10 && f.test.length <= 11);
  }
  assert.ok(seen.every((c) => c === 1));
});
