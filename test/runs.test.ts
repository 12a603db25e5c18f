/**
 * Runs on every dialect: built-in GBDT registers a model with metrics; user code (archive, logs,
 * metrics over stdout / val_dict_list.json / HTTP, artifacts, model); the O-RAN step map.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialectsUnderTest } from './helpers/db.js';
import {
  createRunsTestApp,
  submit,
  uploadCode,
  uploadDataset,
  waitRun,
  type Json,
  type RunsTestApp,
} from './runs-helpers.js';

/** The first interpreter that imports sklearn (Debian's /usr/bin/python3 has python3-sklearn). */
function sklearnPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(py, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return py;
    } catch {
      // try the next one
    }
  }
  return null;
}
const PYTHON = sklearnPython();

const breast = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'));

const TRAIN_MJS = `
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
const cfg = JSON.parse(readFileSync(process.env.MODELYARD_CONFIG, 'utf8'));
const rows = readFileSync(process.env.MODELYARD_DATA_TRAIN, 'utf8').trim().split('\\n').length - 1;
console.log('training with lr=' + cfg.lr + ' on ' + rows + ' rows, target ' + process.env.MODELYARD_TARGET);
for (let step = 1; step <= 3; step++) console.log(JSON.stringify({ metric: 'loss', value: 1 / step, step }));
console.error('a warning on stderr');
const headers = { 'content-type': 'application/json' };
if (process.env.MODELYARD_TOKEN) headers.authorization = 'Bearer ' + process.env.MODELYARD_TOKEN;
const base = process.env.MODELYARD_API_URL + '/api/v1/runs/' + process.env.MODELYARD_RUN_ID;
let r = await fetch(base + '/metrics', { method: 'POST', headers, body: JSON.stringify([{ metric: 'http_auc', value: 0.9, step: 1 }]) });
if (!r.ok) throw new Error('metrics ' + r.status + ' ' + (await r.text()));
r = await fetch(base + '/params', { method: 'POST', headers, body: JSON.stringify({ lr: cfg.lr, layers: [3, 2] }) });
if (!r.ok) throw new Error('params ' + r.status);
const out = process.env.MODELYARD_OUTPUT_DIR;
mkdirSync(out + '/plots', { recursive: true });
writeFileSync(out + '/val_dict_list.json', JSON.stringify([{ accuracy: 0.5, loss: 0.9 }, { accuracy: 0.75, loss: 0.4 }]));
writeFileSync(out + '/model.bin', 'weights');
writeFileSync(out + '/plots/curve.txt', 'curve');
`;

