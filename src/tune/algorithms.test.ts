import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStudy } from './index.js';
import type { Params, SearchSpace, Study } from './index.js';

// Branin: three global minima with f* = 0.397887; a standard easy 2-D test function.
const branin = (p: Params): number => {
  const x1 = p.x1 as number;
  const x2 = p.x2 as number;
  const b = 5.1 / (4 * Math.PI ** 2);
  return (x2 - b * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
};
const braninSpace: SearchSpace = {
  x1: { type: 'float', low: -5, high: 10 },
  x2: { type: 'float', low: 0, high: 15 },
};
const F_STAR = 0.397887;

function bestAfter(study: Study, n: number, f: (p: Params) => number): number {
  for (let i = 0; i < n; i++) {
    const t = study.ask()!;
    study.tell(t.id, { value: f(t.params) });
  }
  return study.best()!.value!;
}

test('random search gets within 0.5 of the Branin optimum in 200 trials', () => {
  assert.ok(
    bestAfter(createStudy({ space: braninSpace, algorithm: 'random', seed: 1 }), 200, branin) - F_STAR < 0.5,
  );
});

test('TPE (multivariate and independent) gets within 0.2 of the Branin optimum in 100 trials', () => {
  for (const multivariate of [true, false]) {
    for (const seed of [1, 2]) {
      const study = createStudy({
        space: braninSpace,
        algorithm: 'tpe',
        algorithmOptions: { multivariate },
        seed,
      });
      const regret = bestAfter(study, 100, branin) - F_STAR;
      assert.ok(regret < 0.2, `multivariate=${multivariate} seed=${seed}: regret ${regret}`);
    }
  }
});

test('GP finds the Branin optimum to 1e-4 in 50 trials', () => {
  for (const seed of [1, 2]) {
    const regret = bestAfter(createStudy({ space: braninSpace, algorithm: 'gp', seed }), 50, branin) - F_STAR;
    assert.ok(regret < 1e-4, `seed=${seed}: regret ${regret}`);
  }
});

test('GP maximises too, and handles int and categorical parameters', () => {
  const space: SearchSpace = {
    n: { type: 'int', low: 0, high: 20 },
    kind: { type: 'categorical', choices: ['a', 'b', 'c'] },
  };
  const f = (p: Params): number => -(((p.n as number) - 13) ** 2) + (p.kind === 'b' ? 5 : 0);
  const study = createStudy({ space, algorithm: 'gp', direction: 'maximize', seed: 3 });
  assert.equal(bestAfter(study, 30, f), 5);
});

test('grid search visits every combination exactly once, then stops', () => {
  const space: SearchSpace = {
    a: { type: 'int', low: 1, high: 3 },
    b: { type: 'categorical', choices: ['x', 'y'] },
    c: { type: 'float', low: 0, high: 1, step: 0.5 },
  };
  for (const algorithmOptions of [{}, { shuffleSeed: 4 }]) {
    const study = createStudy({ space, algorithm: 'grid', algorithmOptions });
    const seen = new Set<string>();
    for (;;) {
      const t = study.ask();
      if (!t) break;
      seen.add(JSON.stringify(t.params));
      study.tell(t.id, { value: 0 });
    }
    assert.equal(seen.size, 3 * 2 * 3);
    assert.equal(study.trials().length, 18);
  }
});

test('grid search refuses a continuous float without a step or floatPoints, naming it', () => {
  assert.throws(() => createStudy({ space: braninSpace, algorithm: 'grid' }), /parameter "x1"/);
  const study = createStudy({ space: braninSpace, algorithm: 'grid', algorithmOptions: { floatPoints: 4 } });
  let n = 0;
  while (study.ask()) n++;
  assert.equal(n, 16);
});

// Multi-fidelity sphere: the value at resource r approaches the true one as r grows.
const mf = (p: Params, r: number, rMax: number): number =>
  ((p.x as number) - 0.3) ** 2 + ((p.y as number) + 0.2) ** 2 + 0.5 * (1 - r / rMax);
const square: SearchSpace = {
  x: { type: 'float', low: -1, high: 1 },
  y: { type: 'float', low: -1, high: 1 },
};

for (const algorithm of ['hyperband', 'asha']) {
  test(`${algorithm} promotes good configurations to the full resource and finds the optimum`, () => {
    const study = createStudy({
      space: square,
      algorithm,
      algorithmOptions: { resourceName: 'epochs', maxResource: 27, eta: 3 },
      seed: 1,
    });
    let best = Infinity;
    for (let i = 0; i < 300; i++) {
      const t = study.ask()!;
      const epochs = t.params.epochs as number;
      assert.ok([1, 3, 9, 27].includes(epochs));
      const v = mf(t.params, epochs, 27);
      study.tell(t.id, { value: v });
      if (epochs === 27) best = Math.min(best, v);
    }
    const full = study.trials().filter((t) => t.params.epochs === 27).length;
    assert.ok(full > 5 && full < 150, `full-resource trials: ${full}`);
    assert.ok(best < 0.01, `best at full resource ${best}`);
  });
}

test('hyperband requires its resource settings', () => {
  assert.throws(
    () => createStudy({ space: square, algorithm: 'hyperband', algorithmOptions: { maxResource: 9 } }),
    /resourceName/,
  );
});

for (const pruner of ['median', 'successive-halving']) {
  test(`${pruner} pruner stops clearly bad trials and lets good ones finish`, () => {
    const study = createStudy({ space: square, algorithm: 'random', pruner, seed: 2 });
    let prunedWorse = 0;
    let pruned = 0;
    for (let i = 0; i < 60; i++) {
      const t = study.ask()!;
      let stopped = false;
      for (let step = 1; step <= 16; step++) {
        if (study.tell(t.id, { intermediate: { step, value: mf(t.params, step, 16) } }).prune) {
          study.tell(t.id, { pruned: true });
          stopped = true;
          break;
        }
      }
      if (stopped) {
        pruned++;
        if (mf(t.params, 16, 16) > study.best()!.value!) prunedWorse++;
      } else study.tell(t.id, { value: mf(t.params, 16, 16) });
    }
    assert.ok(pruned >= 15, `pruned ${pruned}`);
    assert.equal(prunedWorse, pruned, 'every pruned trial was worse than the best finished one');
  });
}
