/**
 * Hyperband tuning jobs on every dialect: each trial is one run whose params carry its budget
 * (a rung of the ladder min·η^k), a promotion re-runs a configuration at a larger budget as a new
 * trial, the job ends at maxTrials with the best succeeded trial; over a built-in learner
 * (gbdt n_estimators) and over user code; bad options are refused naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResource } from '../src/cli/tune.js';
import { dialectsUnderTest, freshStore, type TestStore } from './helpers/db.js';
import {
  createJob as create,
  finished,
  getJob,
  startServer,
  until,
  uploadBreastCancer,
  uploadProgram,
  type Json,
  type TuningServer,
} from './tuning-helpers.js';

const LADDER = [1, 3, 9, 27];

/** loss = (x-3)² + 10/budget: a larger budget always helps. */
const PROGRAM = `
const p = JSON.parse(require('node:fs').readFileSync('config.json', 'utf8'));
console.log(JSON.stringify({ metric: 'loss', value: (p.x - 3) ** 2 + 10 / p.epochs }));
`;

/** The trials that re-run an earlier trial's configuration at a larger budget. */
function promotions(trials: Json[], resource: string): Array<[Json, Json]> {
  const rest = (t: Json) => JSON.stringify({ ...(t.params as Json), [resource]: undefined });
  const out: Array<[Json, Json]> = [];
  for (const t of trials)
    for (const u of trials)
      if (u.number > t.number && rest(u) === rest(t) && u.params[resource] > t.params[resource])
        out.push([t, u]);
  return out;
}

test('CLI --resource text → algorithmOptions', () => {
  assert.deepEqual(parseResource('n_estimators:81'), { resourceName: 'n_estimators', maxResource: 81 });
  assert.deepEqual(parseResource('epochs:27:3:2'), {
    resourceName: 'epochs',
    maxResource: 27,
    minResource: 3,
    eta: 2,
  });
  assert.throws(() => parseResource('epochs'), /name:max/);
  assert.throws(() => parseResource('epochs:x'), /name:max/);
});

