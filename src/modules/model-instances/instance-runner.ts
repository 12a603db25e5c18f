/**
 * How a call becomes a task on an instance: the checks (one task at a time, the state table) are
 * made before the call is answered, the instance moves to the operation's transient state in the
 * same conditional write that records the task, and the work then runs in the background and
 * moves the instance on (or to `failed`). Every change is published to watchers. The task is
 * leased by this process while it runs (instance-lease.ts): a task whose lease another process
 * took over is stopped here and settled there.
 */
import { randomUUID } from 'node:crypto';
import type { AppError } from '../../errors.js';
import { invalid } from '../../errors.js';
import type { Execution } from '../../infra/executor/executor.js';
import { createProgressReporter, PROGRESS_WRITE_EVERY_MS } from './instance-progress.js';
import type { TaskLeases } from './instance-lease.js';
import {
  allowedStates,
  isAllowed,
  successState,
  TRANSIENT_STATES,
  TRANSITIONS,
  type InstanceState,
  type Operation,
} from './instance-machine.js';
import type { InstancePatch, InstanceRow, ModelInstancesRepository } from './model-instances.repository.js';

/** What a task's work returns: columns to set with the success state. */
export type WorkResult = InstancePatch;
export type Work = (row: InstanceRow, signal: TaskSignal) => Promise<WorkResult>;

/** What work gets from its task. */
export interface TaskSignal {
  /** Hands the thread execution over, so reset/delete/close (or a lost lease) can stop it. */
  attach(execution: Execution): void;
  /** Reports progress: becomes the instance's payload (throttled, see instance-progress.ts). */
  report(payload: Record<string, unknown>): void;
}

export interface RunnerOptions {
  repo: ModelInstancesRepository;
  /** Called with every new row (a state change). */
  publish(row: InstanceRow): void;
  logError(err: unknown, msg: string): void;
  leases: TaskLeases;
  /** At most one progress write per this many ms (default PROGRESS_WRITE_EVERY_MS). */
  progressEveryMs?: number;
}

const busy = (row: InstanceRow, status: string) =>
  invalid(
    `model instance '${row.name}' is busy: cannot submit a task while the current task is not complete (current task status is ${status}, state ${row.state})`,
    { reason: 'instance_busy' },
  );

export function illegalState(row: InstanceRow, op: Operation): AppError {
  const allowed = allowedStates(op);
  return invalid(
    `${op} is not allowed in state '${row.state}' of model instance '${row.name}' (allowed in: ${allowed.join(', ')})`,
    { reason: 'illegal_state', details: { state: row.state, allowed } },
  );
}

