// Where a 1000-row CSV request's CPU goes, in-process (no HTTP): parse, predict, finish and render
// separately, then the DRUM /predict/ route end to end (awaited: it goes through the batcher).
// `npx tsx bench/serve/profile-1000.ts [gbdt|logistic_regression] [reps]`. Each figure is the
// median over reps rounds of µs per call (the machine is shared: compare ratios within a run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drumRoutes } from '../../src/compat/drum/drum.routes.js';
import { renderPredictions } from '../../src/compat/drum/drum.render.js';
import { parseCsv, saveModel, train } from '../../src/learn/index.js';
import { createBuiltinRuntime } from '../../src/modules/serving/builtin-runtime.js';
import { createCsvAligner } from '../../src/modules/serving/csv-payload.js';
import { finishScores } from '../../src/modules/serving/labels.js';
import { createServingService } from '../../src/modules/serving/serving.service.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const csvText = readFileSync(join(ROOT, 'test/fixtures/datasets/breast_cancer.csv'), 'utf8').trim();
const frame = parseCsv(Buffer.from(csvText), { categorical: ['target'] });
const lines = csvText.split('\n').map((l) => l.split(',').slice(0, -1).join(','));
const body = Buffer.from(
  [lines[0], ...Array.from({ length: 1000 }, (_, i) => lines[1 + (i % (lines.length - 1))])].join('\n') +
    '\n',
);
const learner = process.argv[2] ?? 'gbdt';
const reps = Number(process.argv[3] ?? 7);
const model = train(learner, frame, 'target', learner === 'gbdt' ? { n_estimators: 100 } : {}).model;
const service = createServingService(createBuiltinRuntime(saveModel(model), 'm'), { name: 'm' });
const host = { service, loadError: null, version: 'x', name: 'm' };
const rt = service.runtime;
const aligner = createCsvAligner(rt.inputs.names, rt.inputs.count!);
const scratch = { buf: new Float64Array(16) };
const n = aligner.parse(body, scratch);
const vals = rt.predictMatrixSync!(scratch.buf, n).slice();
const scores = finishScores(service.targetType, service.labels, vals, n, rt.outputNames);
const req = { method: 'POST', path: '/predict/', query: '', headers: { 'content-type': 'text/csv' }, body };

type Case = [label: string, calls: number, f: () => unknown];
const cases: Case[] = [
  ['parse only', 400, () => aligner.parse(body, scratch)],
  ['predictMatrixSync only', 400, () => rt.predictMatrixSync!(scratch.buf, n)],
  ['finishScores', 400, () => finishScores(service.targetType, service.labels, vals, n, rt.outputNames)],
  ['renderPredictions', 400, () => renderPredictions(scores, service.labels !== null)],
  ['drum /predict/ (awaited)', 200, () => drumRoutes(req, host)],
];
const results = new Map<string, number[]>(cases.map(([l]) => [l, []]));

async function round(warm: boolean): Promise<void> {
  for (const [label, calls, f] of cases) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      const r = f();
      if (r instanceof Promise) await r;
    }
    if (!warm) results.get(label)!.push(Number(process.hrtime.bigint() - t0) / 1000 / calls);
  }
}

console.log(
  `${learner}: payload ${body.length} bytes, ${n} rows, response ${renderPredictions(scores, true).length} chars`,
);
await round(true);
for (let r = 0; r < reps; r++) await round(false);
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;
for (const [label, us] of results) console.log(`${label.padEnd(28)} ${median(us).toFixed(1)} µs`);
