/**
 * scoreModel on a three-class model: every metric against numbers worked out from the data, and
 * the bad inputs (wrong-task metrics, AUC on three classes, unknown labels, empty data).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, predict, train } from '../../learn/index.js';
import { AppError } from '../../errors.js';
import { scoreModel } from './run-evaluate.js';

/** x alone decides the class: a < 10, b < 20, c otherwise. */
function csv(xs: number[], label: (x: number) => string = (x) => (x < 10 ? 'a' : x < 20 ? 'b' : 'c')) {
  return new TextEncoder().encode(`x,label\n${xs.map((x) => `${x},${label(x)}`).join('\n')}\n`);
}

const trainXs = Array.from({ length: 30 }, (_, i) => i);
const model = train('decision_tree', parseCsv(csv(trainXs)), 'label', {}).model;

test('a perfect three-class model: Top1 1, diagonal confusion matrix, macro P/R/F1 1', () => {
  const data = csv([1, 2, 12, 13, 14, 25]);
  const { rows, results } = scoreModel(
    model,
    data,
    ['Top1', 'Top5', 'ConfusionMatrix', 'Precision', 'Recall', 'F1', 'LogLoss'],
    null,
  );
  assert.equal(rows, 6);
  assert.equal(results.Top1, 1);
  assert.equal(results.Top5, 1);
  assert.deepEqual(results.ConfusionMatrix, {
    labels: ['a', 'b', 'c'],
    matrix: [
      [2, 0, 0],
      [0, 3, 0],
      [0, 0, 1],
    ],
  });
  assert.equal(results.Precision, 1);
  assert.equal(results.Recall, 1);
  assert.equal(results.F1, 1);
  // LogLoss: mean of -log p(true class), from the model's own probabilities.
  const out = predict(model, parseCsv(data)).output;
  const truth = [0, 0, 1, 1, 1, 2];
  const expected = -truth.reduce((s, c, i) => s + Math.log(Math.max(1e-15, out[i * 3 + c]!)), 0) / 6;
  assert.ok(Math.abs((results.LogLoss as number) - expected) < 1e-12);
});

test('labels that disagree with the model: Top1, confusion matrix and macro recall by hand', () => {
  // The model says a, a, b, c; the labels say a, b, b, a.
  const labels = new Map([
    [1, 'a'],
    [2, 'b'],
    [12, 'b'],
    [25, 'a'],
  ]);
  const { results } = scoreModel(
    model,
    csv([1, 2, 12, 25], (x) => labels.get(x)!),
    ['Top1', 'ConfusionMatrix', 'Recall'],
    null,
  );
  assert.equal(results.Top1, 0.5);
  assert.deepEqual((results.ConfusionMatrix as { matrix: number[][] }).matrix, [
    [1, 0, 1],
    [1, 1, 0],
    [0, 0, 0],
  ]);
  // Recall per class: a 1/2, b 1/2, c 0 (no rows) → macro 1/3.
  assert.equal(results.Recall, 1 / 3);
});

test('bad inputs are 400 with the reason', () => {
  const is400 = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof AppError && e.status === 400 && message.test(e.message));
  is400(() => scoreModel(model, csv([1, 12]), ['RMSE'], null), /need a regressor/);
  is400(() => scoreModel(model, csv([1, 12]), ['AUC'], null), /AUC needs a binary classifier/);
  is400(
    () =>
      scoreModel(
        model,
        csv([1], () => 'z'),
        ['Top1'],
        null,
      ),
    /label 'z' is not a class/,
  );
  is400(() => scoreModel(model, new TextEncoder().encode('x,label\n'), ['Top1'], null), /no rows/);
  is400(
    () => scoreModel(model, new TextEncoder().encode('x,y\n1,2\n'), ['Top1'], null),
    /no target column 'label'/,
  );
});
