/**
 * Public API of the hyperparameter-search library (pure: no I/O). The tuning service creates a
 * study per tuning job, calls ask() when a worker is free and tell() when a run reports, and
 * stores toJSON() after every change so a restarted server resumes the study exactly.
 */
export { createStudy, restoreStudy, TuneError } from './study.js';
export type { AskedTrial, Plugins, Study, StudyOptions, StudyState, TellOutcome } from './study.js';
export { compileSpace, SearchSpaceError } from './space.js';
export type {
  CategoricalParam,
  Condition,
  FloatParam,
  IntParam,
  OrdinalParam,
  ParamSpec,
  ParamValue,
  Params,
  SearchSpace,
} from './space.js';
export type {
  Direction,
  IntermediateValue,
  Pruner,
  PrunerFactory,
  Sampler,
  SamplerContext,
  SamplerFactory,
  Suggestion,
  TrialRecord,
  TrialState,
} from './sampler.js';
export { completed, lossOf } from './sampler.js';
export { createRandomSampler, sampleRandomParams } from './random.js';
export { createTpeSampler } from './tpe.js';
export type { TpeOptions } from './tpe.js';
export { createRng } from './rng.js';
export type { Rng } from './rng.js';
export { createGpSampler } from './gp.js';
export type { GpOptions } from './gp.js';
export { createGridSampler, gridValues } from './grid.js';
export type { GridOptions } from './grid.js';
export { createHyperbandSampler } from './hyperband.js';
export type { HyperbandOptions } from './hyperband.js';
export { createMedianPruner, createSuccessiveHalvingPruner } from './pruners.js';
export type { MedianPrunerOptions, SuccessiveHalvingPrunerOptions } from './pruners.js';
export { wmlaHyperParamsToSpace, wmlaParamToSpec, wmlaToStudyOptions } from './wmla.js';
export type { WmlaAlgoDef, WmlaExperiment, WmlaHyperParam, WmlaInput } from './wmla.js';
export { builtinPruners, builtinSamplers } from './registry.js';
