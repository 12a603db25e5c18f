/**
 * Thread task: trains a built-in learner on a dataset's stored train split, reports each
 * iteration's metrics as progress, pauses at the learner's per-iteration checkpoint, and scores the
 * model on the validation and test splits.
 *
 * Iterative learners also hand out their training state (a learn Checkpoint) as progress: when a
 * pause is requested, and every `checkpointEveryMs` of training. Getting the state means stopping
 * training (onIteration 'stop') and continuing with `resumeFrom`, which the learners guarantee
 * gives the model an uninterrupted run gives. A later attempt starts from `resumeFrom`.
 */
import type { TaskContext, TaskFunction } from '../../infra/executor/executor.js';
import {
  accuracy,
  getColumn,
  logLoss,
  mae,
  parseCsv,
  predict,
  r2,
  rmse,
  rocAuc,
  saveModel,
  takeRows,
  getLearner,
  train,
  type Checkpoint,
  type Frame,
  type Model,
} from '../../learn/index.js';

export interface BuiltinTrainInput {
  learner: string;
  params: Record<string, unknown>;
  target: string;
  csv: Uint8Array;
  /** One byte a row: 0 train, 1 validation, 2 test. */
  assignment: Uint8Array;
  /** Continue from this state (saved by an earlier attempt) instead of from scratch. */
  resumeFrom?: Checkpoint;
  /** Hand out the training state this often while training (iterative learners; default never). */
  checkpointEveryMs?: number;
}

export interface BuiltinTrainOutput {
  model: Uint8Array;
  metrics: Record<string, number>;
  iterations: number;
  task: string;
}

/** Progress values posted per iteration, and the training state when it is handed out. */
export type BuiltinProgress =
  | { iteration: number; metrics: Record<string, number> }
  | { checkpoint: Checkpoint; why: 'pause' | 'periodic' };

function rowsOf(assignment: Uint8Array, split: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < assignment.length; i++) if (assignment[i] === split) out.push(i);
  return Int32Array.from(out);
}

/** Class index (or value, for regression) of each row's true target as the model encodes it. */
function truth(model: Model, frame: Frame): Float64Array {
  const col = getColumn(frame, model.target);
  const n = frame.nRows;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (model.task === 'regression') out[i] = col.kind === 'numeric' ? col.values[i]! : NaN;
    else {
      const label = col.kind === 'numeric' ? String(col.values[i]) : (col.levels[col.codes[i]!] ?? '');
      out[i] = model.classes.indexOf(label);
    }
  }
  return out;
}

/** Scores a model on a frame: accuracy/log_loss(/roc_auc) or rmse/mae/r2, prefixed by the split name. */
export function score(model: Model, frame: Frame, prefix: string): Record<string, number> {
  if (frame.nRows === 0) return {};
  const y = truth(model, frame);
  const p = predict(model, frame);
  if (model.task === 'regression') {
    return {
      [`${prefix}_rmse`]: rmse(y, p.output),
      [`${prefix}_mae`]: mae(y, p.output),
      [`${prefix}_r2`]: r2(y, p.output),
    };
  }
  const known = y.every((v) => v >= 0);
  if (!known) return { [`${prefix}_accuracy`]: accuracy(y, p.classIndex!) };
  const k = model.classes.length;
  const out: Record<string, number> = {
    [`${prefix}_accuracy`]: accuracy(y, p.classIndex!),
    [`${prefix}_log_loss`]: logLoss(y, p.output, k),
  };
  if (k === 2) {
    const positive = new Float64Array(frame.nRows);
    for (let i = 0; i < frame.nRows; i++) positive[i] = p.output[i * 2 + 1]!;
    out[`${prefix}_roc_auc`] = rocAuc(y, positive);
  }
  return out;
}

/** Trains, stopping to hand out the state on pause / every checkpointEveryMs and continuing from it. */
export function trainResumable(input: BuiltinTrainInput, trainFrame: Frame, ctx: TaskContext): Model {
  const iterative = getLearner(input.learner).iterative;
  const everyMs = input.checkpointEveryMs ?? Infinity;
  let resumeFrom = input.resumeFrom;
  if (resumeFrom) console.log(`resuming from the checkpoint at iteration ${resumeFrom.iteration}`);
  let savedAt = Date.now();
  for (;;) {
    const stop: { why: 'pause' | 'periodic' | null } = { why: null };
    const result = train(input.learner, trainFrame, input.target, input.params, {
      ...(resumeFrom ? { resumeFrom } : {}),
      onIteration: (info) => {
        ctx.progress({ iteration: info.iteration, metrics: info.metrics } satisfies BuiltinProgress);
        if (iterative && ctx.pauseRequested()) stop.why = 'pause';
        else if (iterative && Date.now() - savedAt >= everyMs) stop.why = 'periodic';
        if (stop.why) return 'stop';
        ctx.checkpoint();
      },
    });
    if (!stop.why || !result.checkpoint) {
      // A pause that came after the last round still leaves a state to resume from.
      if (iterative && result.checkpoint && ctx.pauseRequested())
        ctx.progress({ checkpoint: result.checkpoint, why: 'pause' } satisfies BuiltinProgress);
      ctx.checkpoint();
      return result.model;
    }
    ctx.progress({ checkpoint: result.checkpoint, why: stop.why } satisfies BuiltinProgress);
    savedAt = Date.now();
    // Blocks here while paused; the saved state is what a later attempt resumes from.
    ctx.checkpoint();
    resumeFrom = result.checkpoint;
  }
}

/** The task function the thread executor's host runs. */
export const task: TaskFunction<BuiltinTrainInput, BuiltinTrainOutput> = (input, ctx) => {
  const frame = parseCsv(input.csv);
  if (input.assignment.length !== frame.nRows)
    throw new Error(`split assignment has ${input.assignment.length} rows, data has ${frame.nRows}`);
  const trainFrame = takeRows(frame, rowsOf(input.assignment, 0));
  console.log(`training ${input.learner} on ${trainFrame.nRows} rows, target ${input.target}`);
  const model = trainResumable(input, trainFrame, ctx);
  const metrics = {
    ...(model.info.metrics ?? {}),
    ...score(model, takeRows(frame, rowsOf(input.assignment, 1)), 'validation'),
    ...score(model, takeRows(frame, rowsOf(input.assignment, 2)), 'test'),
  };
  console.log(
    `done: ${Object.entries(metrics)
      .map(([k, v]) => `${k}=${v.toFixed(4)}`)
      .join(' ')}`,
  );
  return { model: saveModel(model), metrics, iterations: model.info.iterations ?? 1, task: model.task };
};
