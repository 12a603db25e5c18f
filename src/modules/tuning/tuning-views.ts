/** Rows of tuning jobs and trials as the API shows them. */
import type { JobRow, TrialRow } from './tuning.repository.js';
import type { TrialView, TuningJobDetail, TuningJobView } from './tuning.schemas.js';

export function toTrialView(t: TrialRow): TrialView {
  return {
    number: Number(t.number),
    params: JSON.parse(t.params) as Record<string, unknown>,
    runId: t.run_id,
    state: t.state,
    value: t.value === null ? null : Number(t.value),
    error: t.error,
    createdAt: t.created_at,
    endedAt: t.ended_at,
  };
}

export function toJobView(j: JobRow, trials: TrialRow[]): TuningJobView {
  const counts = { running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const t of trials) counts[t.state]++;
  const best =
    j.best_trial === null ? undefined : trials.find((t) => Number(t.number) === Number(j.best_trial));
  return {
    id: j.id,
    name: j.name,
    kind: j.code_id ? 'code' : 'builtin',
    learner: j.learner || null,
    codeId: j.code_id,
    command: j.command,
    dataset: j.dataset || null,
    target: j.target,
    params: JSON.parse(j.fixed_params) as Record<string, unknown>,
    space: JSON.parse(j.space) as Record<string, unknown>,
    algorithm: j.algorithm,
    algorithmOptions: JSON.parse(j.algorithm_options) as Record<string, unknown>,
    seed: Number(j.seed),
    metric: j.metric,
    direction: j.direction,
    maxTrials: Number(j.max_trials),
    parallelism: Number(j.parallelism),
    state: j.state,
    error: j.error,
    counts,
    best: best ? toTrialView(best) : null,
    createdBy: j.created_by,
    createdAt: j.created_at,
    updatedAt: j.updated_at,
    endedAt: j.ended_at,
  };
}

export const toJobDetail = (j: JobRow, trials: TrialRow[]): TuningJobDetail => ({
  ...toJobView(j, trials),
  trials: trials.map(toTrialView),
});
