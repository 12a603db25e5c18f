import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrame, takeRows } from './frame.js';
import { autoThreads } from './gbdt.js';
import type { Frame } from './frame.js';
import { accuracy, r2 } from './metrics.js';
import { predict } from './model.js';
import { LearnParamError } from './params.js';
import { createRng } from './random.js';
import { trainTestSplit } from './split.js';
import { loadFixture } from './test-helpers.js';
import { train } from './train.js';

function holdout(frame: Frame, seed = 42): { tr: Frame; te: Frame; labels: string[] } {
  const s = trainTestSplit(frame.nRows, { seed, testFraction: 0.25 });
  const te = takeRows(frame, s.test);
  const t = te.columns.find((c) => c.name === 'target')!;
  const labels = Array.from({ length: te.nRows }, (_, i) =>
    t.kind === 'categorical' ? t.levels[t.codes[i]!]! : String(t.values[i]),
  );
  return { tr: takeRows(frame, s.train), te, labels };
}

test('gbdt reaches ≥ 0.93 holdout accuracy on breast_cancer and ≥ 0.9 on wine (multiclass)', () => {
  for (const [name, floor] of [
    ['breast_cancer', 0.93],
    ['wine', 0.9],
  ] as const) {
    const h = holdout(loadFixture(name));
    const { model } = train('gbdt', h.tr, 'target', { n_estimators: 60, max_depth: 4 });
    const labels = predict(model, h.te).labels!;
    const truth = h.labels;
    const acc = accuracy(
      labels.map((l) => model.classes.indexOf(l)),
      truth.map((l) => model.classes.indexOf(l)),
    );
    assert.ok(acc >= floor, `${name} accuracy ${acc} < ${floor}`);
  }
});

test('gbdt regression on diabetes beats R² 0.3 and training loss decreases every round', () => {
  const h = holdout(loadFixture('diabetes'));
  const losses: number[] = [];
  const { model } = train(
    'gbdt',
    h.tr,
    'target',
    { n_estimators: 80, max_depth: 3, learning_rate: 0.05 },
    {
      onIteration: ({ metrics }) => void losses.push(metrics.train_loss!),
    },
  );
  assert.equal(model.task, 'regression');
  assert.equal(losses.length, 80);
  for (let i = 1; i < losses.length; i++)
    assert.ok(losses[i]! < losses[i - 1]!, `loss rose at round ${i + 1}`);
  const yTe = h.te.columns.find((c) => c.name === 'target')!;
  const pred = predict(model, h.te).output;
  assert.ok(r2(yTe.kind === 'numeric' ? yTe.values : [], pred) > 0.3);
});

test('binary and multiclass training loss is monotone decreasing', () => {
  for (const name of ['breast_cancer', 'iris'] as const) {
    const losses: number[] = [];
    train(
      'gbdt',
      loadFixture(name),
      'target',
      { n_estimators: 30 },
      { onIteration: (i) => void losses.push(i.metrics.train_loss!) },
    );
    for (let i = 1; i < losses.length; i++)
      assert.ok(losses[i]! <= losses[i - 1]!, `${name} loss rose at round ${i + 1}`);
  }
});

test('onIteration "stop" ends training and resume reproduces the uninterrupted model exactly', () => {
  const data = loadFixture('wine');
  const params = { n_estimators: 25, subsample: 0.8, colsample: 0.7, seed: 3 };
  const full = train('gbdt', data, 'target', params).model;
  const partial = train('gbdt', data, 'target', params, {
    onIteration: ({ iteration }) => (iteration === 9 ? 'stop' : undefined),
  });
  assert.equal(partial.model.info.iterations, 9);
  const checkpoint = JSON.parse(JSON.stringify(partial.checkpoint)) as typeof partial.checkpoint;
  const resumed = train('gbdt', data, 'target', params, { resumeFrom: checkpoint }).model;
  assert.equal(resumed.info.iterations, 25);
  assert.deepEqual(predict(resumed, data).output, predict(full, data).output);
  assert.deepEqual(resumed.predictor, full.predictor);
});

test('early stopping keeps the best round and importance ranks the informative feature first', () => {
  const rng = createRng(5);
  const n = 1500;
  const x0 = Float64Array.from({ length: n }, () => rng.next() * 2 - 1);
  const noise = Float64Array.from({ length: n }, () => rng.next());
  const y = Float64Array.from(x0, (v) => (rng.next() < 1 / (1 + Math.exp(-4 * v)) ? 1 : 0));
  const frame = createFrame([
    { kind: 'numeric', name: 'noise', values: noise },
    { kind: 'numeric', name: 'signal', values: x0 },
    { kind: 'numeric', name: 'target', values: y },
  ]);
  const { model } = train('gbdt', frame, 'target', {
    n_estimators: 500,
    learning_rate: 0.3,
    early_stopping_rounds: 10,
  });
  assert.ok(model.info.iterations! < 500, 'early stopping should trigger');
  assert.equal(
    model.predictor.kind === 'trees' ? model.predictor.treeRoot.length : -1,
    model.info.bestIteration,
  );
  const imp = model.info.featureImportance!;
  assert.ok(imp.signal! > imp.noise!);
});

