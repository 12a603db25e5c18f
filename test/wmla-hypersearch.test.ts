/**
 * WMLA hypersearch on every dialect: a multipart `file` + `data` HPO task runs as a user-code
 * tuning job whose trials read config.json and write val_dict_list.json under $RESULT_DIR; the
 * task's state, experiments and best; ExperimentGridSearch; stop, force, delete; the algorithm
 * list; bad input naming the WMLA field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectsUnderTest } from './helpers/db.js';
import { createRunsTestApp, type Json, type RunsTestApp } from './runs-helpers.js';

const BASE = '/platform/rest/deeplearning/v1';

/** loss = (x-3)² (+1 when opt is "b"), written per epoch to $RESULT_DIR/val_dict_list.json. */
const PROGRAM = `
x=$(sed -n 's/^ *"x": *\\([-0-9.eE+]*\\).*/\\1/p' config.json)
opt=$(sed -n 's/^ *"opt": *"\\([a-z]*\\)".*/\\1/p' config.json)
grep -q '"slow' config.json && sleep 60
loss=$(awk -v x="$x" -v o="$opt" 'BEGIN { v = (x - 3) * (x - 3); if (o == "b") v += 1; printf "%.10f", v }')
echo "[{\\"loss\\": 1000, \\"acc\\": 0.1}, {\\"loss\\": $loss, \\"acc\\": 0.9}]" > "$RESULT_DIR/val_dict_list.json"
`;

