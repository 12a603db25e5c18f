/** Public API of the built-in learning library (the only module other code imports). */
export { parseCsv, parseNumberBytes } from './csv.js';
export type { ParseCsvOptions } from './csv.js';
export {
  createFrame,
  frameFromMatrix,
  categoricalFromStrings,
  getColumn,
  takeRows,
  dropColumns,
} from './frame.js';
export type { Frame, Column, NumericColumn, CategoricalColumn } from './frame.js';
export { learners, getLearner } from './registry.js';
export type { Learner } from './registry.js';
export { LearnParamError } from './params.js';
export type { ParamSpec, ParamSchema } from './params.js';
export { train } from './train.js';
export type { TrainOptions, TrainResult, MatrixData } from './train.js';
export {
  predict,
  predictRowInto,
  createRowPredictor,
  createBatchPredictor,
  outputSize,
  inputNames,
} from './model.js';
export type { Model, ModelInfo, Predictions, RowPredictor, BatchPredictor } from './model.js';
export { saveModel, loadModel, MODEL_FORMAT_VERSION } from './model-format.js';
export { accuracy, confusionMatrix, precisionRecallF1, logLoss, rocAuc, rmse, mae, r2 } from './metrics.js';
export type { Prf, PrfOptions } from './metrics.js';
export { trainTestSplit, kFold } from './split.js';
export type { Split, SplitOptions } from './split.js';
export { createRng } from './random.js';
export type { Rng } from './random.js';
export type { Task, Checkpoint, IterationInfo, OnIteration, Predictor } from './types.js';
