import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  compileSpace,
  createStudy,
  SearchSpaceError,
  TuneError,
  wmlaParamToSpec,
  wmlaToStudyOptions,
} from './index.js';
import type { WmlaHyperParam, WmlaInput } from './index.js';

const request = JSON.parse(
  readFileSync(new URL('../../test/fixtures/hpo/wmla-tpe-request.json', import.meta.url), 'utf8'),
) as WmlaInput;

test('a WMLA Tpe request becomes a TPE study with the mapped parameters', () => {
  const o = wmlaToStudyOptions(request);
  assert.equal(o.algorithm, 'tpe');
  assert.equal(o.seed, 7);
  assert.equal(o.direction, 'minimize');
  // WarmUp 20 is capped by maxJobNum 12, as WMLA documents.
  assert.deepEqual(o.algorithmOptions, {
    nStartupTrials: 12,
    nEiCandidates: 32,
    gammaRatio: 0.2,
    gammaMax: 10,
  });
  assert.deepEqual(o.space.base_lr, { type: 'float', low: 1e-4, high: 0.1, log: true });
  assert.deepEqual(o.space.momentum, { type: 'float', low: 0.5, high: 0.95, step: 0.05 });
  assert.deepEqual(o.space.batch_size, { type: 'ordinal', values: [16, 32, 64, 128] });
  assert.deepEqual(o.space.layers, { type: 'int', low: 1, high: 4 });
  assert.deepEqual(o.space.dropout, { type: 'ordinal', values: [0.1, 0.3, 0.5] });
  assert.deepEqual(o.space.optimizer, { type: 'categorical', choices: ['sgd', 'adam'] });
  const study = createStudy(o);
  for (let i = 0; i < 15; i++) {
    const t = study.ask()!;
    assert.ok([16, 32, 64, 128].includes(t.params.batch_size as number));
    assert.ok(Number.isInteger(Math.round((((t.params.momentum as number) - 0.5) / 0.05) * 1e6) / 1e6));
    study.tell(t.id, { value: Math.log10(t.params.base_lr as number) ** 2 });
  }
});

test('WMLA Bayesian, Hyperband, Random and ExperimentGridSearch map onto our algorithms', () => {
  const hp = request.hyperParams;
  const def = { objective: 'Maximize', maxJobNum: 50 };
  const bayes = wmlaToStudyOptions({
    algoDef: {
      ...def,
      algorithm: 'Bayesian',
      algoParams: [
        { name: 'InitPoints', value: '5' },
        { name: 'Noiseless', value: 'false' },
      ],
    },
    hyperParams: hp,
  });
  assert.equal(bayes.direction, 'maximize');
  assert.deepEqual(bayes.algorithmOptions, { nStartupTrials: 5, nCandidates: 4096, noiseless: false });
  const hb = wmlaToStudyOptions({
    algoDef: {
      ...def,
      algorithm: 'Hyperband',
      algoParams: [
        { name: 'ResourceName', value: 'layers' },
        { name: 'ResourceValue', value: '81' },
        { name: 'eta', value: '3' },
      ],
    },
    hyperParams: hp,
  });
  assert.deepEqual(hb.algorithmOptions, { resourceName: 'layers', maxResource: 81, eta: 3 });
  assert.equal(hb.space.layers, undefined, 'the resource is set by Hyperband, not searched');
  assert.equal(
    wmlaToStudyOptions({ algoDef: { ...def, algorithm: 'Random' }, hyperParams: hp }).algorithm,
    'random',
  );
  const grid = wmlaToStudyOptions({
    algoDef: { ...def, algorithm: 'ExperimentGridSearch' },
    experiments: [
      {
        id: 1,
        hyperParams: [
          { name: 'lr', dataType: 'double', fixedVal: 0.1 },
          { name: 'opt', dataType: 'str', fixedVal: 'sgd' },
        ],
      },
      {
        id: 2,
        hyperParams: [
          { name: 'lr', dataType: 'double', fixedVal: '0.01' },
          { name: 'opt', dataType: 'str', fixedVal: 'adam' },
        ],
      },
    ],
  });
  const study = createStudy(grid);
  assert.deepEqual(study.ask()!.params, { lr: 0.1, opt: 'sgd' });
  assert.deepEqual(study.ask()!.params, { lr: 0.01, opt: 'adam' });
  assert.equal(study.ask(), null);
});

