/**
 * Takes runs from the job queue and drives an executor: built-in learners on a worker thread, user
 * code as a process. Claims a run in the database before any work (delivery is at least once),
 * keeps a heartbeat, applies cancel/pause/resume requests, stores logs, metrics and artifacts,
 * registers the model, and settles the run (succeeded, retried with backoff, failed, cancelled).
 */
import { randomUUID } from 'node:crypto';
import type { Deps } from '../../deps.js';
import type {
  Execution,
  ExecutionResult,
  LogLine,
  ProcessExecutor,
  TaskExecutor,
} from '../../infra/executor/executor.js';
import type { Consumer, QueueJob } from '../../infra/queue/job-queue.js';
import { nowIso } from '../../infra/db/kysely.js';
import type { DatasetsService } from '../datasets/index.js';
import type { RegistryService } from '../registry/index.js';
import type { TokensService } from '../tokens/tokens.service.js';
import { runBuiltin, runUserCode, type Attempt } from './run-execute.js';
import { HEARTBEAT_MS, HEARTBEAT_STALE_MS, type ControlAction, type RunsService } from './runs.service.js';
import type { RunRow } from './runs.repository.js';

export interface RunWorkerOptions {
  deps: Deps;
  runs: RunsService;
  datasets: DatasetsService;
  registry: RegistryService;
  tokens: TokensService;
  executors: { process: ProcessExecutor; task: TaskExecutor };
  /** Base URL user code calls (MODELYARD_API_URL). */
  apiUrl: string;
  /** Queues to consume and the concurrency of each. */
  queues: Record<string, number>;
}

