import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStudy } from './index.js';
import type { Params, SearchSpace } from './index.js';
import { compileSpace } from './space.js';
import { encode, mergeDuplicates, snapToGrid } from './gp-encode.js';

// A small tabular problem like the HPOLib ones: ordinal and categorical dims, 6·6·4·3 = 432 configurations.
const space: SearchSpace = {
  lr: { type: 'ordinal', values: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1] },
  units: { type: 'ordinal', values: [16, 32, 64, 128, 256, 512] },
  batch: { type: 'int', low: 1, high: 4 },
  act: { type: 'categorical', choices: ['relu', 'tanh', 'elu'] },
};
const loss = (p: Params): number =>
  (Math.log10(p.lr as number) + 2) ** 2 +
  (Math.log2(p.units as number) - 7) ** 2 / 4 +
  ((p.batch as number) - 3) ** 2 / 2 +
  (p.act === 'tanh' ? 0 : 0.7);
// Unique minimum: lr 0.01, units 128, batch 3, tanh.

test('mergeDuplicates keeps one row per configuration with the mean loss', () => {
  const X = Float64Array.from([0.1, 0.2, 0.5, 0.5, 0.1, 0.2, 0.1, 0.2]);
  const m = mergeDuplicates(X, 2, [1, 4, 3, 8]);
  assert.deepEqual(Array.from(m.X), [0.1, 0.2, 0.5, 0.5]);
  assert.deepEqual(m.losses, [4, 4]);
  const none = mergeDuplicates(Float64Array.from([0, 1]), 2, [2]);
  assert.deepEqual(none.losses, [2]);
});

test('snapToGrid moves grid dimensions onto the value that will be evaluated, continuous ones stay', () => {
  const dims = compileSpace({ ...space, f: { type: 'float', low: 0, high: 1 } });
  const x = snapToGrid(dims, Float64Array.from([0.49, 0.01, 0.9, 2, 0.123]));
  const asParams = encode(dims, { lr: 0.005, units: 16, batch: 4, act: 'elu', f: 0.123 });
  for (let j = 0; j < 4; j++) assert.equal(x[j], asParams[j], `dim ${j}`);
  assert.equal(x[4], 0.123);
});

test('GP on a discrete space never repeats a configuration and reaches the optimum', () => {
  for (const seed of [1, 2, 3]) {
    const study = createStudy({ space, algorithm: 'gp', seed });
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const t = study.ask()!;
      const key = JSON.stringify(t.params);
      assert.ok(!seen.has(key), `seed ${seed}: trial ${i} repeats ${key}`);
      seen.add(key);
      study.tell(t.id, { value: loss(t.params) });
    }
    assert.ok(study.best()!.value! < 1e-12, `seed ${seed}: best ${study.best()!.value}`);
  }
});

test('repeated configurations in the training set do not break the GP fit', () => {
  const study = createStudy({ space, algorithm: 'gp', seed: 4 });
  const a: Params = { lr: 0.001, units: 64, batch: 2, act: 'relu' };
  const b: Params = { lr: 0.05, units: 256, batch: 4, act: 'elu' };
  for (let i = 0; i < 8; i++) study.enqueue(i % 2 ? a : b);
  study.enqueue({ lr: 0.01, units: 32, batch: 1, act: 'tanh' });
  study.enqueue({ lr: 0.0005, units: 512, batch: 3, act: 'relu' });
  for (let i = 0; i < 10; i++) {
    const t = study.ask()!;
    study.tell(t.id, { value: loss(t.params) });
  }
  // Ten completed trials (four distinct): the GP is now in charge and must propose an unseen configuration.
  const seen = new Set(study.trials().map((t) => JSON.stringify(t.params)));
  for (let i = 0; i < 15; i++) {
    const t = study.ask()!;
    assert.ok(!seen.has(JSON.stringify(t.params)), `proposal ${i} repeats ${JSON.stringify(t.params)}`);
    seen.add(JSON.stringify(t.params));
    study.tell(t.id, { value: loss(t.params) });
  }
  assert.ok(study.best()!.value! < loss(a));
});