function hpoBody(data: string, file: string | null = PROGRAM, fileName = 'main.sh') {
  const b = '----hpo' + Math.random().toString(16).slice(2);
  let text = `--${b}\r\nContent-Disposition: form-data; name="data"\r\n\r\n${data}\r\n`;
  if (file !== null)
    text += `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n${file}\r\n`;
  text += `--${b}--\r\n`;
  return { payload: Buffer.from(text), headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

const task = (extra: Json = {}, algoDef: Json = {}): Json => ({
  modelSpec: { sigName: 'sig1', args: '--exec-start PyTorch --model-main main.sh' },
  algoDef: {
    algorithm: 'Random',
    maxJobNum: 4,
    maxParalleJobNum: 2,
    objectiveMetric: 'loss',
    objective: 'MINIMIZE',
    algoParams: [{ name: 'RandomSeed', value: '7' }],
    ...algoDef,
  },
  hyperParams: [
    { name: 'x', type: 'Range', dataType: 'double', minDbVal: '-2', maxDbVal: '8' },
    { name: 'opt', type: 'Discrete', dataType: 'str', discreateStrVal: ['a', 'b'] },
  ],
  ...extra,
});

/** loss = (x-3)² + 10/epochs: Hyperband's budget (ResourceName epochs) lowers it. */
const HB_PROGRAM = `
x=$(sed -n 's/^ *"x": *\\([-0-9.eE+]*\\).*/\\1/p' config.json)
e=$(sed -n 's/^ *"epochs": *\\([0-9]*\\).*/\\1/p' config.json)
loss=$(awk -v x="$x" -v e="$e" 'BEGIN { printf "%.10f", (x - 3) * (x - 3) + 10 / e }')
echo "[{\\"loss\\": $loss}]" > "$RESULT_DIR/val_dict_list.json"
`;

const formula = (p: Json) => ((p.x as number) - 3) ** 2 + (p.opt === 'b' ? 1 : 0);

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA hypersearch (${dialect})`, () => {
    let t: RunsTestApp;
    before(async () => {
      t = await createRunsTestApp(dialect);
    });
    after(() => t.close());

    const start = (data: string, file?: string | null) =>
      t.app.inject({ method: 'POST', url: `${BASE}/hypersearch`, ...hpoBody(data, file) });
    const get = async (name: string) => {
      const r = await t.app.inject({ url: `${BASE}/hypersearch/${name}` });
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as Json;
    };
    const until = async (name: string, states: string[]) => {
      const end = Date.now() + 120_000;
      for (;;) {
        const s = await get(name);
        if (states.includes(s.state as string)) return s;
        if (Date.now() > end) throw new Error(`hpo ${name} still ${s.state}`);
        await sleep(100);
      }
    };

    test('Random over Range + Discrete: FINISHED, each metricVal the formula, best the minimum', async () => {
      const res = await start(JSON.stringify(task({ hpoName: 'hpo-random' })));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json(), 'hpo-random');
      const s = await until('hpo-random', ['FINISHED', 'FAILED', 'STOPPED']);
      assert.equal(s.state, 'FINISHED', JSON.stringify(s));
      assert.equal(s.progress, '4/4');
      assert.match(s.duration as string, /^\d\d:\d\d:\d\d$/);
      assert.match(s.createtime as string, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.equal(s.complete, 4);
      assert.equal(s.failed, 0);
      assert.equal(s.running, 0);
      const exps = s.experiments as Json[];
      assert.equal(exps.length, 4);
      for (const e of exps) {
        assert.equal(e.state, 'FINISHED');
        const p = Object.fromEntries((e.hyperParams as Json[]).map((h) => [h.name, h.fixedVal]));
        assert.ok(p.x >= -2 && p.x <= 8 && ['a', 'b'].includes(p.opt as string), JSON.stringify(p));
        assert.ok(Math.abs((e.metricVal as number) - formula(p)) < 1e-6, JSON.stringify(e));
        assert.equal((e.hyperParams as Json[]).find((h) => h.name === 'opt')?.dataType, 'str');
        const [m] = e.metrics as Json[];
        assert.deepEqual([m!.name, m!.max, m!.latest], ['loss', 1000, e.metricVal]);
        // The trial is a user-code run of the uploaded file with the trial's params in config.json.
        const run = await t.services.runs.get(e.appId as string);
        assert.equal(run.kind, 'code');
        assert.deepEqual(run.params, p);
      }
      const min = Math.min(...exps.map((e) => e.metricVal as number));
      assert.equal((s.best as Json).metricVal, min);
      const list = (await t.app.inject({ url: `${BASE}/hypersearch` })).json() as Json[];
      assert.ok(list.some((x) => x.hpoName === 'hpo-random' && x.state === 'FINISHED'));
      // The same job on the native API.
      const native = await t.app.inject({ url: '/api/v1/tuning-jobs/hpo-random' });
      assert.equal((native.json() as Json).algorithm, 'random');
      const again = await start(JSON.stringify(task({ hpoName: 'hpo-random' })));
      assert.equal(again.statusCode, 409, again.body);
      assert.match(again.json().message, /hpo task 'hpo-random' already exists/);
    });

    test('Hyperband: each experiment one run with its budget (ResourceName) from the rungs, a promotion', async () => {
      const data = task(
        {
          hpoName: 'hpo-hb',
          hyperParams: [{ name: 'x', type: 'Range', dataType: 'double', minDbVal: '-2', maxDbVal: '8' }],
        },
        {
          algorithm: 'Hyperband',
          maxJobNum: 8,
          maxParalleJobNum: 1,
          algoParams: [
            { name: 'RandomSeed', value: '5' },
            { name: 'ResourceName', value: 'epochs' },
            { name: 'ResourceValue', value: '9' },
          ],
        },
      );
      const res = await start(JSON.stringify(data), HB_PROGRAM);
      assert.equal(res.statusCode, 200, res.body);
      const s = await until('hpo-hb', ['FINISHED', 'FAILED', 'STOPPED']);
      assert.equal(s.state, 'FINISHED', JSON.stringify(s));
      const exps = (s.experiments as Json[]).map((e): Json => ({
        ...e,
        p: Object.fromEntries((e.hyperParams as Json[]).map((h) => [h.name, h.fixedVal])),
      }));
      assert.equal(exps.length, 8);
      for (const e of exps) {
        assert.equal(e.state, 'FINISHED');
        assert.ok([1, 3, 9].includes(e.p.epochs as number), JSON.stringify(e.p));
        const want = ((e.p.x as number) - 3) ** 2 + 10 / (e.p.epochs as number);
        assert.ok(Math.abs((e.metricVal as number) - want) < 1e-6, JSON.stringify(e));
      }
      // A promotion: the same x again at a larger budget.
      assert.ok(
        exps.some((a) => exps.some((b) => b.id > a.id && b.p.x === a.p.x && b.p.epochs > a.p.epochs)),
        JSON.stringify(exps.map((e) => e.p)),
      );
      assert.equal((s.best as Json).metricVal, Math.min(...exps.map((e) => e.metricVal as number)));
      const native = (await t.app.inject({ url: '/api/v1/tuning-jobs/hpo-hb' })).json() as Json;
      assert.equal(native.algorithm, 'hyperband');
      assert.deepEqual(native.algorithmOptions, { resourceName: 'epochs', maxResource: 9, eta: 3 });
      assert.equal(native.seed, 5);
    });

    test('ExperimentGridSearch as a Python dict, generated name, maxParalleJob spelling', async () => {
      const data = task(
        {
          hyperParams: undefined,
          experiments: [1, 3, 5].map((x, i) => ({
            id: i,
            hyperParams: [
              { name: 'x', dataType: 'int', fixedVal: x },
              { name: 'opt', dataType: 'str', fixedVal: 'a' },
            ],
          })),
        },
        { algorithm: 'ExperimentGridSearch', maxJobNum: -1, maxParalleJobNum: undefined, maxParalleJob: 3 },
      );
      const py = JSON.stringify(data).replace(/"/g, "'");
      const res = await start(py);
      assert.equal(res.statusCode, 200, res.body);
      const name = res.json() as string;
      assert.match(name, /-hpo-\d+$/);
      const s = await until(name, ['FINISHED', 'FAILED', 'STOPPED']);
      assert.equal(s.state, 'FINISHED', JSON.stringify(s));
      const vals = (s.experiments as Json[]).map((e) => e.metricVal);
      assert.deepEqual(vals, [4, 0, 4]);
      assert.equal((s.best as Json).metricVal, 0);
      const native = (await t.app.inject({ url: `/api/v1/tuning-jobs/${name}` })).json() as Json;
      assert.equal(native.parallelism, 3);
      assert.equal(native.maxTrials, 3);
    });

    test('stop (204, STOPPED), delete refused while running then 204, force on ended 204', async () => {
      const data = task(
        {
          hpoName: 'hpo-stop',
          hyperParams: [
            { name: 'opt', type: 'Discrete', dataType: 'str', discreateStrVal: ['slow', 'slow2'] },
          ],
        },
        { maxJobNum: 3, maxParalleJobNum: 1 },
      );
      assert.equal((await start(JSON.stringify(data))).statusCode, 200);
      await until('hpo-stop', ['RUNNING']);
      const del = await t.app.inject({ method: 'DELETE', url: `${BASE}/hypersearch/hpo-stop` });
      assert.equal(del.statusCode, 409, del.body);
      const stop = await t.app.inject({ method: 'PUT', url: `${BASE}/hypersearch/hpo-stop` });
      assert.equal(stop.statusCode, 204, stop.body);
      assert.equal((await get('hpo-stop')).state, 'STOPPED');
      const force = await t.app.inject({ method: 'PUT', url: `${BASE}/hypersearch/hpo-stop/force` });
      assert.equal(force.statusCode, 204, force.body);
      const gone = await t.app.inject({ method: 'DELETE', url: `${BASE}/hypersearch/hpo-stop` });
      assert.equal(gone.statusCode, 204, gone.body);
      assert.equal((await t.app.inject({ url: `${BASE}/hypersearch/hpo-stop` })).statusCode, 404);
      // DELETE /hypersearch removes the caller's ended tasks.
      const all = await t.app.inject({ method: 'DELETE', url: `${BASE}/hypersearch` });
      assert.equal(all.statusCode, 204);
      const left = (await t.app.inject({ url: `${BASE}/hypersearch` })).json() as Json[];
      assert.ok(left.every((x) => !['FINISHED', 'STOPPED', 'FAILED'].includes(x.state as string)));
    });

    test('algorithm list; restart and plugins stay 501', async () => {
      const algos = (await t.app.inject({ url: `${BASE}/hypersearch/algorithm` })).json() as Json[];
      assert.deepEqual(
        algos.map((a) => a.name),
        ['Random', 'Tpe', 'Bayesian', 'ExperimentGridSearch', 'Hyperband'],
      );
      assert.ok(algos.every((a) => a.type === 'BUILD_IN'));
      const plugins = await t.app.inject({ url: `${BASE}/hypersearch/algorithm?type=USER_PLUGIN` });
      assert.deepEqual(plugins.json(), []);
      const restart = await t.app.inject({ method: 'PUT', url: `${BASE}/hypersearch/x/restart` });
      assert.equal(restart.statusCode, 501);
    });

    const bad: Array<[string, string, string | null, number, RegExp]> = [
      ['no data', '', PROGRAM, 400, /^data:/],
      ['not JSON', '{nope', PROGRAM, 400, /^data:/],
      ['no file', JSON.stringify(task()), null, 400, /^file:/],
      [
        'Hyperband without ResourceName',
        JSON.stringify(task({}, { algorithm: 'Hyperband' })),
        PROGRAM,
        400,
        /^algoDef: algoParams ResourceName is required/,
      ],
      [
        'Hyperband with a bad eta',
        JSON.stringify(
          task(
            {},
            {
              algorithm: 'Hyperband',
              algoParams: [
                { name: 'ResourceName', value: 'epochs' },
                { name: 'ResourceValue', value: '9' },
                { name: 'eta', value: '1' },
              ],
            },
          ),
        ),
        PROGRAM,
        400,
        /^algoDef: algoParams eta must be/,
      ],
      [
        'plugin',
        JSON.stringify(task({}, { algorithm: 'MyAlgo' })),
        PROGRAM,
        400,
        /^algoDef\.algorithm: 'MyAlgo'/,
      ],
      [
        'bad range',
        JSON.stringify(
          task({ hyperParams: [{ name: 'x', type: 'Range', dataType: 'double', minDbVal: 5, maxDbVal: 1 }] }),
        ),
        PROGRAM,
        400,
        /^hyperParams\.x:/,
      ],
      [
        'no metric',
        JSON.stringify(task({}, { objectiveMetric: '' })),
        PROGRAM,
        400,
        /^algoDef\.objectiveMetric:/,
      ],
      ['bad objective', JSON.stringify(task({}, { objective: 'up' })), PROGRAM, 400, /^algoDef: .*objective/],
      ['unlimited jobs', JSON.stringify(task({}, { maxJobNum: -1 })), PROGRAM, 400, /^algoDef\.maxJobNum:/],
      [
        'bad args',
        JSON.stringify(task({ modelSpec: { sigName: 's', args: '--model-main main.sh' } })),
        PROGRAM,
        400,
        /^modelSpec\.args:/,
      ],
      ['bad name', JSON.stringify(task({ hpoName: '-x' })), PROGRAM, 400, /^hpoName:/],
      [
        'too parallel',
        JSON.stringify(task({ hpoName: 'p' }, { maxParalleJobNum: 1000 })),
        PROGRAM,
        400,
        /^algoDef\.maxParalleJobNum:/,
      ],
    ];
    for (const [what, data, file, status, message] of bad) {
      test(`bad input: ${what} → ${status} {message}`, async () => {
        const res = await start(data, file);
        assert.equal(res.statusCode, status, res.body);
        assert.match(res.json().message as string, message);
      });
    }
  });
}
