import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrame, frameFromMatrix } from './frame.js';
import { accuracy } from './metrics.js';
import { predict } from './model.js';
import { loadModel, saveModel } from './model-format.js';
import { createRng } from './random.js';
import { loadFixture } from './test-helpers.js';
import { train } from './train.js';

function noiseless(n: number, w: number[], b: number): { x: Float64Array; y: Float64Array } {
  const rng = createRng(1);
  const d = w.length;
  const x = Float64Array.from({ length: n * d }, () => rng.next() * 4 - 2);
  const y = Float64Array.from({ length: n }, (_, i) => w.reduce((s, wj, j) => s + wj * x[i * d + j]!, b));
  return { x, y };
}

test('ordinary least squares recovers exact coefficients on noiseless data', () => {
  const w = [2, -3, 0.5];
  const { x, y } = noiseless(50, w, 4);
  const { model } = train('linear_regression', { x, nRows: 50, nCols: 3 }, y, {
    alpha: 0,
    standardize: false,
  });
  assert.equal(model.predictor.kind, 'linear');
  if (model.predictor.kind !== 'linear') return;
  const weights = model.predictor.weights;
  w.forEach((wj, j) => assert.ok(Math.abs(weights[j]! - wj) < 1e-9));
  assert.ok(Math.abs(model.predictor.bias[0]! - 4) < 1e-9);
});

test('ridge matches the closed form on a small hand-checked problem', () => {
  // One centred feature x = [-1, 0, 1], y = [-2, 0, 2] + 5: w = Σxy / (Σx² + α) = 4 / (2 + 2) = 1, b = 5.
  const { model } = train('linear_regression', { x: [-1, 0, 1], nRows: 3, nCols: 1 }, [3, 5, 7], {
    alpha: 2,
    standardize: false,
  });
  if (model.predictor.kind !== 'linear') throw new Error('expected linear');
  assert.ok(Math.abs(model.predictor.weights[0]! - 1) < 1e-12);
  assert.ok(Math.abs(model.predictor.bias[0]! - 5) < 1e-12);
});

test('standardised ridge predicts the same as the unstandardised fit when alpha = 0', () => {
  const { x, y } = noiseless(40, [1, 2], -1);
  const data = frameFromMatrix(x, 40, 2);
  const a = predict(train('linear_regression', data, y, { alpha: 0 }).model, data).output;
  for (let i = 0; i < 40; i++) assert.ok(Math.abs(a[i]! - y[i]!) < 1e-9);
});

test('one-hot categorical features with imputation', () => {
  const city = ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b'];
  const size = Float64Array.of(1, 2, 3, NaN, 5, 6, 7, 8);
  const y = city.map((c, i) => ({ a: 10, b: 20, c: 30 })[c]! + (Number.isNaN(size[i]!) ? 32 / 7 : size[i]!));
  const frame = createFrame([
    {
      kind: 'categorical',
      name: 'city',
      codes: Int32Array.from(city, (c) => 'abc'.indexOf(c)),
      levels: ['a', 'b', 'c'],
    },
    { kind: 'numeric', name: 'size', values: size },
  ]);
  const { model } = train('linear_regression', frame, y, { alpha: 0 });
  assert.deepEqual(model.preprocess.outputNames, ['city=a', 'city=b', 'city=c', 'size']);
  const out = predict(model, frame).output;
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(out[i]! - y[i]!) < 1e-8, `row ${i}`);
});

test('logistic regression: separable-ish binary data and multinomial iris', () => {
  const iris = loadFixture('iris');
  const { model } = train('logistic_regression', iris, 'target');
  const p = predict(model, iris);
  const t = iris.columns.find((c) => c.name === 'target')!;
  const truth = t.kind === 'categorical' ? Array.from(t.codes) : [];
  assert.ok(accuracy(truth, p.classIndex!) >= 0.95);
  const bc = loadFixture('breast_cancer');
  const m2 = train('logistic_regression', bc, 'target').model;
  const t2 = bc.columns.find((c) => c.name === 'target')!;
  assert.ok(accuracy(t2.kind === 'categorical' ? t2.codes : [], predict(m2, bc).classIndex!) >= 0.97);
  assert.equal(m2.predictor.link, 'sigmoid');
});

test('logistic regression loss decreases and resume equals an uninterrupted run', () => {
  const wine = loadFixture('wine');
  const losses: number[] = [];
  const full = train(
    'logistic_regression',
    wine,
    'target',
    { max_iter: 30 },
    { onIteration: (i) => void losses.push(i.metrics.train_loss!) },
  );
  for (let i = 1; i < losses.length; i++) assert.ok(losses[i]! < losses[i - 1]!);
  const part = train(
    'logistic_regression',
    wine,
    'target',
    { max_iter: 30 },
    { onIteration: (i) => (i.iteration === 7 ? 'stop' : undefined) },
  );
  assert.equal(part.model.info.iterations, 7);
  const resumed = train(
    'logistic_regression',
    wine,
    'target',
    { max_iter: 30 },
    { resumeFrom: JSON.parse(JSON.stringify(part.checkpoint)) },
  );
  assert.deepEqual(predict(resumed.model, wine).output, predict(full.model, wine).output);
  const loaded = loadModel(saveModel(full.model));
  assert.deepEqual(predict(loaded, wine).output, predict(full.model, wine).output);
});

test('logistic regression rejects regression targets and bad C', () => {
  const d = loadFixture('diabetes');
  assert.throws(
    () => train('logistic_regression', d, 'target', { task: 'regression' }),
    /does not support task "regression"/,
  );
  assert.throws(() => train('logistic_regression', d, 'target', { C: -1 }), /"C" must be > 0/);
});