export function createInstanceRunner(o: RunnerOptions) {
  /** Instance id → the thread of its running task. */
  const running = new Map<string, { taskId: string; execution: Execution }>();
  const { leases } = o;
  let closed = false;

  /** Refuses the call unless `row` is idle and in a state `op` may be called in. */
  async function check(row: InstanceRow, op: Operation): Promise<void> {
    if (row.current_task_id) {
      const t = await o.repo.task(row.current_task_id);
      // A task row left `running` by a crash between the two writes of succeed() is not busy.
      const transient = TRANSIENT_STATES.has(row.state as InstanceState);
      if (t && transient && (t.status === 'queued' || t.status === 'running')) throw busy(row, t.status);
    }
    if (!isAllowed(op, row.state as InstanceState)) throw illegalState(row, op);
  }

  /** Checks, then moves to the transient state and records the task; returns the new row. */
  async function begin(row: InstanceRow, op: Operation, params: unknown, skipBusy = false) {
    if (!skipBusy) await check(row, op);
    else if (!isAllowed(op, row.state as InstanceState)) throw illegalState(row, op);
    const taskId = randomUUID().replace(/-/g, '');
    const next = await o.repo.transition(
      row,
      TRANSITIONS[op].via,
      { current_task_id: taskId, stable_state: row.state },
      { id: taskId, operation: op, params, owner: leases.owner, heartbeatAt: leases.stamp() },
    );
    if (!next) throw busy(row, 'changing');
    leases.hold(taskId, row.id);
    o.publish(next);
    return next;
  }

  /** The row as stored, if `taskId` is still its current task in `state` (else it was superseded). */
  async function stillCurrent(row: InstanceRow, taskId: string) {
    const fresh = await o.repo.byName(row.name);
    return fresh && fresh.current_task_id === taskId && fresh.state === row.state ? fresh : null;
  }

  // Settling a task ends its lease renewal here (the lease itself lapses, or is claimed, later).
  async function succeed(row: InstanceRow, op: Operation, taskId: string, patch: WorkResult) {
    leases.release(taskId);
    const fresh = await stillCurrent(row, taskId);
    if (!fresh) return;
    const built = (patch.model_built ?? fresh.model_built) === 1;
    // A task whose lease another process took over is that process's to settle.
    if (!(await o.repo.setTaskStatus(taskId, 'complete', null, leases.owner))) return;
    const next = await o.repo.transition(fresh, successState(op, built), patch);
    if (next) o.publish(next);
  }

  async function fail(row: InstanceRow, taskId: string, message: string) {
    leases.release(taskId);
    // A superseded task (a /reset came first) was settled by whoever superseded it.
    const fresh = await stillCurrent(row, taskId);
    if (!fresh) return;
    if (!(await o.repo.setTaskStatus(taskId, 'failed', message, leases.owner))) return;
    const next = await o.repo.transition(fresh, 'failed', { payload: JSON.stringify({ error: message }) });
    if (next) o.publish(next);
  }

  /** Ends the task as failed but puts the instance back where it was (bad input, restart). */
  async function revert(row: InstanceRow, taskId: string, message: string) {
    leases.release(taskId);
    if (!(await o.repo.setTaskStatus(taskId, 'failed', message, leases.owner))) return;
    const fresh = await stillCurrent(row, taskId);
    if (!fresh) return;
    const next = await o.repo.transition(fresh, fresh.stable_state as InstanceState, {
      payload: JSON.stringify({ lastTaskError: message }),
    });
    if (next) o.publish(next);
  }

  /** Progress of task `taskId` written as the instance's payload while it is still current. */
  const reporter = (row: InstanceRow, taskId: string) =>
    createProgressReporter({
      everyMs: o.progressEveryMs ?? PROGRESS_WRITE_EVERY_MS,
      logError: o.logError,
      write: async (payload) => {
        const fresh = await stillCurrent(row, taskId);
        if (!fresh || closed) return;
        const next = await o.repo.transition(fresh, fresh.state as InstanceState, {
          payload: JSON.stringify(payload),
        });
        if (next) o.publish(next);
      },
    });

  /** Runs `work` for the task `row` is in (after begin, or after a takeover) and settles it. */
  async function run(row: InstanceRow, op: Operation, work: Work): Promise<void> {
    const taskId = row.current_task_id!;
    const progress = reporter(row, taskId);
    const signal: TaskSignal = {
      attach: (execution) => running.set(row.id, { taskId, execution }),
      report: progress.report,
    };
    try {
      if (!(await o.repo.setTaskStatus(taskId, 'running', null, leases.owner))) return;
      const patch = await work(row, signal);
      await progress.end();
      if (closed) return;
      await succeed(row, op, taskId, patch);
    } catch (e) {
      await progress.end();
      // A server closing stops its threads: the task stays as it was, for another server to take.
      if (closed) return;
      const message = e instanceof Error ? e.message : String(e);
      try {
        await fail(row, taskId, message);
      } catch (err) {
        o.logError(err, `model instance ${row.name}: could not record the failure of task ${taskId}`);
      }
    } finally {
      if (!closed) {
        leases.release(taskId);
        if (running.get(row.id)?.taskId === taskId) running.delete(row.id);
      }
    }
  }

  /** Starts `op` in the background; resolves once the task is recorded (the call's answer). */
  async function submit(row: InstanceRow, op: Operation, params: unknown, work: Work): Promise<InstanceRow> {
    const next = await begin(row, op, params);
    void run(next, op, work);
    return next;
  }

  /** Stops the thread of the instance's running task, if any (reset, delete); only `taskId`'s if given. */
  async function stop(instanceId: string, taskId?: string): Promise<void> {
    const r = running.get(instanceId);
    if (!r || (taskId !== undefined && r.taskId !== taskId)) return;
    running.delete(instanceId);
    await r.execution.cancel();
  }

  /**
   * Stops every running thread without settling tasks (server close). `handBack` gives their
   * leases back so another server takes them at once; without it they lapse, as a dead server's do.
   */
  async function close(handBack = true): Promise<void> {
    closed = true;
    await Promise.all([...running.values()].map((r) => r.execution.cancel()));
    running.clear();
    await leases.close(handBack);
  }

  return { check, begin, run, submit, succeed, fail, revert, stop, close };
}

export type InstanceRunner = ReturnType<typeof createInstanceRunner>;