test('missing values are routed and categorical features are used', () => {
  const rng = createRng(9);
  const n = 600;
  const colour = Array.from({ length: n }, () => ['red', 'green', 'blue'][rng.int(3)]!);
  const v = Float64Array.from({ length: n }, () => (rng.next() < 0.3 ? NaN : rng.next()));
  const y = colour.map((c, i) => (c === 'red' || Number.isNaN(v[i]!) ? 'yes' : 'no'));
  const { model } = train(
    'gbdt',
    createFrame([
      {
        kind: 'categorical',
        name: 'colour',
        codes: Int32Array.from(colour, (c) => ['blue', 'green', 'red'].indexOf(c)),
        levels: ['blue', 'green', 'red'],
      },
      { kind: 'numeric', name: 'v', values: v },
    ]),
    y,
    { n_estimators: 20 },
  );
  const test = createFrame([
    { kind: 'numeric', name: 'v', values: Float64Array.of(NaN, 0.5, 0.5) },
    { kind: 'categorical', name: 'colour', codes: Int32Array.of(0, 1, 0), levels: ['blue', 'red'] },
  ]);
  assert.deepEqual(predict(model, test).labels, ['yes', 'yes', 'no']);
});

test('invalid parameters fail with an error naming the parameter', () => {
  const data = loadFixture('iris');
  const cases: [Record<string, unknown>, string][] = [
    [{ learning_rate: 0 }, 'learning_rate'],
    [{ max_depth: 2.5 }, 'max_depth'],
    [{ subsample: 1.5 }, 'subsample'],
    [{ n_trees: 5 }, 'n_trees'],
    [{ task: 'ranking' }, 'task'],
    [{ min_samples_leaf: 0 }, 'min_samples_leaf'],
  ];
  for (const [params, name] of cases) {
    assert.throws(
      () => train('gbdt', data, 'target', params),
      (e: unknown) => e instanceof LearnParamError && e.param === name && e.message.includes(`"${name}"`),
    );
  }
  assert.throws(() => train('nope', data, 'target'), /unknown learner "nope" \(available: gbdt/);
});

test('a second histogram thread gives a bit-identical model (all features and column samples)', () => {
  const rng = createRng(11);
  // Enough rows that every step is shared: gradients, binning, partitions, histograms, leaf values.
  const n = 40_000;
  const cols = Array.from({ length: 5 }, (_, j) => ({
    kind: 'numeric' as const,
    name: `x${j}`,
    values: Float64Array.from({ length: n }, () => (rng.next() < 0.05 ? NaN : rng.next())),
  }));
  const y = Array.from({ length: n }, (_, i) => (cols[0]!.values[i]! > 0.5 !== rng.next() < 0.1 ? 'a' : 'b'));
  const frame = createFrame(cols);
  for (const colsample of [1, 0.6]) {
    const one = train('gbdt', frame, y, { n_estimators: 4, n_threads: 1, colsample }).model;
    const two = train('gbdt', frame, y, { n_estimators: 4, n_threads: 2, colsample }).model;
    assert.deepEqual(two.predictor, one.predictor);
  }
});

test('the default thread count is 1 below 50k rows and at most 2', () => {
  assert.equal(autoThreads(49_999), 1);
  assert.ok([1, 2].includes(autoThreads(1_000_000)));
});

test('min_samples_leaf bounds the training rows of every leaf (regression: exact)', () => {
  const data = loadFixture('diabetes');
  const leafSizes = (minLeaf: number): number[] => {
    const { model } = train('gbdt', data, 'target', {
      n_estimators: 1,
      max_depth: 8,
      min_samples_leaf: minLeaf,
    });
    // One tree: every distinct training prediction is one leaf.
    const counts = new Map<number, number>();
    for (const v of predict(model, data).output) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts.values()];
  };
  const free = leafSizes(1);
  const bounded = leafSizes(25);
  assert.ok(Math.min(...free) < 25, 'unconstrained tree has a leaf under 25 rows');
  assert.ok(Math.min(...bounded) >= 25, `smallest leaf ${Math.min(...bounded)} < 25`);
  assert.ok(bounded.length > 4, 'the bound still allows splits');
});
