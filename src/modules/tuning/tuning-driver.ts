/**
 * Drives tuning jobs on this server: keeps `parallelism` trial runs in flight, tells the study
 * each ended run's objective, stops at max trials and records the best. Everything it knows is
 * in the database (the study's JSON, the trial rows, the runs), so a restarted server resumes a
 * job where it stood: running trials are awaited, ended ones told, then new trials asked.
 *
 * Several servers may share the database: a job is driven by the one process holding its lease
 * (`owner`, renewed every few seconds); another takes it over once the lease lapsed.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { nowIso } from '../../infra/db/kysely.js';
import { restoreStudy, type Study, type StudyState } from '../../tune/index.js';
import type { RunsService } from '../runs/index.js';
import type { JobRow, TrialRow, TuningRepository } from './tuning.repository.js';
import { outcomeOf, submitTrialRun, type TrialOutcome } from './tuning-trials.js';

/** Driver timings (tests shorten them). */
export interface DriverOptions {
  /** How often a job looks at its trial runs (also woken at once when one of them ends here). */
  pollMs?: number;
  /** How long a lease lasts without renewal; also how often jobs without a live driver are looked for. */
  leaseMs?: number;
}

export function createTuningDriver(
  repo: TuningRepository,
  runs: RunsService,
  logger: Logger,
  options: DriverOptions = {},
) {
  const owner = randomUUID();
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 30_000;
  const renewEveryMs = Math.max(1, Math.floor(leaseMs / 6));
  /** Job id → its wake-up function, for the jobs this process drives. */
  const driving = new Map<string, () => void>();
  let scanner: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let closed = false;

  const sleep = (jobId: string) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      driving.set(jobId, done);
    });

  /** Claims and drives a job unless this or another live process already does. */
  async function take(jobId: string): Promise<void> {
    if (closed || driving.has(jobId)) return;
    driving.set(jobId, () => {}); // before the claim's await, so a concurrent take() backs off
    const now = Date.now();
    const lapsedBefore = new Date(now - leaseMs).toISOString();
    let claimed = false;
    try {
      claimed = await repo.claim(jobId, owner, new Date(now).toISOString(), lapsedBefore);
    } finally {
      if (!claimed) driving.delete(jobId);
    }
    if (!claimed) return;
    void drive(jobId)
      .catch(async (err: unknown) => {
        if (closed) return; // the store is closing under us: the next server resumes the job
        logger.error({ err, jobId }, 'tuning job failed');
        await repo.updateActive(jobId, { state: 'failed', error: 'internal error', ended_at: nowIso() });
      })
      .finally(async () => {
        // Released before the job leaves `driving`, so close() returns only once the lease is
        // handed back and a server started next takes the job over at once.
        await repo.release(jobId, owner).catch(() => {});
        driving.delete(jobId);
      });
  }

  async function scan(): Promise<void> {
    try {
      for (const job of await repo.active()) await take(job.id);
    } catch (err) {
      logger.error({ err }, 'tuning: could not look for jobs to drive');
    }
  }

  async function drive(jobId: string): Promise<void> {
    let job = (await repo.byId(jobId))!;
    const study = restoreStudy(JSON.parse(job.study) as StudyState);
    let renewedAt = Date.now();
    if (job.state === 'queued') await repo.updateActive(job.id, { state: 'running' });
    while (!closed) {
      if (Date.now() - renewedAt >= renewEveryMs) {
        if (!(await repo.renew(job.id, owner, nowIso()))) return; // ended (cancelled) or taken over
        renewedAt = Date.now();
      }
      const fresh = await repo.byId(job.id);
      if (!fresh || (fresh.state !== 'running' && fresh.state !== 'queued')) return;
      job = fresh;
      const trials = await repo.trials(job.id);
      let inFlight = 0;
      for (const t of trials.filter((x) => x.state === 'running')) {
        if (await settle(job, study, t)) continue;
        inFlight++;
      }
      // "No proposal" only ends the job once nothing runs: an algorithm may have none now and one
      // after a running trial's result (asked again on the next pass, woken when a run ends).
      let exhausted = false;
      while (!closed && !exhausted && inFlight < job.parallelism && study.trials().length < job.max_trials) {
        if (!(await startTrial(job, study))) exhausted = true;
        else inFlight++;
      }
      if (inFlight === 0 && (exhausted || study.trials().length >= job.max_trials)) {
        await finish(job, study);
        return;
      }
      await sleep(job.id);
    }
  }

  /** Asks the study for a trial, records it with the study, and submits its run; false when it has none. */
  async function startTrial(job: JobRow, study: Study): Promise<boolean> {
    const asked = study.ask();
    if (!asked) return false;
    const trial: TrialRow = {
      job_id: job.id,
      number: asked.id,
      params: JSON.stringify(asked.params),
      run_id: null,
      state: 'running',
      value: null,
      error: null,
      created_at: nowIso(),
      ended_at: null,
    };
    if (!(await repo.addTrial(trial, JSON.stringify(study.toJSON())))) return false; // ended meanwhile
    await attachRun(job, study, trial);
    return true;
  }

  /** Submits a trial's run and records its id; a run refused at submit ends the trial failed. */
  async function attachRun(job: JobRow, study: Study, trial: TrialRow): Promise<void> {
    try {
      const run = await submitTrialRun(runs, job, trial);
      await repo.updateTrial(job.id, trial.number, { run_id: run.id });
      trial.run_id = run.id;
      const now = await repo.byId(job.id);
      // Cancelled while the run was being submitted: the cancel could not see this run.
      if (now && now.state !== 'running' && now.state !== 'queued') {
        await runs.cancel(run.id).catch(() => {});
        await repo.updateTrial(job.id, trial.number, {
          state: 'cancelled',
          error: 'job cancelled',
          ended_at: nowIso(),
        });
      }
    } catch (err) {
      await record(job, study, trial, {
        state: 'failed',
        error: `run not submitted: ${(err as Error).message}`,
      });
    }
  }

  /** Tells the study about a trial whose run ended; true when the trial is settled. */
  async function settle(job: JobRow, study: Study, trial: TrialRow): Promise<boolean> {
    if (!trial.run_id) {
      await attachRun(job, study, trial); // the previous process died between the two writes
      return trial.run_id === null;
    }
    const outcome = await outcomeOf(runs, job, await runs.get(trial.run_id));
    if (!outcome) return false;
    await record(job, study, trial, outcome);
    return true;
  }

  async function record(job: JobRow, study: Study, trial: TrialRow, outcome: TrialOutcome): Promise<void> {
    study.tell(
      trial.number,
      outcome.state === 'succeeded' ? { value: outcome.value } : { failed: outcome.error },
    );
    const best = study.best();
    // Not written when a cancel ended the trial meanwhile: the job is over, its study no longer matters.
    await repo.updateTrial(
      job.id,
      trial.number,
      outcome.state === 'succeeded'
        ? { state: 'succeeded', value: outcome.value, ended_at: nowIso() }
        : { state: outcome.state, error: outcome.error, ended_at: nowIso() },
      {
        study: JSON.stringify(study.toJSON()),
        best_trial: best?.id ?? null,
        best_value: best?.value ?? null,
      },
    );
  }

  async function finish(job: JobRow, study: Study): Promise<void> {
    const best = study.best();
    const failed = study.trials().filter((t) => t.state === 'failed');
    await repo.updateActive(job.id, {
      state: best ? 'succeeded' : 'failed',
      error: best ? null : `no trial succeeded${failed.length ? `: ${failed.at(-1)!.failReason}` : ''}`,
      ended_at: nowIso(),
    });
  }

  return {
    owner,
    /** Resumes the jobs a previous process left, and keeps looking for orphaned ones. */
    async start(): Promise<void> {
      unsubscribe = runs.onChange((run) => {
        const jobId = run.labels.tuning_job_id;
        if (jobId && run.endedAt) driving.get(jobId)?.();
      });
      await scan();
      scanner = setInterval(() => void scan(), leaseMs).unref();
    },
    /** Starts driving a job just created (or found) here. */
    take,
    /** Wakes a job's driver so it sees a change (e.g. a cancel) at once. */
    wake: (jobId: string) => driving.get(jobId)?.(),
    /** Stops driving (the runs go on); leases are handed back so another server may take over. */
    async close(): Promise<void> {
      closed = true;
      if (scanner) clearInterval(scanner);
      unsubscribe?.();
      for (const wake of driving.values()) wake();
      const deadline = Date.now() + 5000;
      while (driving.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

export type TuningDriver = ReturnType<typeof createTuningDriver>;
