/**
 * Tuning jobs over user code on every dialect: each trial runs the uploaded program with its
 * params in config.json, the objective is the last value of the metric the program reported (a
 * JSON line on stdout, or val_dict_list.json), fixed params and the dataset reach every trial,
 * a job names exactly one of learner and code, and a job survives a server restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

/** loss = (x-3)² + offset, printed as a JSON metric line; has_data says whether the data came. */
const STDOUT_PROGRAM = `
const fs = require('node:fs');
const p = JSON.parse(fs.readFileSync('config.json', 'utf8'));
const loss = (p.x - 3) ** 2 + (p.offset ?? 0);
const hasData = process.env.MODELYARD_DATA_TRAIN && fs.existsSync(process.env.MODELYARD_DATA_TRAIN) ? 1 : 0;
console.log(JSON.stringify({ metric: 'has_data', value: hasData }));
console.log(JSON.stringify({ metric: 'loss', value: 100, step: 1 }));
console.log(JSON.stringify({ metric: 'loss', value: loss, step: 2 }));
`;

/** The same objective written as WMLA's val_dict_list.json (one object per epoch). */
const VAL_DICT_PROGRAM = `
const fs = require('node:fs');
const path = require('node:path');
const p = JSON.parse(fs.readFileSync('config.json', 'utf8'));
const epochs = [{ loss: 50, acc: 0.1 }, { loss: (p.x - 3) ** 2, acc: 0.9 }];
fs.writeFileSync(path.join(process.env.MODELYARD_OUTPUT_DIR, 'val_dict_list.json'), JSON.stringify(epochs));
`;

const formula = (params: Json) => ((params.x as number) - 3) ** 2 + ((params.offset as number) ?? 0);