export interface RunWorker {
  id: string;
  /**
   * Stops taking runs; waits up to `timeoutMs` for the running ones, aborts the rest and waits
   * (bounded) until they have put their runs back on the queue.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

const LOG_FLUSH_MS = 200;
/** How long close() waits for aborted handlers (a program gets SIGTERM, then SIGKILL after 5 s). */
const ABORTED_SETTLE_MS = 10_000;
const LOOPBACK = /^(127\.|localhost$|::1$)/;

/** Starts consumers on the given queues. */
export function startRunWorker(o: RunWorkerOptions): RunWorker {
  const { runs, deps } = o;
  const { repo, transition, orphan, localControl, releaseEnded } = runs.internal;
  const workerId = randomUUID();
  const log = deps.logger.child({ worker: workerId });

  async function authEnforced(): Promise<boolean> {
    const c = deps.config;
    return c.authMode === 'required' || !LOOPBACK.test(c.host) || (await o.tokens.activeCount()) > 0;
  }

  async function handle(job: QueueJob<{ runId: string; attempt: number }>): Promise<void> {
    const { runId, attempt } = job.data;
    const current = await repo.get(runId);
    if (!current) return;
    if (current.state !== 'queued' || current.attempt !== attempt - 1) {
      // A redelivery of a job whose worker died: settle the orphan, once its heartbeat is stale.
      const stale =
        !current.heartbeat_at || Date.now() - Date.parse(current.heartbeat_at) > HEARTBEAT_STALE_MS;
      if ((current.state === 'running' || current.state === 'paused') && current.attempt === attempt && stale)
        await orphan(current, 'worker_lost');
      return;
    }
    const token = (await authEnforced())
      ? await o.tokens.create({ name: `run ${runId} #${attempt}`, role: 'editor' })
      : null;
    const now = nowIso();
    const claimed = await transition(runId, ['queued'], 'running', {
      attempt: attempt - 1,
      reason: current.reason === 'resumed_by_user' ? 'resumed' : attempt > 1 ? 'retry' : 'started',
      set: {
        attempt,
        started_at: current.started_at ?? now,
        worker_id: workerId,
        heartbeat_at: now,
        control: null,
        token_id: token?.id ?? null,
        not_before: null,
      },
    });
    if (!claimed) {
      if (token) await o.tokens.revoke(token.id).catch(() => undefined);
      return;
    }
    await execute(claimed, job, token?.token ?? '');
  }

  async function execute(run: RunRow, job: QueueJob, token: string): Promise<void> {
    let execution: Execution | null = null;
    let cancelRequested = false;
    /** A pause applied before the executor started must reach it once it exists. */
    let pausedNow = false;
    let seq = await repo.maxLogSeq(run.id);
    let pending: Parameters<typeof repo.appendLogs>[0] = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      await repo
        .appendLogs(batch)
        .then((last) => void (seq = Math.max(seq, last)))
        .catch((e: unknown) => log.warn({ err: e }, 'could not store log lines'));
    };
    const flushTimer = setInterval(() => void flush(), LOG_FLUSH_MS);
    const addLog = (stream: 'stdout' | 'stderr' | 'system', text: string, timeMs = Date.now()) => {
      pending.push({
        run_id: run.id,
        seq: ++seq,
        attempt: run.attempt,
        stream,
        text,
        at: new Date(timeMs).toISOString(),
      });
    };

    const apply = async (action: ControlAction) => {
      await repo.update(run.id, { control: null });
      if (action === 'cancel') {
        cancelRequested = true;
        addLog('system', 'cancel requested');
        await execution?.cancel();
      } else if (action === 'pause') {
        pausedNow = true;
        await execution?.pause();
        if (await transition(run.id, ['running'], 'paused', { reason: 'paused_by_user' }))
          addLog('system', 'paused');
      } else {
        pausedNow = false;
        await execution?.resume();
        if (await transition(run.id, ['paused'], 'running', { reason: 'resumed_by_user' }))
          addLog('system', 'resumed');
      }
    };
    let applying = Promise.resolve();
    const control = (action: ControlAction) => {
      applying = applying
        .then(() => apply(action))
        .catch((e: unknown) => log.warn({ err: e }, 'run control failed'));
    };
    localControl.set(run.id, control);
    /** Set when the run was settled or claimed again elsewhere (this worker looked dead): stop quietly. */
    let superseded = false;
    // The heartbeat also picks up control requests made through another process.
    const heartbeat = setInterval(() => {
      void repo
        .get(run.id)
        .then(async (r) => {
          if (!r || r.attempt !== run.attempt || r.worker_id !== workerId) {
            superseded = true;
            await execution?.cancel();
            return;
          }
          await repo.update(run.id, { heartbeat_at: nowIso() });
          if (r.control) control(r.control as ControlAction);
        })
        .catch((e: unknown) => log.warn({ err: e }, 'heartbeat failed'));
    }, HEARTBEAT_MS);
    const onAbort = () => void execution?.cancel();
    job.signal.addEventListener('abort', onAbort);

    const attempt: Attempt = {
      run,
      token,
      apiUrl: o.apiUrl,
      onLog: (l: LogLine) => addLog(l.stream, l.text, l.timeMs),
      systemLog: (text) => addLog('system', text),
      started: (e) => {
        execution = e;
        if (cancelRequested) void e.cancel();
        else if (pausedNow) void e.pause();
      },
    };
    addLog('system', `attempt ${run.attempt} of ${run.max_attempts} started (worker ${workerId})`);
    let result: ExecutionResult | null = null;
    let outcome: { modelVersionId: string | null } | null = null;
    let failure: { reason: string; message: string } | null = null;
    try {
      const r = run.kind === 'builtin' ? await runBuiltin(o, attempt) : await runUserCode(o, attempt);
      result = r.result;
      outcome = r.outcome;
    } catch (e) {
      failure = { reason: 'internal_error', message: (e as Error).message };
      log.error({ err: e, run: run.id }, 'run failed inside the worker');
    }
    clearInterval(heartbeat);
    await applying;
    localControl.delete(run.id);
    job.signal.removeEventListener('abort', onAbort);

    const ended = { ended_at: nowIso(), token_id: null };
    const latest = await repo.get(run.id);
    // This attempt's own token (a newer attempt of the run has its own).
    if (run.token_id) await o.tokens.revoke(run.token_id).catch(() => undefined);
    if (superseded || !latest || latest.attempt !== run.attempt || latest.worker_id !== workerId) {
      addLog('system', 'the run was taken over elsewhere (this worker looked dead); this attempt stops');
      await flush();
      clearInterval(flushTimer);
      return;
    }
    if (job.signal.aborted && !cancelRequested) {
      addLog('system', 'the worker stopped; the run goes back to the queue if attempts remain');
      await flush();
      clearInterval(flushTimer);
      await orphan({ ...latest, token_id: null }, 'worker_stopped');
      return;
    }
    if (!failure && result && outcome && result.reason === 'exited' && result.exitCode === 0) {
      addLog('system', 'succeeded');
      await flush();
      const done = await transition(run.id, ['running', 'paused'], 'succeeded', {
        attempt: run.attempt,
        reason: 'completed',
        set: { ...ended, model_version_id: outcome.modelVersionId },
      });
      if (done) await releaseEnded(done);
    } else if (cancelRequested) {
      addLog('system', 'cancelled');
      await flush();
      const done = await transition(run.id, ['running', 'paused'], 'cancelled', {
        attempt: run.attempt,
        reason: 'cancelled_by_user',
        set: ended,
      });
      if (done) await releaseEnded(done);
    } else {
      failure ??= describeFailure(result!);
      addLog('system', `failed: ${failure.reason}: ${failure.message}`);
      await flush();
      if (run.attempt < run.max_attempts) {
        const delayMs = run.backoff_ms * 2 ** (run.attempt - 1);
        const back = await transition(run.id, ['running', 'paused'], 'queued', {
          attempt: run.attempt,
          reason: 'retrying',
          message: `${failure.reason}: ${failure.message}`,
          set: { token_id: null, worker_id: null, not_before: new Date(Date.now() + delayMs).toISOString() },
        });
        if (back) await runs.internal.enqueue(back);
      } else {
        const done = await transition(run.id, ['running', 'paused'], 'failed', {
          attempt: run.attempt,
          reason: failure.reason,
          message: failure.message,
          set: ended,
        });
        if (done) await releaseEnded(done);
      }
    }
    clearInterval(flushTimer);
    await flush();
  }

