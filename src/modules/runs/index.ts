/** What other modules and compat surfaces may use of runs: the service, the worker and their types. */
export {
  createRunsService,
  jobIdOf,
  type RunsService,
  type RunListener,
  type ControlAction,
} from './runs.service.js';
export { startRunWorker, type RunWorker, type RunWorkerOptions } from './run-worker.js';
export { stepMap, PHASES, type Phase } from './run-steps.js';
export { RUN_ENV } from './user-code.js';
export { isTerminal, TERMINAL_STATES, RUN_STATES } from './runs.schemas.js';
export type {
  RunInput,
  RunView,
  RunEventView,
  StepMap,
  MetricPoint,
  CodeView,
  RunState,
} from './runs.schemas.js';
export type { LabelMatch } from './run-labels.repository.js';
export { PLANNED_STEP_KEYS } from './run-progress.js';
export {
  createRunEvaluations,
  scoreModel,
  EVAL_METRICS,
  type RunEvaluations,
  type EvaluationRecord,
  type EvaluateInput,
  type ConfusionMatrixValue,
} from './run-evaluate.js';
export { BUILTIN_PREFIX } from './pipelines.js';
