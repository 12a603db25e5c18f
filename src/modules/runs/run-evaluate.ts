/**
 * Evaluation of a run's trained model on one split of the run's dataset version, with the metrics
 * of src/learn, and the stored evaluations of a model version. An evaluation is kept as one
 * metadata entry (`evaluation:<name>`, JSON) of the registry version the run produced, so it
 * survives a restart and is deleted with the version, without a table of its own.
 */
import { conflict, invalid, notFound } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import {
  accuracy,
  confusionMatrix,
  loadModel,
  logLoss,
  mae,
  parseCsv,
  precisionRecallF1,
  predict,
  r2,
  rmse,
  rocAuc,
  type Column,
  type Model,
} from '../../learn/index.js';
import type { DatasetsService, SplitName } from '../datasets/index.js';
import type { RegistryService } from '../registry/index.js';
import type { RunsService } from './runs.service.js';

/** Metric names an evaluation computes (case-insensitive on input; `accuracy` means Top1). */
export const EVAL_METRICS = {
  classification: ['Top1', 'Top5', 'ConfusionMatrix', 'Precision', 'Recall', 'F1', 'LogLoss', 'AUC'],
  regression: ['RMSE', 'MAE', 'R2'],
} as const;
const ALL_METRICS: readonly string[] = [...EVAL_METRICS.classification, ...EVAL_METRICS.regression];
const KEY_PREFIX = 'evaluation:';
const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export interface ConfusionMatrixValue {
  /** Class labels: row = true class, column = predicted class, in this order. */
  labels: string[];
  matrix: number[][];
}

export interface EvaluationRecord {
  name: string;
  runId: string;
  modelVersionId: string;
  split: SplitName;
  /** Metric names as asked, canonical spelling. */
  metrics: string[];
  threshold: number | null;
  rows: number;
  results: Record<string, number | ConfusionMatrixValue>;
  /** Free labels of the caller (a compat surface's own names). */
  labels: Record<string, string>;
  createdAt: string;
  createdBy: string | null;
}

export interface EvaluateInput {
  name: string;
  split: SplitName;
  metrics: string[];
  /** Binary classification: predict the positive class when its probability is at least this. */
  threshold?: number;
  labels?: Record<string, string>;
}

const field = (name: string, message: string) =>
  invalid(`${name} ${message}`, { reason: 'validation_failed', errors: [{ field: name, message }] });

function canonicalMetrics(asked: string[]): string[] {
  if (asked.length === 0) throw field('metrics', 'must name at least one metric');
  return asked.map((m) => {
    const lower = m.toLowerCase();
    const found = lower === 'accuracy' ? 'Top1' : ALL_METRICS.find((x) => x.toLowerCase() === lower);
    if (!found)
      throw field(
        'metrics',
        `'${m}' is not supported for tabular models (supported: ${ALL_METRICS.join(', ')})`,
      );
    return found;
  });
}

function labelOf(c: Column, row: number): string | null {
  if (c.kind === 'numeric') return Number.isNaN(c.values[row]!) ? null : String(c.values[row]);
  const code = c.codes[row]!;
  return code < 0 ? null : c.levels[code]!;
}

/** The metrics of `model` on a CSV with the target column; pure computation. */
export function scoreModel(
  model: Model,
  csv: Uint8Array,
  metrics: string[],
  threshold: number | null,
): { rows: number; results: Record<string, number | ConfusionMatrixValue> } {
  const frame = parseCsv(csv);
  if (frame.nRows === 0) throw invalid('the split has no rows to evaluate on', { reason: 'empty_split' });
  const target = frame.columns.find((c) => c.name === model.target);
  if (!target) throw invalid(`the data has no target column '${model.target}'`, { reason: 'no_target' });
  const pred = predict(model, frame);
  const n = frame.nRows;
  const results: Record<string, number | ConfusionMatrixValue> = {};
  if (model.task === 'regression') {
    const wrong = metrics.filter((m) => !(EVAL_METRICS.regression as readonly string[]).includes(m));
    if (wrong.length)
      throw field('metrics', `${wrong.join(', ')} need a classifier; this model is a regressor`);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++)
      y[i] = target.kind === 'numeric' ? target.values[i]! : Number(labelOf(target, i));
    const fns = { RMSE: rmse, MAE: mae, R2: r2 } as const;
    for (const m of metrics) results[m] = fns[m as keyof typeof fns](y, pred.output);
    return { rows: n, results };
  }
  const wrong = metrics.filter((m) => (EVAL_METRICS.regression as readonly string[]).includes(m));
  if (wrong.length)
    throw field('metrics', `${wrong.join(', ')} need a regressor; this model is a classifier`);
  const k = model.classes.length;
  const index = new Map(model.classes.map((c, i) => [c, i]));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labelOf(target, i);
    const c = label === null ? undefined : index.get(label);
    if (c === undefined)
      throw invalid(
        `row ${i + 1}: label '${label}' is not a class the model knows (${model.classes.join(', ')})`,
        {
          reason: 'unknown_label',
        },
      );
    y[i] = c;
  }
  const yPred = Int32Array.from(pred.classIndex!);
  if (threshold !== null && k === 2)
    for (let i = 0; i < n; i++) yPred[i] = pred.output[i * 2 + 1]! >= threshold ? 1 : 0;
  const prf = () =>
    precisionRecallF1(y, yPred, k === 2 ? { nClasses: 2 } : { average: 'macro', nClasses: k });
  for (const m of metrics) {
    if (m === 'Top1') results[m] = accuracy(y, yPred);
    else if (m === 'Top5') results[m] = topK(y, pred.output, k, 5);
    else if (m === 'ConfusionMatrix')
      results[m] = { labels: model.classes.slice(), matrix: confusionMatrix(y, yPred, k) };
    else if (m === 'Precision') results[m] = prf().precision;
    else if (m === 'Recall') results[m] = prf().recall;
    else if (m === 'F1') results[m] = prf().f1;
    else if (m === 'LogLoss') results[m] = logLoss(y, pred.output, k);
    else if (m === 'AUC') {
      if (k !== 2) throw field('metrics', `AUC needs a binary classifier; this model has ${k} classes`);
      const scores = new Float64Array(n);
      for (let i = 0; i < n; i++) scores[i] = pred.output[i * 2 + 1]!;
      try {
        results[m] = rocAuc(y, scores);
      } catch {
        throw invalid('AUC needs both classes in the split', { reason: 'one_class_split' });
      }
    }
  }
  return { rows: n, results };
}

