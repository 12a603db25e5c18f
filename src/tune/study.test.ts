import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStudy, restoreStudy, TuneError } from './index.js';
import type { Params, Sampler, SearchSpace, Study, StudyOptions } from './index.js';

const space: SearchSpace = {
  x: { type: 'float', low: -5, high: 5 },
  lr: { type: 'float', low: 1e-5, high: 1e-1, log: true },
  units: { type: 'int', low: 16, high: 256, step: 16 },
  opt: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
};
const objective = (p: Params): number =>
  ((p.x as number) - 1) ** 2 +
  Math.abs(Math.log10(p.lr as number) + 3) +
  Math.abs((p.units as number) - 128) / 64 +
  (p.opt === 'adam' ? 0 : 1);

function drive(study: Study, n: number, f: (p: Params) => number = objective): Params[] {
  const seen: Params[] = [];
  for (let i = 0; i < n; i++) {
    const t = study.ask()!;
    seen.push(t.params);
    study.tell(t.id, { value: f(t.params) });
  }
  return seen;
}

for (const algorithm of ['random', 'tpe', 'gp']) {
  test(`${algorithm}: same seed gives the same trials, another seed differs`, () => {
    const a = drive(createStudy({ space, algorithm, seed: 3 }), 14);
    const b = drive(createStudy({ space, algorithm, seed: 3 }), 14);
    const c = drive(createStudy({ space, algorithm, seed: 4 }), 14);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test(`${algorithm}: a study restored from JSON proposes exactly what the original would`, () => {
    const original = createStudy({ space, algorithm, seed: 11 });
    drive(original, 13);
    const pending = original.ask()!; // one trial still running at the snapshot
    const restored = restoreStudy(JSON.parse(JSON.stringify(original.toJSON())));
    for (const s of [original, restored]) s.tell(pending.id, { value: objective(pending.params) });
    assert.deepEqual(drive(restored, 4), drive(original, 4));
    assert.deepEqual(restored.toJSON(), original.toJSON());
  });
}

test('values respect the space: bounds, log scale, steps and choices', () => {
  const study = createStudy({ space, algorithm: 'tpe', seed: 1 });
  for (const p of drive(study, 40)) {
    assert.ok((p.x as number) >= -5 && (p.x as number) <= 5);
    assert.ok((p.lr as number) >= 1e-5 && (p.lr as number) <= 0.1);
    assert.equal(((p.units as number) - 16) % 16, 0);
    assert.ok(['sgd', 'adam', 'rmsprop'].includes(p.opt as string));
  }
});

test('several trials may be outstanding; tells in any order; constant liar spreads them out', () => {
  const study = createStudy({ space: { x: space.x! }, algorithm: 'tpe', seed: 5 });
  const f = (p: Params): number => ((p.x as number) - 1) ** 2;
  drive(study, 12, f);
  const running = [study.ask()!, study.ask()!, study.ask()!, study.ask()!];
  assert.equal(new Set(running.map((t) => t.id)).size, 4);
  assert.equal(new Set(running.map((t) => t.params.x)).size, 4, 'pending trials must not be proposed twice');
  for (const t of [...running].reverse()) study.tell(t.id, { value: f(t.params) });
  assert.equal(study.trials().filter((t) => t.state === 'complete').length, 16);
});

test('failed trials are recorded and ignored by the model; bad tells are rejected', () => {
  const study = createStudy({ space, algorithm: 'tpe', seed: 2 });
  const a = study.ask()!;
  study.tell(a.id, { failed: 'CUDA out of memory' });
  const b = study.ask()!;
  study.tell(b.id, { value: Number.NaN });
  assert.equal(study.trials()[a.id]!.state, 'failed');
  assert.equal(study.trials()[a.id]!.failReason, 'CUDA out of memory');
  assert.equal(study.trials()[b.id]!.state, 'failed');
  assert.equal(study.best(), undefined);
  drive(study, 15);
  assert.ok(study.best());
  assert.throws(
    () => study.tell(a.id, { value: 1 }),
    (e: unknown) => e instanceof TuneError && e.code === 'conflict',
  );
  assert.throws(
    () => study.tell(999, { value: 1 }),
    (e: unknown) => e instanceof TuneError && e.code === 'not_found',
  );
});

test('maximise: best() is the largest value and extra metrics are kept', () => {
  const study = createStudy({ space: { x: space.x! }, algorithm: 'random', direction: 'maximize', seed: 9 });
  for (let i = 0; i < 10; i++) {
    const t = study.ask()!;
    study.tell(t.id, { value: -(((t.params.x as number) - 2) ** 2), metrics: { accuracy: 0.5 + i / 100 } });
  }
  const values = study.trials().map((t) => t.value!);
  assert.equal(study.best()!.value, Math.max(...values));
  assert.equal(typeof study.best()!.metrics!.accuracy, 'number');
});

test('enqueued parameters are asked first and validated', () => {
  const study = createStudy({ space, algorithm: 'tpe' });
  study.enqueue({ x: 1, lr: 1e-3, units: 128, opt: 'adam' });
  assert.deepEqual(study.ask()!.params, { x: 1, lr: 1e-3, units: 128, opt: 'adam' });
  assert.throws(() => study.enqueue({ x: 99, lr: 1e-3, units: 128, opt: 'adam' }), /parameter "x"/);
});

test('a user plugin algorithm is created by name and survives a restore', () => {
  let calls = 0;
  const plugin = (): Sampler => {
    let counter = 0;
    return {
      name: 'sweep',
      suggest: () => (calls++, { params: { x: -5 + counter++ } }),
      getState: () => counter,
      setState: (s) => (counter = s as number),
    };
  };
  const opts: StudyOptions = {
    space: { x: space.x! },
    algorithm: 'sweep',
    plugins: { samplers: { sweep: plugin } },
  };
  const study = createStudy(opts);
  assert.equal(study.ask()!.params.x, -5);
  assert.equal(study.ask()!.params.x, -4);
  const restored = restoreStudy(study.toJSON(), opts.plugins);
  assert.equal(restored.ask()!.params.x, -3);
  assert.equal(calls, 3);
  assert.throws(() => restoreStudy(study.toJSON()), /unknown algorithm "sweep"/);
});

test('conditional parameters appear only when their parent has the listed value', () => {
  const cond: SearchSpace = {
    opt: { type: 'categorical', choices: ['sgd', 'adam'] },
    momentum: { type: 'float', low: 0, high: 0.99, condition: { parent: 'opt', values: ['sgd'] } },
    x: { type: 'float', low: -1, high: 1 },
  };
  for (const algorithm of ['random', 'tpe']) {
    const study = createStudy({ space: cond, algorithm, seed: 1 });
    for (let i = 0; i < 30; i++) {
      const t = study.ask()!;
      assert.equal('momentum' in t.params, t.params.opt === 'sgd');
      study.tell(t.id, {
        value: (t.params.x as number) ** 2 + (t.params.opt === 'sgd' ? (t.params.momentum as number) : 1),
      });
    }
  }
});
