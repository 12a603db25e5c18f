/**
 * Thread task for model instances: the work that can take seconds (reading and parsing the data,
 * training, batch prediction) runs here, off the server's event loop, on the same thread executor
 * runs use for built-in training. The task reads data paths itself, so large files never cross
 * the thread boundary twice. Training reports each iteration of an iterative learner as progress
 * (the server throttles what it stores).
 */
import type { TaskContext, TaskFunction } from '../../infra/executor/executor.js';
import {
  getLearner,
  loadModel,
  parseCsv,
  predict,
  saveModel,
  train,
  type Frame,
  type IterationInfo,
} from '../../learn/index.js';
import { readCsvSource, type DataSource } from './instance-data.js';
import { predictionRows, PREDICTIONS_HEADER } from './predictions.js';

export interface TrainTaskInput {
  op: 'train';
  learner: string;
  params: Record<string, unknown>;
  /** Target column; null: `target` when there is one, else the last column. */
  target: string | null;
  data: DataSource;
}

export interface PredictTaskInput {
  op: 'predict';
  model: Uint8Array;
  data: DataSource;
}

export type InstanceTaskInput = TrainTaskInput | PredictTaskInput;

export interface TrainTaskOutput {
  model: Uint8Array;
  target: string;
  task: string;
  trainedRows: number;
  /** The model's own metrics and those of the last iteration (iterative learners). */
  metrics: Record<string, number>;
  /** The last iteration's progress; absent for learners that do not iterate. */
  progress?: TrainProgress;
}

/** Posted after each iteration of an iterative learner. */
export interface TrainProgress {
  iteration: number;
  /** The iterations asked for (n_estimators, max_iter); training may stop earlier. */
  of: number | null;
  metrics: Record<string, number>;
}

export interface PredictTaskOutput {
  /** predictions.csv: `id,label,confidence`. */
  csv: string;
  rows: number;
}

/** A column named `id` identifies rows (MISTK's predictions carry it); it is never a feature. */
export const ID_COLUMN = 'id';

function pickTarget(frame: Frame, wanted: string | null): string {
  const names = frame.columns.map((c) => c.name);
  if (wanted !== null) {
    if (!names.includes(wanted))
      throw new Error(`target column '${wanted}' is not in the training data (columns: ${names.join(', ')})`);
    return wanted;
  }
  if (names.includes('target')) return 'target';
  const last = names.at(-1);
  if (last === undefined) throw new Error('the training data has no columns');
  return last;
}

/** The iteration count the learner's params ask for, when it has one. */
function plannedIterations(learner: string, params: Record<string, unknown>): number | null {
  const p = getLearner(learner).validate(params);
  const n = p.n_estimators ?? p.max_iter;
  return typeof n === 'number' ? n : null;
}

async function runTrain(input: TrainTaskInput, ctx: TaskContext): Promise<TrainTaskOutput> {
  const frame = parseCsv(await readCsvSource(input.data));
  if (frame.nRows === 0) throw new Error('the training data has no rows');
  const target = pickTarget(frame, input.target);
  const features = frame.columns.map((c) => c.name).filter((n) => n !== target && n !== ID_COLUMN);
  const of = plannedIterations(input.learner, input.params);
  let last: TrainProgress | undefined;
  const onIteration = (info: IterationInfo) => {
    last = { iteration: info.iteration, of, metrics: { ...info.metrics } };
    ctx.progress(last);
  };
  const { model } = train(input.learner, frame, target, input.params, { features, onIteration });
  return {
    model: saveModel(model),
    target,
    task: model.task,
    trainedRows: frame.nRows,
    metrics: { ...last?.metrics, ...model.info.metrics },
    ...(last ? { progress: last } : {}),
  };
}

async function runPredict(input: PredictTaskInput): Promise<PredictTaskOutput> {
  const model = loadModel(input.model);
  const frame = parseCsv(await readCsvSource(input.data));
  const p = predict(model, frame);
  const lines = [PREDICTIONS_HEADER, ...predictionRows(model, frame, p)];
  return { csv: lines.join('\n') + '\n', rows: frame.nRows };
}

export const task: TaskFunction<InstanceTaskInput, TrainTaskOutput | PredictTaskOutput> = (input, ctx) =>
  input.op === 'train' ? runTrain(input, ctx) : runPredict(input);