/** Fraction of rows whose true class is among the `top` most probable classes. */
function topK(y: Int32Array, proba: Float64Array, k: number, top: number): number {
  let hit = 0;
  for (let i = 0; i < y.length; i++) {
    const p = proba[i * k + y[i]!]!;
    let above = 0;
    for (let c = 0; c < k; c++) if (proba[i * k + c]! > p) above++;
    if (above < top) hit++;
  }
  return hit / y.length;
}

export function createRunEvaluations(deps: {
  runs: RunsService;
  datasets: DatasetsService;
  registry: RegistryService;
}) {
  const { runs, datasets, registry } = deps;

  async function list(versionId: string): Promise<EvaluationRecord[]> {
    const v = await registry.get(versionId);
    return v.metadata
      .filter((m) => m.key.startsWith(KEY_PREFIX))
      .map((m) => JSON.parse(m.value) as EvaluationRecord)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Evaluates the model run `runId` produced and stores the result on its registry version. */
  async function evaluate(
    runId: string,
    input: EvaluateInput,
    user: string | null,
  ): Promise<EvaluationRecord> {
    if (!NAME_RULE.test(input.name))
      throw field('name', 'must be 1 to 100 letters, digits, _ or -, starting with a letter or digit');
    const metrics = canonicalMetrics(input.metrics);
    const threshold = input.threshold ?? null;
    if (threshold !== null && !(threshold >= 0 && threshold <= 1))
      throw field('threshold', 'must be from 0 to 1');
    const run = await runs.get(runId);
    if (run.state !== 'succeeded' || !run.modelVersionId)
      throw conflict(`run ${run.id} has no trained model (${run.state})`, { reason: `run_${run.state}` });
    if (run.kind !== 'builtin' || !run.dataset)
      throw invalid(`run ${run.id} ran user code; only models of built-in learners can be evaluated here`, {
        reason: 'not_builtin',
      });
    if ((await list(run.modelVersionId)).some((e) => e.name === input.name))
      throw conflict(`evaluation '${input.name}' already exists`, { reason: 'evaluation_exists' });
    const model = loadModel(await bytes((await runs.openArtifact(run.id, 'model.myd')).stream));
    const data = await datasets.download(run.dataset.name, run.dataset.version, input.split);
    const scored = scoreModel(model, await bytes(data.stream), metrics, threshold);
    const record: EvaluationRecord = {
      name: input.name,
      runId: run.id,
      modelVersionId: run.modelVersionId,
      split: input.split,
      metrics,
      threshold,
      ...scored,
      labels: input.labels ?? {},
      createdAt: nowIso(),
      createdBy: user,
    };
    await registry.addOrUpdateMetadata(run.modelVersionId, [
      { key: `${KEY_PREFIX}${input.name}`, type: 'json', value: JSON.stringify(record) },
    ]);
    return record;
  }

  async function remove(versionId: string, name: string): Promise<void> {
    const out = await registry.deleteMetadata(versionId, [`${KEY_PREFIX}${name}`]);
    if (out.updated === 0) throw notFound('evaluation', name);
  }

  return { evaluate, list, remove };
}

export type RunEvaluations = ReturnType<typeof createRunEvaluations>;

async function bytes(s: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}