test('WMLA validation errors name the parameter or field', () => {
  const bad = (hp: Partial<WmlaHyperParam>, re: RegExp): void =>
    assert.throws(
      () => wmlaParamToSpec({ name: 'lr', type: 'Range', dataType: 'double', ...hp } as WmlaHyperParam),
      (e: unknown) => e instanceof SearchSpaceError && e.param === 'lr' && re.test(e.message),
    );
  bad({ minDbVal: 1 }, /maxDbVal is required/);
  bad({ minDbVal: 2, maxDbVal: 1 }, /must be less than/);
  bad({ dataType: 'float', minDbVal: 0, maxDbVal: 1 }, /dataType must be one of int, double, str/);
  bad({ dataType: 'int', minIntVal: 0.5, maxIntVal: 3 }, /minIntVal must be an integer/);
  bad({ minDbVal: 0, maxDbVal: 1, step: '-1' }, /step must be a positive/);
  bad({ minDbVal: 0, maxDbVal: 1, power: '1' }, /power must be a positive number other than 1/);
  bad({ type: 'Discrete', discreteDbVal: [0.1], power: '10' }, /only valid when type is Range/);
  bad({ type: 'Discrete', dataType: 'str' }, /discreateStrVal must be a non-empty list/);
  bad({ type: 'Fix' }, /type must be Range or Discrete/);
  const def = { algorithm: 'Tpe', objective: 'minimize' };
  const invalid = (input: unknown, re: RegExp): void =>
    assert.throws(
      () => wmlaToStudyOptions(input as WmlaInput),
      (e: unknown) => e instanceof TuneError && e.code === 'invalid' && re.test(e.message),
    );
  invalid(
    { algoDef: { ...def, objective: 'lowest' }, hyperParams: request.hyperParams },
    /objective must be minimize or maximize/,
  );
  invalid(
    { algoDef: def, hyperParams: request.hyperParams, experiments: [] },
    /exactly one of hyperParams and experiments/,
  );
  invalid(
    { algoDef: { ...def, algoParams: [{ name: 'WarmUp', value: '2' }] }, hyperParams: request.hyperParams },
    /WarmUp must be an integer > 2/,
  );
  invalid(
    { algoDef: { ...def, algorithm: 'Hyperband' }, hyperParams: request.hyperParams },
    /ResourceName is required/,
  );
  invalid(
    { algoDef: { ...def, algorithm: 'ExperimentGridSearch' }, hyperParams: request.hyperParams },
    /needs experiments/,
  );
  assert.throws(
    () =>
      wmlaToStudyOptions({ algoDef: def, hyperParams: [request.hyperParams![0]!, request.hyperParams![0]!] }),
    /"base_lr": is defined twice/,
  );
});

test('native search space validation names the parameter and the rule', () => {
  const cases: [Parameters<typeof compileSpace>[0], RegExp][] = [
    [{ lr: { type: 'float', low: 0, high: 1, log: true } }, /"lr": log scale needs low > 0/],
    [{ n: { type: 'int', low: 1.5, high: 4 } }, /"n": int bounds must be integers/],
    [{ n: { type: 'int', low: 5, high: 4 } }, /"n": low \(5\) must be less than high \(4\)/],
    [
      { x: { type: 'float', low: 0.1, high: 1, log: true, step: 0.1 } },
      /"x": step cannot be combined with log/,
    ],
    [{ c: { type: 'categorical', choices: [] } }, /"c": choices must be a non-empty list/],
    [{ c: { type: 'categorical', choices: ['a', 'a'] } }, /"c": choices must be distinct/],
    [
      { m: { type: 'float', low: 0, high: 1, condition: { parent: 'opt', values: ['sgd'] } } },
      /"m": condition parent "opt" must be declared before it/,
    ],
  ];
  for (const [space, re] of cases) assert.throws(() => compileSpace(space), re);
});
