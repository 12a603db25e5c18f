/**
 * The model-instance state machine, as data: MISTK's table (seed-systems 1.3). Each operation
 * names the states it may be called in, the transient state it runs in, and where it ends on
 * success. Failure always goes to `failed`, from which only `reset` leads out.
 */

export const INSTANCE_STATES = [
  'started',
  'initializing',
  'initialized',
  'failed',
  'loading_data',
  'building_model',
  'ready',
  'pausing',
  'paused',
  'training',
  'predicting',
  'generating',
  'saving_model',
  'saving_predictions',
  'saving_generations',
  'building_ensemble',
  'updating_properties',
  'miniaturizing',
  'resetting',
  'terminating',
  'terminated',
] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

export type Operation =
  | 'initialize'
  | 'load_data'
  | 'build_model'
  | 'build_ensemble'
  | 'train'
  | 'predict'
  | 'stream_predict'
  | 'stream_predict_source'
  | 'update_stream_properties'
  | 'save_predictions'
  | 'generate'
  | 'save_generations'
  | 'miniaturize'
  | 'save_model'
  | 'pause'
  | 'resume_training'
  | 'resume_predicting'
  | 'terminate'
  | 'reset';

/** `ready_if_built`: `ready` once a model was built, else `initialized` (MISTK's load_data rule). */
export type Target = InstanceState | 'ready_if_built';

export interface Transition {
  from: readonly InstanceState[] | 'any';
  /** States the operation may not be called in, when `from` is `any`. */
  except?: readonly InstanceState[];
  via: InstanceState;
  to: Target;
}

export const TRANSITIONS: Record<Operation, Transition> = {
  initialize: { from: ['started'], via: 'initializing', to: 'initialized' },
  load_data: { from: ['initialized', 'ready'], via: 'loading_data', to: 'ready_if_built' },
  build_model: { from: ['initialized'], via: 'building_model', to: 'ready' },
  build_ensemble: { from: ['initialized'], via: 'building_ensemble', to: 'ready' },
  train: { from: ['ready'], via: 'training', to: 'ready' },
  predict: { from: ['ready'], via: 'predicting', to: 'ready' },
  stream_predict: { from: ['ready'], via: 'predicting', to: 'ready' },
  stream_predict_source: { from: ['ready'], via: 'predicting', to: 'ready' },
  update_stream_properties: { from: ['ready'], via: 'updating_properties', to: 'ready' },
  save_predictions: { from: ['ready'], via: 'saving_predictions', to: 'ready' },
  generate: { from: ['ready'], via: 'generating', to: 'ready' },
  save_generations: { from: ['ready'], via: 'saving_generations', to: 'ready' },
  miniaturize: { from: ['ready'], via: 'miniaturizing', to: 'ready' },
  save_model: { from: ['ready', 'paused'], via: 'saving_model', to: 'ready' },
  pause: { from: ['training', 'predicting'], via: 'pausing', to: 'paused' },
  resume_training: { from: ['paused'], via: 'training', to: 'ready' },
  resume_predicting: { from: ['paused'], via: 'predicting', to: 'ready' },
  terminate: {
    from: 'any',
    except: ['terminating', 'terminated', 'failed'],
    via: 'terminating',
    to: 'terminated',
  },
  // Upstream re-executes its process, which then starts in `started`; we clear the instance instead.
  reset: { from: 'any', except: ['terminating', 'terminated'], via: 'resetting', to: 'started' },
};

/** States a task runs in; a server that stopped in one of these left a task unfinished. */
export const TRANSIENT_STATES: ReadonlySet<InstanceState> = new Set(
  Object.values(TRANSITIONS).map((t) => t.via),
);

/** The states `op` may be called in. */
export function allowedStates(op: Operation): InstanceState[] {
  const t = TRANSITIONS[op];
  if (t.from !== 'any') return [...t.from];
  return INSTANCE_STATES.filter((s) => !(t.except ?? []).includes(s));
}

export function isAllowed(op: Operation, state: InstanceState): boolean {
  return allowedStates(op).includes(state);
}

/** Where `op` ends on success. */
export function successState(op: Operation, modelBuilt: boolean): InstanceState {
  const to = TRANSITIONS[op].to;
  if (to === 'ready_if_built') return modelBuilt ? 'ready' : 'initialized';
  return to;
}