  /** Handlers in flight, so close() can wait for aborted ones to put their runs back. */
  const inFlight = new Set<Promise<void>>();
  const consumers: Consumer[] = Object.entries(o.queues).map(([queue, concurrency]) =>
    deps.queue.process<{ runId: string; attempt: number }>(
      queue,
      (job) => {
        const p = handle(job)
          .catch((e: unknown) => {
            log.error({ err: e, job: job.id }, 'run job failed');
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        return p;
      },
      { concurrency },
    ),
  );
  log.info({ queues: o.queues }, 'run worker started');
  return {
    id: workerId,
    async close(options) {
      await Promise.all(consumers.map((c) => c.close(options)));
      // Handlers the queue aborted after the grace period end their program and put the run back
      // (queued or failed): wait for that, so a process closing its database next loses nothing.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(inFlight),
        new Promise((resolve) => (timer = setTimeout(resolve, ABORTED_SETTLE_MS))),
      ]);
      clearTimeout(timer);
    },
  };
}

function describeFailure(r: ExecutionResult): { reason: string; message: string } {
  switch (r.reason) {
    case 'timeout':
      return { reason: 'timeout', message: `the run exceeded its timeout after ${r.durationMs} ms` };
    case 'failed_to_start':
      return { reason: 'failed_to_start', message: r.error ?? 'the program could not start' };
    case 'cancelled':
      return { reason: 'cancelled', message: 'the execution was cancelled' };
    default:
      if (r.error) return { reason: 'error', message: r.error };
      return r.signal
        ? { reason: 'killed', message: `the program was ended by ${r.signal}` }
        : { reason: 'exit_code', message: `the program exited with code ${r.exitCode}` };
  }
}
