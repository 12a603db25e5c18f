/**
 * One trial's life against the runs service: submit its training run (the built-in learner, or
 * the job's code with the trial's params in config.json), reusing a run an earlier process
 * already submitted for it, and turn an ended run into the study's outcome (the final value of
 * the job's metric, or a failure).
 */
import { isTerminal, type RunsService, type RunView } from '../runs/index.js';
import type { JobRow, TrialRow } from './tuning.repository.js';

/** Labels every trial run carries; the driver finds a trial's run by them after a restart. */
export const labelsOf = (job: JobRow, number: number) => ({
  tuning_job: job.name,
  tuning_job_id: job.id,
  trial: String(number),
});

/** Extra attempts of a trial run after a failure (see runs' retries). */
export const TRIAL_RUN_RETRIES = 1;

/** Submits the run of a trial, or returns the one already submitted for it (a crash between submit and record). */
export async function submitTrialRun(runs: RunsService, job: JobRow, trial: TrialRow): Promise<RunView> {
  const [existing] = await runs.listByLabels(labelsOf(job, trial.number));
  if (existing) return existing;
  const params = { ...(JSON.parse(job.fixed_params) as object), ...(JSON.parse(trial.params) as object) };
  return runs.submit(
    {
      name: `${job.name}-trial-${trial.number}`,
      ...(job.code_id ? { codeId: job.code_id, command: job.command! } : { learner: job.learner }),
      ...(job.dataset ? { dataset: job.dataset } : {}),
      ...(job.target ? { target: job.target } : {}),
      params,
      modelName: job.name,
      // A run a stopped or dead server left is then re-queued (from its checkpoint) instead of lost.
      retries: TRIAL_RUN_RETRIES,
      labels: labelsOf(job, trial.number),
    },
    job.created_by,
  );
}

/** What an ended run means for its trial. */
export type TrialOutcome =
  { state: 'succeeded'; value: number } | { state: 'failed' | 'cancelled'; error: string };

/** The outcome of a trial whose run has ended; null while it still runs. */
export async function outcomeOf(runs: RunsService, job: JobRow, run: RunView): Promise<TrialOutcome | null> {
  if (!isTerminal(run.state)) return null;
  if (run.state === 'cancelled') return { state: 'cancelled', error: `run ${run.id} was cancelled` };
  if (run.state === 'failed')
    return {
      state: 'failed',
      error: `run ${run.id} failed (${run.reason ?? 'error'}: ${run.message ?? ''})`,
    };
  const points = await runs.metrics(run.id, job.metric);
  const last = points.at(-1);
  if (!last) {
    const names = [...new Set((await runs.metrics(run.id)).map((m) => m.name))];
    return {
      state: 'failed',
      error: `run ${run.id} recorded no metric '${job.metric}' (it has: ${names.join(', ') || 'none'})`,
    };
  }
  if (!Number.isFinite(last.value))
    return { state: 'failed', error: `metric '${job.metric}' is not a finite number (${last.value})` };
  return { state: 'succeeded', value: last.value };
}
