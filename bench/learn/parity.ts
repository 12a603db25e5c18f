/**
 * Accuracy parity: each learner vs its scikit-learn counterpart on the classic small datasets,
 * same seeded split (indices passed to Python). Classification: test accuracy; diabetes: R², RMSE.
 * Usage: npm run bench:learn-parity → prints a markdown table, writes bench/results/learn-parity.json
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  accuracy,
  parseCsv,
  predict,
  r2,
  rmse,
  takeRows,
  train,
  trainTestSplit,
} from '../../src/learn/index.js';
import type { Frame } from '../../src/learn/index.js';
import { resolvePython, runPythonJson } from './python.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SEED = 42;
const DATASETS = [
  { name: 'iris', task: 'multiclass' },
  { name: 'wine', task: 'multiclass' },
  { name: 'breast_cancer', task: 'binary' },
  { name: 'digits', task: 'multiclass' },
  { name: 'diabetes', task: 'regression' },
] as const;
const CLASSIFIERS = ['gbdt', 'random_forest', 'decision_tree', 'logistic_regression', 'mlp'];
const REGRESSORS = ['gbdt', 'random_forest', 'decision_tree', 'linear_regression', 'mlp'];
/** Our params mirroring the scikit-learn settings in parity.py. */
const PARAMS: Record<string, Record<string, unknown>> = {
  gbdt: { n_estimators: 100, learning_rate: 0.1, max_depth: 6, reg_lambda: 1 },
  random_forest: { n_estimators: 100 },
  decision_tree: {},
  logistic_regression: { C: 1, max_iter: 100 },
  linear_regression: { alpha: 1 },
  mlp: { hidden_layer_sizes: [64], learning_rate: 0.001, batch_size: 200, max_iter: 200, alpha: 0.0001 },
};

function datasetPath(name: string): string {
  const shared = join(root, '..', 'shared', 'data', `${name}.csv`);
  return existsSync(shared) ? shared : join(root, 'test', 'fixtures', 'datasets', `${name}.csv`);
}

function labelsOf(frame: Frame): string[] {
  const t = frame.columns.find((c) => c.name === 'target')!;
  return Array.from({ length: frame.nRows }, (_, i) =>
    t.kind === 'numeric' ? String(t.values[i]) : t.levels[t.codes[i]!]!,
  );
}

type Scores = Record<string, number>;

function main(): void {
  const specs = [];
  const ours: Record<string, Record<string, Scores>> = {};
  for (const ds of DATASETS) {
    const path = datasetPath(ds.name);
    const frame = parseCsv(readFileSync(path));
    const labels = labelsOf(frame);
    const classOf = [...new Set(labels)].sort();
    const stratify = ds.task === 'regression' ? undefined : labels.map((l) => classOf.indexOf(l));
    const split = trainTestSplit(frame.nRows, { seed: SEED, testFraction: 0.25, stratify });
    specs.push({
      name: ds.name,
      path,
      task: ds.task,
      train: Array.from(split.train),
      test: Array.from(split.test),
    });
    const tr = takeRows(frame, split.train);
    const te = takeRows(frame, split.test);
    ours[ds.name] = {};
    for (const learner of ds.task === 'regression' ? REGRESSORS : CLASSIFIERS) {
      const task = ds.task === 'regression' ? 'regression' : ds.task;
      const t0 = performance.now();
      const { model } = train(learner, tr, 'target', { ...PARAMS[learner], task });
      const trainS = (performance.now() - t0) / 1000;
      const pred = predict(model, te);
      if (ds.task === 'regression') {
        const y = te.columns.find((c) => c.name === 'target')!;
        const yv = y.kind === 'numeric' ? y.values : new Float64Array();
        ours[ds.name]![learner] = { r2: r2(yv, pred.output), rmse: rmse(yv, pred.output), train_s: trainS };
      } else {
        const truth = labelsOf(te);
        const acc = accuracy(
          truth.map((l) => model.classes.indexOf(l)),
          pred.labels!.map((l) => model.classes.indexOf(l)),
        );
        ours[ds.name]![learner] = { accuracy: acc, train_s: trainS };
      }
    }
  }
  const python = resolvePython(['sklearn']);
  let sk: Record<string, Record<string, Scores>> | undefined;
  if (python) {
    const specPath = join(root, 'bench', 'data', 'parity-spec.json');
    mkdirSync(dirname(specPath), { recursive: true });
    writeFileSync(specPath, JSON.stringify({ datasets: specs }));
    // Accuracy, not speed, is compared here: one OpenMP thread avoids spin-wait stalls on busy machines.
    sk = runPythonJson(python, join(here, 'parity.py'), [specPath], { OMP_NUM_THREADS: '1' }) as typeof sk;
  } else console.log('no Python with scikit-learn: reference columns are null');

  const rows: Record<string, unknown>[] = [];
  const lines = ['| dataset | learner | metric | ours | scikit-learn | diff |', '|---|---|---|---|---|---|'];
  for (const ds of DATASETS) {
    for (const [learner, o] of Object.entries(ours[ds.name]!)) {
      const metric = ds.task === 'regression' ? 'r2' : 'accuracy';
      const ref = sk?.[ds.name]?.[learner];
      const diff = ref ? o[metric]! - ref[metric]! : null;
      rows.push({ dataset: ds.name, learner, metric, ours: o, sklearn: ref ?? null, diff });
      const f = (v: number | undefined | null): string =>
        v === undefined || v === null ? 'n/a' : v.toFixed(4);
      lines.push(
        `| ${ds.name} | ${learner} | ${metric} | ${f(o[metric])} | ${f(ref?.[metric])} | ${diff === null ? 'n/a' : (diff >= 0 ? '+' : '') + diff.toFixed(4)} |`,
      );
    }
  }
  const out = join(root, 'bench', 'results', 'learn-parity.json');
  writeFileSync(
    out,
    JSON.stringify(
      { seed: SEED, test_fraction: 0.25, results: rows, date: new Date().toISOString() },
      null,
      2,
    ) + '\n',
  );
  console.log(lines.join('\n'));
  console.log(`\nwrote ${out}`);
}

main();