for (const dialect of dialectsUnderTest()) {
  describe(`tuning jobs over user code (${dialect})`, () => {
    let store: TestStore;
    let s: TuningServer;
    let stdoutCode: string;
    let valDictCode: string;
    before(async () => {
      store = await freshStore(dialect);
      s = await startServer(store);
      await uploadBreastCancer(s);
      stdoutCode = await uploadProgram(s, STDOUT_PROGRAM);
      valDictCode = await uploadProgram(s, VAL_DICT_PROGRAM);
    });
    after(async () => {
      await s.stop();
      await store.close();
    });

    const codeJob = (name: string, extra: Json = {}): Json => ({
      name,
      codeId: stdoutCode,
      command: 'node train.cjs',
      params: { offset: 1 },
      space: { x: { type: 'float', low: -2, high: 8 } },
      algorithm: 'random',
      metric: 'loss',
      direction: 'minimize',
      maxTrials: 4,
      parallelism: 2,
      seed: 11,
      ...extra,
    });

    test('stdout metric lines: each trial value is the formula of its params, best the minimum', async () => {
      const res = await create(s, codeJob('code-stdout', { dataset: 'bc' }));
      assert.equal(res.statusCode, 201, res.body);
      const created = res.json() as Json;
      assert.equal(created.kind, 'code');
      assert.equal(created.learner, null);
      assert.equal(created.codeId, stdoutCode);
      assert.equal(created.command, 'node train.cjs');
      const job = await finished(s, 'code-stdout');
      assert.equal(job.state, 'succeeded', job.error as string);
      const trials = job.trials as Json[];
      assert.equal(trials.length, 4);
      for (const t of trials) {
        assert.equal(t.state, 'succeeded', t.error as string);
        const params = t.params as Json;
        assert.equal(typeof params.x, 'number');
        const run = await s.services.runs.get(t.runId as string);
        assert.equal(run.kind, 'code');
        assert.equal(run.codeId, stdoutCode);
        assert.equal(run.command, 'node train.cjs');
        assert.equal(run.name, `code-stdout-trial-${t.number}`);
        assert.equal(run.labels.tuning_job, 'code-stdout');
        assert.equal(run.retries, 1);
        // config.json held fixed ⊕ trial params: the program computed the formula from them.
        assert.deepEqual(run.params, { offset: 1, x: params.x });
        assert.ok(Math.abs((t.value as number) - formula(run.params)) < 1e-9, JSON.stringify(t));
        assert.equal(run.dataset?.name, 'bc');
        const hasData = await s.services.runs.metrics(run.id, 'has_data');
        assert.equal(hasData.at(-1)?.value, 1, 'the trial run got the data files');
      }
      const min = Math.min(...trials.map((t) => t.value as number));
      assert.equal(job.best.value, min);
      assert.ok(min >= 1);
    });

    test('val_dict_list.json: a grid over x finds x=3 with loss 0; no dataset needed', async () => {
      const body = codeJob('code-valdict', {
        codeId: valDictCode,
        params: undefined,
        space: { x: { type: 'int', low: 0, high: 5 } },
        algorithm: 'grid',
        maxTrials: 6,
      });
      const res = await create(s, body);
      assert.equal(res.statusCode, 201, res.body);
      assert.equal((res.json() as Json).dataset, null);
      const job = await finished(s, 'code-valdict');
      assert.equal(job.state, 'succeeded', job.error as string);
      const trials = job.trials as Json[];
      assert.deepEqual(trials.map((t) => (t.params as Json).x).sort(), [0, 1, 2, 3, 4, 5]);
      for (const t of trials) {
        assert.equal(t.value, formula(t.params as Json));
        const run = await s.services.runs.get(t.runId as string);
        assert.equal(run.dataset, null);
        assert.deepEqual(run.params, { x: (t.params as Json).x });
      }
      assert.deepEqual(job.best.params, { x: 3 });
      assert.equal(job.best.value, 0);
    });

    const badInputs: Array<[string, (b: Json) => Json, number, string]> = [
      ['both learner and code', (b) => ({ ...b, learner: 'gbdt', dataset: 'bc' }), 400, 'codeId'],
      ['neither learner nor code', ({ codeId: _c, command: _m, ...b }) => b, 400, 'learner'],
      ['code without command', ({ command: _m, ...b }) => b, 400, 'command'],
      ['unknown codeId', (b) => ({ ...b, codeId: '00000000-0000-0000-0000-000000000000' }), 404, 'codeId'],
      ['malformed codeId', (b) => ({ ...b, codeId: '../etc' }), 404, 'codeId'],
      ['bad space bounds', (b) => ({ ...b, space: { x: { type: 'int', low: 5, high: 2 } } }), 400, 'space.x'],
      ['space also in params', (b) => ({ ...b, params: { x: 1 } }), 400, 'space.x'],
      ['target without dataset', (b) => ({ ...b, target: 'target' }), 400, 'target'],
      [
        'learner without dataset',
        ({ codeId: _c, command: _m, ...b }) => ({ ...b, learner: 'gbdt' }),
        400,
        'dataset',
      ],
    ];
    for (const [what, patch, status, field] of badInputs) {
      test(`bad input: ${what} → ${status} naming ${field}`, async () => {
        const res = await create(s, patch(codeJob('bad-code')));
        assert.equal(res.statusCode, status, res.body);
        const body = res.json() as Json;
        assert.ok(
          (body.errors as Json[]).some((e) => e.field === field),
          res.body,
        );
      });
    }

    test('a space param any name is fine for code (no learner rules); unknown dataset → 404', async () => {
      const free = codeJob('code-free-names', {
        space: {
          x: { type: 'int', low: 2, high: 4 },
          anything_goes: { type: 'categorical', choices: ['a', 'b'] },
        },
        maxTrials: 1,
      });
      assert.equal((await create(s, free)).statusCode, 201);
      const job = await finished(s, 'code-free-names');
      assert.equal(job.state, 'succeeded', job.error as string);
      const run = await s.services.runs.get(job.best.runId as string);
      assert.ok(['a', 'b'].includes(run.params.anything_goes as string));
      assert.equal(job.best.value, formula(run.params));
      assert.equal((await create(s, codeJob('code-no-data', { dataset: 'missing' }))).statusCode, 404);
    });
  });

  describe(`tuning jobs over user code across a restart (${dialect})`, () => {
    test('a code job running when its server stops finishes on the next one, one run per trial', async () => {
      const store = await freshStore(dialect);
      let s = await startServer(store);
      try {
        const codeId = await uploadProgram(s, `setTimeout(() => {}, 1500);\n${STDOUT_PROGRAM}`);
        const body = {
          name: 'code-restarted',
          codeId,
          command: 'node train.cjs',
          space: { x: { type: 'int', low: 0, high: 6 } },
          algorithm: 'tpe',
          metric: 'loss',
          direction: 'minimize',
          maxTrials: 4,
          parallelism: 2,
          seed: 3,
        };
        assert.equal((await create(s, body)).statusCode, 201);
        await until('two trial runs started', async () => {
          const j = await getJob(s, 'code-restarted');
          return (j.trials as Json[]).filter((t) => t.runId && t.state === 'running').length >= 2 && j;
        });
        await s.stop(0);
        s = await startServer(store);
        const job = await finished(s, 'code-restarted');
        assert.equal(job.state, 'succeeded', job.error as string);
        const trials = job.trials as Json[];
        assert.deepEqual(
          trials.map((t) => t.number),
          [0, 1, 2, 3],
        );
        const runs = await s.services.runs.listByLabels({ tuning_job: 'code-restarted' });
        assert.equal(runs.length, 4, 'one run per trial, none submitted twice');
        for (const t of trials) {
          const run = await s.services.runs.get(t.runId as string);
          assert.equal(run.kind, 'code');
          if (t.state === 'succeeded') assert.equal(t.value, formula(run.params));
          else assert.equal(run.state === 'succeeded', false, JSON.stringify(t));
        }
        assert.ok(trials.some((t) => t.state === 'succeeded'));
      } finally {
        await s.stop();
        await store.close();
      }
    });
  });
}