for (const dialect of dialectsUnderTest()) {
  describe(`Hyperband tuning jobs (${dialect})`, () => {
    let store: TestStore;
    let s: TuningServer;
    before(async () => {
      store = await freshStore(dialect);
      s = await startServer(store);
      await uploadBreastCancer(s);
    });
    after(async () => {
      await s.stop();
      await store.close();
    });

    const gbdtJob = (name: string, extra: Json = {}): Json => ({
      name,
      learner: 'gbdt',
      dataset: 'bc',
      space: {
        max_depth: { type: 'int', low: 2, high: 5 },
        learning_rate: { type: 'float', low: 0.05, high: 0.5, log: true },
      },
      algorithm: 'hyperband',
      algorithmOptions: { resourceName: 'n_estimators', maxResource: 27, eta: 3 },
      metric: 'validation_roc_auc',
      direction: 'maximize',
      maxTrials: 10,
      seed: 7,
      ...extra,
    });

    test('gbdt over n_estimators: budgets on the ladder, a promotion, best the maximum', async () => {
      const res = await create(s, gbdtJob('hb-gbdt'));
      assert.equal(res.statusCode, 201, res.body);
      assert.equal((res.json() as Json).algorithm, 'hyperband');
      const job = await finished(s, 'hb-gbdt');
      assert.equal(job.state, 'succeeded', JSON.stringify(job));
      const trials = job.trials as Json[];
      assert.equal(trials.length, 10);
      for (const t of trials) {
        assert.equal(t.state, 'succeeded', JSON.stringify(t));
        assert.ok(LADDER.includes(t.params.n_estimators as number), JSON.stringify(t.params));
        const run = (await s.app.inject({ url: `/api/v1/runs/${t.runId}` })).json() as Json;
        assert.equal(run.params.n_estimators, t.params.n_estimators, JSON.stringify(run.params));
        assert.equal(run.params.max_depth, t.params.max_depth);
        assert.equal(run.state, 'succeeded');
      }
      assert.ok(promotions(trials, 'n_estimators').length >= 1, JSON.stringify(trials.map((t) => t.params)));
      const max = Math.max(...trials.map((t) => t.value as number));
      assert.equal(job.best.value, max);
      assert.equal(trials.find((t) => t.number === job.best.number)!.value, max);
    });

    test('user code: the budget reaches config.json and improves the metric', async () => {
      const codeId = await uploadProgram(s, PROGRAM);
      const res = await create(s, {
        name: 'hb-code',
        codeId,
        command: 'node train.cjs',
        space: { x: { type: 'float', low: -2, high: 8 } },
        algorithm: 'asha',
        algorithmOptions: { resourceName: 'epochs', maxResource: 9, eta: 3 },
        metric: 'loss',
        direction: 'minimize',
        maxTrials: 8,
        parallelism: 2,
        seed: 3,
      });
      assert.equal(res.statusCode, 201, res.body);
      const job = await finished(s, 'hb-code');
      assert.equal(job.state, 'succeeded', JSON.stringify(job));
      const trials = job.trials as Json[];
      assert.equal(trials.length, 8);
      for (const t of trials) {
        assert.equal(t.state, 'succeeded', JSON.stringify(t));
        assert.ok([1, 3, 9].includes(t.params.epochs as number), JSON.stringify(t.params));
        const want = ((t.params.x as number) - 3) ** 2 + 10 / (t.params.epochs as number);
        assert.ok(Math.abs((t.value as number) - want) < 1e-9, JSON.stringify(t));
      }
      const promoted = promotions(trials, 'epochs');
      assert.ok(promoted.length >= 1, JSON.stringify(trials.map((t) => t.params)));
      for (const [a, b] of promoted) assert.ok(b.value < a.value, 'a larger budget lowers the loss');
      const min = Math.min(...trials.map((t) => t.value as number));
      assert.equal(job.best.value, min);
    });

    const bad: Array<[string, Json, string]> = [
      ['missing resourceName', { algorithmOptions: { maxResource: 27 } }, 'algorithmOptions.resourceName'],
      [
        'resourceName also in space',
        {
          space: { n_estimators: { type: 'int', low: 1, high: 27 } },
          algorithmOptions: { resourceName: 'n_estimators', maxResource: 27 },
        },
        'algorithmOptions.resourceName',
      ],
      ['resourceName also in params', { params: { n_estimators: 5 } }, 'algorithmOptions.resourceName'],
      [
        'not an integer param',
        { algorithmOptions: { resourceName: 'learning_rate', maxResource: 1 } },
        'algorithmOptions.resourceName',
      ],
      [
        'not a param of the learner',
        { algorithmOptions: { resourceName: 'epochs', maxResource: 27 } },
        'algorithmOptions.resourceName',
      ],
      [
        'missing maxResource',
        { algorithmOptions: { resourceName: 'n_estimators' } },
        'algorithmOptions.maxResource',
      ],
      [
        'maxResource not an integer',
        { algorithmOptions: { resourceName: 'n_estimators', maxResource: 2.5 } },
        'algorithmOptions.maxResource',
      ],
      [
        'minResource below the learner minimum',
        { algorithmOptions: { resourceName: 'n_estimators', maxResource: 27, minResource: 0 } },
        'algorithmOptions.minResource',
      ],
      [
        'minResource above maxResource',
        { algorithmOptions: { resourceName: 'n_estimators', maxResource: 9, minResource: 27 } },
        'algorithmOptions.minResource',
      ],
      [
        'eta below 2',
        { algorithmOptions: { resourceName: 'n_estimators', maxResource: 27, eta: 1 } },
        'algorithmOptions.eta',
      ],
      [
        'unknown option',
        { algorithmOptions: { resourceName: 'n_estimators', maxResource: 27, rungs: 3 } },
        'algorithmOptions.rungs',
      ],
    ];
    for (const [what, extra, field] of bad) {
      test(`400 naming ${field}: ${what}`, async () => {
        const res = await create(s, gbdtJob(`hb-bad-${field.length}-${what.length}`, extra));
        assert.equal(res.statusCode, 400, res.body);
        const body = res.json() as Json;
        assert.equal(body.errors[0].field, field, res.body);
        assert.ok((body.detail as string).startsWith(`${field}:`), res.body);
      });
    }
  });
  describe(`Hyperband tuning jobs across a restart (${dialect})`, () => {
    test('the rungs survive a server restart: the promotion still comes, one run per trial', async () => {
      const store = await freshStore(dialect);
      let s = await startServer(store);
      try {
        const codeId = await uploadProgram(s, `setTimeout(() => {}, 800);\n${PROGRAM}`);
        const body = {
          name: 'hb-restarted',
          codeId,
          command: 'node train.cjs',
          space: { x: { type: 'float', low: -2, high: 8 } },
          algorithm: 'asha',
          algorithmOptions: { resourceName: 'epochs', maxResource: 9 },
          metric: 'loss',
          direction: 'minimize',
          maxTrials: 5,
          seed: 11,
        };
        assert.equal((await create(s, body)).statusCode, 201);
        // Stop while the third rung-0 trial runs: its result, told after the restart, triggers the promotion.
        await until('trial 2 running', async () => {
          const j = await getJob(s, 'hb-restarted');
          return (j.trials as Json[]).some((t) => t.number === 2 && t.runId) && j;
        });
        await s.stop(0);
        s = await startServer(store);
        const job = await finished(s, 'hb-restarted');
        assert.equal(job.state, 'succeeded', job.error as string);
        const trials = job.trials as Json[];
        assert.deepEqual(
          trials.map((t) => t.number),
          [0, 1, 2, 3, 4],
        );
        const runs = await s.services.runs.listByLabels({ tuning_job: 'hb-restarted' });
        assert.equal(runs.length, 5, 'one run per trial, none submitted twice');
        // Runs a stopped server left are re-queued (one retry), so every trial ends succeeded.
        for (const t of trials) assert.equal(t.state, 'succeeded', JSON.stringify(t));
        // ASHA promotes the best of the first three rung-0 results to epochs 3 as trial 3: the
        // bracket/rung bookkeeping came back with the study after the restart.
        const first = trials.slice(0, 3);
        for (const t of first) assert.equal(t.params.epochs, 1);
        const top = first.reduce((x, y) => (y.value < x.value ? y : x));
        assert.deepEqual(trials[3]!.params, { ...top.params, epochs: 3 });
        for (const t of trials) assert.ok([1, 3, 9].includes(t.params.epochs as number));
      } finally {
        await s.stop();
        await store.close();
      }
    });
  });
}
