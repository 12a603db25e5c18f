/**
 * The O-RAN Training Manager's five-step status map, derived from a run's events (never stored
 * twice): data extraction → training → model registration, with the two hand-over steps between.
 * Only the latest attempt counts, so a retry starts the map again.
 */
import type { RunEventView, RunState, StepMap } from './runs.schemas.js';

type StepStatus = StepMap['DATA_EXTRACTION'];

export const PHASES = ['data_extraction', 'training', 'model_registration'] as const;
export type Phase = (typeof PHASES)[number];

function phaseStatus(events: RunEventView[], phase: Phase): StepStatus {
  let status: StepStatus = 'NOT_STARTED';
  for (const e of events) {
    if (e.kind !== 'phase' || e.name !== phase) continue;
    status = e.status === 'started' ? 'IN_PROGRESS' : e.status === 'finished' ? 'FINISHED' : 'FAILED';
  }
  return status;
}

/** A hand-over step starts when its predecessor finishes; after a failure it never started (as the TM). */
function handOver(before: StepStatus, after: StepStatus): StepStatus {
  if (before !== 'FINISHED') return 'NOT_STARTED';
  return after === 'NOT_STARTED' ? 'IN_PROGRESS' : 'FINISHED';
}

/** The step map of a run in `state` with these events. */
export function stepMap(state: RunState, events: RunEventView[]): StepMap {
  const attempt = events.reduce((m, e) => Math.max(m, e.attempt), 0);
  const current = events.filter((e) => e.attempt === attempt);
  const data = phaseStatus(current, 'data_extraction');
  const training = phaseStatus(current, 'training');
  const model = phaseStatus(current, 'model_registration');
  const map: StepMap = {
    DATA_EXTRACTION: data,
    DATA_EXTRACTION_AND_TRAINING: handOver(data, training),
    TRAINING: training,
    TRAINING_AND_TRAINED_MODEL: handOver(training, model),
    TRAINED_MODEL: model,
  };
  if (state === 'failed' || state === 'cancelled') {
    // Whatever was under way when the run ended failed with it.
    for (const k of Object.keys(map) as Array<keyof StepMap>) if (map[k] === 'IN_PROGRESS') map[k] = 'FAILED';
  }
  return map;
}