for (const dialect of dialectsUnderTest()) {
  describe(`runs (${dialect})`, () => {
    let t: RunsTestApp;
    let dataset: Json;
    before(async () => {
      t = await createRunsTestApp(dialect);
      dataset = await uploadDataset(t, 'breast-cancer', breast, 'target');
    });
    after(async () => {
      await t.close();
    });

    test('built-in GBDT: queued → running → succeeded, metrics per iteration, model registered with lineage', async () => {
      const res = await submit(t, {
        learner: 'gbdt',
        dataset: 'breast-cancer',
        params: { n_estimators: 15, max_depth: 3 },
        modelName: 'bc-gbdt',
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.match(res.headers.location as string, /^\/api\/v1\/runs\//);
      const run = await waitRun(t, (res.json() as Json).id);
      assert.equal(run.state, 'succeeded', `${run.reason}: ${run.message}`);
      assert.equal(run.target, 'target');
      assert.deepEqual(run.dataset, { id: dataset.id, name: 'breast-cancer', version: 1 });

      const events = (await t.app.inject({ url: `/api/v1/runs/${run.id}/events` })).json() as Json[];
      const states = events.filter((e) => e.kind === 'state').map((e) => e.name);
      assert.deepEqual(states, ['queued', 'running', 'succeeded']);
      assert.ok(events.every((e) => !Number.isNaN(Date.parse(e.at))));
      const phases = events.filter((e) => e.kind === 'phase').map((e) => `${e.name}:${e.status}`);
      assert.deepEqual(phases, [
        'data_extraction:started',
        'data_extraction:finished',
        'training:started',
        'training:finished',
        'model_registration:started',
        'model_registration:finished',
      ]);
      const steps = (await t.app.inject({ url: `/api/v1/runs/${run.id}/steps` })).json() as Json;
      assert.ok(
        Object.values(steps).every((s) => s === 'FINISHED'),
        JSON.stringify(steps),
      );

      const loss = (
        await t.app.inject({ url: `/api/v1/runs/${run.id}/metrics?name=train_loss` })
      ).json() as Json[];
      assert.deepEqual(
        loss.map((p) => p.step).slice(0, 15),
        Array.from({ length: 15 }, (_, i) => i + 1),
      );
      assert.ok(loss[14]!.value < loss[0]!.value, 'loss falls');
      const all = (await t.app.inject({ url: `/api/v1/runs/${run.id}/metrics` })).json() as Json[];
      const acc = all.find((p) => p.name === 'validation_accuracy');
      assert.ok(acc && acc.value > 0.85, JSON.stringify(acc));

      const model = (await t.app.inject({ url: `/api/v1/models/${run.modelVersionId}` })).json() as Json;
      assert.equal(model.name, 'bc-gbdt');
      assert.equal(model.framework, 'modelyard');
      assert.deepEqual(model.lineage, { sourceRunId: run.id, datasetVersionId: dataset.id, parentId: null });
      assert.ok(model.metrics.some((m: Json) => m.metric === 'validation_accuracy' && m.value > 0.85));
      const arts = (
        await t.app.inject({ url: `/api/v1/models/${run.modelVersionId}/artifacts` })
      ).json() as Json;
      assert.ok(JSON.stringify(arts).includes('model.myd'));
      const runArts = (await t.app.inject({ url: `/api/v1/runs/${run.id}/artifacts` })).json() as Json[];
      assert.deepEqual(
        runArts.map((a) => a.path),
        ['model.myd'],
      );
      const logs = (await t.app.inject({ url: `/api/v1/runs/${run.id}/logs` })).json() as Json;
      assert.ok(logs.lines.some((l: Json) => /training gbdt on \d+ rows/.test(l.text)));
    });

    test('user code (tar archive, node): logs, metrics on all three channels, params, artifacts, model', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'runs-code-'));
      mkdirSync(join(dir, 'proj'));
      writeFileSync(join(dir, 'proj/train.mjs'), TRAIN_MJS);
      execFileSync('tar', ['-czf', join(dir, 'code.tar.gz'), '-C', dir, 'proj']);
      const code = await uploadCode(t, 'code.tar.gz', readFileSync(join(dir, 'code.tar.gz')));
      assert.equal(code.statusCode, 201, code.body);
      assert.deepEqual((code.json() as Json).files, ['train.mjs']);
      const res = await submit(t, {
        codeId: (code.json() as Json).id,
        command: 'node train.mjs',
        dataset: 'breast-cancer',
        params: { lr: 0.1 },
        name: 'node-job',
      });
      assert.equal(res.statusCode, 201, res.body);
      const run = await waitRun(t, (res.json() as Json).id);
      const logs = ((await t.app.inject({ url: `/api/v1/runs/${run.id}/logs` })).json() as Json)
        .lines as Json[];
      assert.equal(
        run.state,
        'succeeded',
        `${run.reason}: ${run.message}\n${logs.map((l) => l.text).join('\n')}`,
      );
      assert.ok(
        logs.some((l) => l.stream === 'stdout' && /lr=0.1 on 4\d\d rows, target target/.test(l.text)),
      );
      assert.ok(logs.some((l) => l.stream === 'stderr' && l.text === 'a warning on stderr'));
      const metrics = (await t.app.inject({ url: `/api/v1/runs/${run.id}/metrics` })).json() as Json[];
      const series = (n: string) =>
        metrics.filter((m) => m.name === n).map((m) => [m.step, m.value, m.source]);
      assert.deepEqual(
        series('loss').filter((s) => s[2] === 'stdout'),
        [
          [1, 1, 'stdout'],
          [2, 0.5, 'stdout'],
          [3, 1 / 3, 'stdout'],
        ],
      );
      assert.deepEqual(series('http_auc'), [[1, 0.9, 'http']]);
      assert.deepEqual(series('accuracy'), [
        [1, 0.5, 'val_dict_list'],
        [2, 0.75, 'val_dict_list'],
      ]);
      const params = (await t.app.inject({ url: `/api/v1/runs/${run.id}/params` })).json() as Json;
      assert.deepEqual(params, { layers: '[3,2]', lr: '0.1' });
      const arts = (await t.app.inject({ url: `/api/v1/runs/${run.id}/artifacts` })).json() as Json[];
      assert.deepEqual(
        arts.map((a) => a.path),
        ['model.bin', 'plots/curve.txt', 'val_dict_list.json'],
      );
      const one = await t.app.inject({ url: `/api/v1/runs/${run.id}/artifacts/plots/curve.txt` });
      assert.equal(one.body, 'curve');
      assert.ok(run.modelVersionId);
      const model = (await t.app.inject({ url: `/api/v1/models/${run.modelVersionId}` })).json() as Json;
      assert.equal(model.name, 'node-job');
      assert.equal(model.lineage.sourceRunId, run.id);
    });

    test(
      'python3 + scikit-learn example with the stdlib client: metrics, params, registered pickle',
      { skip: PYTHON ? false : 'no python3 with sklearn' },
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'runs-py-'));
        execFileSync('tar', [
          '-czf',
          join(dir, 'py.tar.gz'),
          '-C',
          join(import.meta.dirname, '../clients/python'),
          'modelyard.py',
          'examples',
        ]);
        const code = await uploadCode(t, 'py.tar.gz', readFileSync(join(dir, 'py.tar.gz')));
        assert.equal(code.statusCode, 201, code.body);
        const res = await submit(t, {
          codeId: (code.json() as Json).id,
          command: `${PYTHON} examples/train_sklearn.py`,
          dataset: 'breast-cancer',
          params: { n_estimators: 20 },
          modelName: 'bc-sklearn',
        });
        const run = await waitRun(t, (res.json() as Json).id, undefined, 60_000);
        const logs = ((await t.app.inject({ url: `/api/v1/runs/${run.id}/logs` })).json() as Json)
          .lines as Json[];
        assert.equal(run.state, 'succeeded', logs.map((l) => l.text).join('\n'));
        const metrics = (await t.app.inject({ url: `/api/v1/runs/${run.id}/metrics` })).json() as Json[];
        const acc = metrics.find((m) => m.name === 'validation_accuracy');
        assert.ok(acc && acc.value > 0.85 && acc.step === 20, JSON.stringify(acc));
        assert.ok(metrics.some((m) => m.name === 'validation_accuracy_http' && m.source === 'http'));
        assert.deepEqual(
          metrics.filter((m) => m.name === 'validation_log_loss').map((m) => m.step),
          [10, 20],
        );
        const params = (await t.app.inject({ url: `/api/v1/runs/${run.id}/params` })).json() as Json;
        assert.equal(params.n_estimators, '20');
        const model = (await t.app.inject({ url: `/api/v1/models/${run.modelVersionId}` })).json() as Json;
        assert.equal(model.name, 'bc-sklearn');
        assert.ok(['scikit-learn', 'onnx'].includes(model.framework), model.framework);
        const arts = (await t.app.inject({ url: `/api/v1/runs/${run.id}/artifacts` })).json() as Json[];
        assert.ok(arts.some((a) => a.path === 'model.pkl'));
      },
    );

    test('user code without model files registers nothing; a single file upload works', async () => {
      const code = await uploadCode(t, 'hello.sh', 'echo hello from $MODELYARD_RUN_ID\n');
      const res = await submit(t, { codeId: (code.json() as Json).id, command: 'sh hello.sh' });
      const run = await waitRun(t, (res.json() as Json).id);
      assert.equal(run.state, 'succeeded');
      assert.equal(run.modelVersionId, null);
      const logs = ((await t.app.inject({ url: `/api/v1/runs/${run.id}/logs` })).json() as Json)
        .lines as Json[];
      assert.ok(logs.some((l) => l.text === `hello from ${run.id}`));
      const steps = (await t.app.inject({ url: `/api/v1/runs/${run.id}/steps` })).json() as Json;
      assert.equal(steps.TRAINING, 'FINISHED');
      assert.equal(steps.TRAINED_MODEL, 'NOT_STARTED');
    });

    test('logs stream live as Server-Sent Events until the run ends', async () => {
      const code = await uploadCode(t, 's.sh', 'for i in 1 2 3; do echo "line $i"; sleep 0.1; done\n');
      const id = ((await submit(t, { codeId: (code.json() as Json).id, command: 'sh s.sh' })).json() as Json)
        .id;
      const res = await fetch(`${t.url}/api/v1/runs/${id}/logs?follow=1`);
      assert.equal(res.headers.get('content-type'), 'text/event-stream');
      const text = await res.text(); // the server ends the stream when the run ends
      const events = text
        .split('\n\n')
        .filter((f) => f.trim() !== '')
        .map((f) => ({
          event: /^event: (.*)$/m.exec(f)![1],
          data: JSON.parse(/^data: (.*)$/m.exec(f)![1]!) as Json,
        }));
      const lines = events
        .filter((e) => e.event === 'log' && e.data.stream === 'stdout')
        .map((e) => e.data.text);
      assert.deepEqual(lines, ['line 1', 'line 2', 'line 3']);
      assert.deepEqual(events.at(-1), {
        event: 'end',
        data: { state: 'succeeded', reason: 'completed', message: null },
      });
    });

    test('notifications: every state change and phase reaches onChange', async () => {
      const seen: string[] = [];
      const off = t.services.runs.onChange((run, e) =>
        seen.push(`${run.id}:${e.kind}:${e.name}:${e.status}`),
      );
      const code = await uploadCode(t, 'n.sh', 'true\n');
      const res = await submit(t, { codeId: (code.json() as Json).id, command: 'sh n.sh' });
      const id = (res.json() as Json).id as string;
      await waitRun(t, id);
      off();
      const mine = seen.filter((s) => s.startsWith(id)).map((s) => s.slice(id.length + 1));
      assert.deepEqual(mine, [
        'state:queued:queued',
        'state:running:running',
        'phase:data_extraction:started',
        'phase:data_extraction:finished',
        'phase:training:started',
        'phase:training:finished',
        'state:succeeded:succeeded',
      ]);
    });
  });
}
