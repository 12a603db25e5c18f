import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrame } from './frame.js';
import { accuracy } from './metrics.js';
import { predict } from './model.js';
import { loadModel, saveModel } from './model-format.js';
import { createRng } from './random.js';
import { loadFixture } from './test-helpers.js';
import { train } from './train.js';

test('mlp learns XOR, which no linear model can', () => {
  const rng = createRng(2);
  const n = 400;
  const a = Float64Array.from({ length: n }, () => rng.next() * 2 - 1);
  const b = Float64Array.from({ length: n }, () => rng.next() * 2 - 1);
  const y = Array.from({ length: n }, (_, i) => (a[i]! * b[i]! > 0 ? 1 : 0));
  const frame = createFrame([
    { kind: 'numeric', name: 'a', values: a },
    { kind: 'numeric', name: 'b', values: b },
  ]);
  const { model } = train('mlp', frame, y, {
    hidden_layer_sizes: [16],
    learning_rate: 0.01,
    batch_size: 32,
    max_iter: 300,
  });
  assert.ok(accuracy(y, predict(model, frame).classIndex!) >= 0.9);
  const lin = train('logistic_regression', frame, y).model;
  assert.ok(accuracy(y, predict(lin, frame).classIndex!) < 0.7);
});

test('mlp multiclass on iris, resume equals uninterrupted run, round trip is exact', () => {
  const iris = loadFixture('iris');
  const params = { hidden_layer_sizes: [8, 8], max_iter: 60, learning_rate: 0.01, batch_size: 16 };
  const full = train('mlp', iris, 'target', params).model;
  const t = iris.columns.find((c) => c.name === 'target')!;
  assert.ok(accuracy(t.kind === 'categorical' ? t.codes : [], predict(full, iris).classIndex!) >= 0.9);
  const part = train('mlp', iris, 'target', params, {
    onIteration: (i) => (i.iteration === 20 ? 'stop' : undefined),
  });
  const resumed = train('mlp', iris, 'target', params, {
    resumeFrom: JSON.parse(JSON.stringify(part.checkpoint)),
  }).model;
  assert.deepEqual(predict(resumed, iris).output, predict(full, iris).output);
  assert.deepEqual(predict(loadModel(saveModel(full)), iris).output, predict(full, iris).output);
  assert.throws(
    () => train('mlp', iris, 'target', { hidden_layer_sizes: [0] }),
    /"hidden_layer_sizes" must be an array of integers >= 1/,
  );
});
