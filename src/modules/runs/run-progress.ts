/**
 * How far runs got, in whole percent: the steps their metrics reached over the steps their
 * parameters plan. One query answers any number of runs (compat surfaces list many at once, e.g.
 * a WMLA model's trainings).
 */
import type { RunsRepository } from './runs.repository.js';
import type { RunView } from './runs.schemas.js';

/** Parameters that give a run's planned steps (iterations, trees, epochs); the first number wins. */
export const PLANNED_STEP_KEYS = [
  'maxiteration',
  'maxIteration',
  'n_estimators',
  'max_iter',
  'epochs',
  'epoch',
  'iterations',
];

function plannedSteps(r: RunView): number | null {
  const key = PLANNED_STEP_KEYS.find((k) => typeof r.params[k] === 'number');
  return key === undefined ? null : Number(r.params[key]);
}

/**
 * Each run's progress in whole percent, keyed by run id: 100 once succeeded; 0 while queued or
 * without planned steps; else one past the highest step any of its metrics reported over the
 * planned steps, rounded down and held at 99 until it succeeds (a stopped or failed run keeps what
 * it reached). Reads the metrics of the runs that need them in one query.
 */
export async function progressOf(repo: RunsRepository, runs: RunView[]): Promise<Map<string, number>> {
  const counted = runs.filter(
    (r) => r.state !== 'succeeded' && r.state !== 'queued' && plannedSteps(r) !== null,
  );
  const maxSteps =
    counted.length > 0 ? await repo.maxSteps(counted.map((r) => r.id)) : new Map<string, number>();
  const out = new Map<string, number>();
  for (const r of runs) {
    const planned = plannedSteps(r);
    if (r.state === 'succeeded') out.set(r.id, 100);
    else if (r.state === 'queued' || planned === null) out.set(r.id, 0);
    else {
      const step = maxSteps.get(r.id);
      const done = step === undefined ? 0 : step + 1;
      out.set(r.id, Math.min(99, Math.floor((100 * done) / planned)));
    }
  }
  return out;
}
