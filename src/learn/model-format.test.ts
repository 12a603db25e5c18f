import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrame } from './frame.js';
import { predict, predictRowInto } from './model.js';
import { loadModel, saveModel } from './model-format.js';
import { loadFixture } from './test-helpers.js';
import { train } from './train.js';

test('saved gbdt models reload with bit-identical predictions (binary, multiclass, regression)', () => {
  for (const name of ['breast_cancer', 'iris', 'diabetes'] as const) {
    const data = loadFixture(name);
    const { model } = train('gbdt', data, 'target', { n_estimators: 15 });
    const bytes = saveModel(model);
    const loaded = loadModel(bytes);
    assert.deepEqual(loaded, model);
    assert.deepEqual(predict(loaded, data).output, predict(model, data).output);
    assert.deepEqual(saveModel(loaded), bytes);
  }
});

test('single-row predict equals batch predict and tolerates any column order', () => {
  const data = loadFixture('wine');
  const { model } = train('gbdt', data, 'target', { n_estimators: 10 });
  const batch = predict(model, data).output;
  const shuffled = createFrame([...data.columns].reverse());
  assert.deepEqual(predict(model, shuffled).output, batch);
  const names = model.preprocess.inputs.map((i) => i.name);
  const cols = names.map((n) => data.columns.find((c) => c.name === n)!);
  const x = new Float64Array(names.length);
  const out = new Float64Array(3);
  for (let r = 0; r < data.nRows; r++) {
    cols.forEach((c, j) => (x[j] = c.kind === 'numeric' ? c.values[r]! : c.codes[r]!));
    predictRowInto(model, x, out);
    assert.deepEqual(Array.from(out), Array.from(batch.subarray(r * 3, r * 3 + 3)));
  }
});

test('loadModel rejects bad magic, unknown versions and truncated bytes', () => {
  const bytes = saveModel(train('gbdt', loadFixture('iris'), 'target', { n_estimators: 2 }).model);
  assert.throws(() => loadModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])), /bad magic/);
  const v2 = bytes.slice();
  v2[4] = 2;
  assert.throws(() => loadModel(v2), /version 2/);
  assert.throws(() => loadModel(bytes.subarray(0, bytes.length - 16)), /truncated/);
});
