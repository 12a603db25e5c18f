/**
 * Model instances: MISTK's step-by-step model lifecycle (initialize → buildModel → loadData →
 * train → saveModel → predict → savePredictions) on a built-in learner, held in the database so
 * an instance and its state outlive the server. Each operation is checked against the state
 * table and the one-task rule before it is accepted; the work runs as a task (see
 * instance-runner.ts and instance-operations.ts), leased by the process running it so that
 * servers sharing the database take over only the tasks of a server that died (instance-lease.ts).
 */
import { randomUUID } from 'node:crypto';
import { conflict, invalid, notFound } from '../../errors.js';
import type { Deps } from '../../deps.js';
import type { TaskExecutor } from '../../infra/executor/executor.js';
import type { DatasetsService } from '../datasets/index.js';
import { createInstanceOperations } from './instance-operations.js';
import { createTaskLeases, type LeaseOptions } from './instance-lease.js';
import { createInstanceRunner } from './instance-runner.js';
import { TRANSIENT_STATES, type InstanceState } from './instance-machine.js';
import {
  INSTANCE_NAME,
  INSTANCE_NAME_MAX,
  toStatus,
  toTaskView,
  type InstanceView,
  type ModelInstanceStatus,
  type WatchEvent,
} from './instance-views.js';
import { createModelInstancesRepository, type InstanceRow } from './model-instances.repository.js';

export interface ModelInstancesDeps extends Deps {
  datasets: DatasetsService;
  /** Runs training and batch prediction off the event loop. */
  executor: TaskExecutor;
  /** Task lease timings (default: TASK_LEASE_MS, renewed every TASK_LEASE_RENEW_EVERY_MS). */
  lease?: LeaseOptions;
  /** At most one progress write per this many ms (default: PROGRESS_WRITE_EVERY_MS). */
  progressEveryMs?: number;
}

export type WatchListener = (event: WatchEvent) => void;

/** The instance `/v1/mistk` without a prefix addresses; created on first use. */
export const DEFAULT_INSTANCE = 'default';

export function checkInstanceName(name: string): void {
  if (name.length > INSTANCE_NAME_MAX || !INSTANCE_NAME.test(name))
    throw invalid(
      `model instance name '${name}' must be lowercase letters, digits, '-' and '.', start and end with a letter or digit, at most ${INSTANCE_NAME_MAX} characters`,
      { reason: 'invalid_name', errors: [{ field: 'name', message: 'must be a lowercase DNS-like name' }] },
    );
}

export function createModelInstancesService(deps: ModelInstancesDeps) {
  const repo = createModelInstancesRepository(deps.db);
  const watchers = new Map<string, Set<WatchListener>>();
  const publish = (row: InstanceRow, eventType: WatchEvent['eventType'] = 'modified') => {
    const event: WatchEvent = { eventType, payload: toStatus(row) };
    for (const w of watchers.get(row.id) ?? []) w(event);
  };
  const logError = (err: unknown, msg: string) => deps.logger.error({ err }, msg);
  const leases = createTaskLeases({
    ...deps.lease,
    repo,
    logError,
    onLost: (instanceId, taskId) => {
      deps.logger.warn({ instanceId, taskId }, 'model instance task taken over or ended by another server');
      // Another server took the task over, or ended it (/reset): its work here stops.
      void runner.stop(instanceId, taskId);
    },
  });
  const runner = createInstanceRunner({
    repo,
    publish: (row) => publish(row),
    logError,
    leases,
    ...(deps.progressEveryMs === undefined ? {} : { progressEveryMs: deps.progressEveryMs }),
  });
  const ops = createInstanceOperations({ ...deps, repo, runner });

  async function row(name: string): Promise<InstanceRow> {
    const r = await repo.byName(name);
    if (!r) throw notFound('model instance', name);
    return r;
  }

  async function view(r: InstanceRow): Promise<InstanceView> {
    const t = r.current_task_id ? await repo.task(r.current_task_id) : undefined;
    return { ...toStatus(r), task: t ? toTaskView(t) : null };
  }

  async function create(name: string): Promise<InstanceView> {
    checkInstanceName(name);
    const r = await repo.insert(randomUUID(), name);
    if (!r) throw conflict(`model instance '${name}' already exists`, { reason: 'instance_exists' });
    return view(r);
  }

  /** The instance, created when it does not exist yet (the default instance). */
  async function ensure(name: string): Promise<void> {
    if (await repo.byName(name)) return;
    await repo.insert(randomUUID(), name);
  }

  async function remove(name: string): Promise<void> {
    const r = await row(name);
    await runner.stop(r.id);
    ops.forget(r.id);
    await repo.remove(r.id);
    await deps.blobs.deletePrefix(ops.blobPrefix(r.id));
    publish(r, 'deleted');
    watchers.delete(r.id);
  }

  /**
   * Calls `listener` with the current status, then with every change, until the returned function
   * is called or the instance is deleted (a `deleted` event ends the watch).
   */
  async function watch(name: string, listener: WatchListener): Promise<() => void> {
    const r = await row(name);
    let set = watchers.get(r.id);
    if (!set) watchers.set(r.id, (set = new Set()));
    set.add(listener);
    listener({ eventType: 'modified', payload: toStatus((await repo.byName(name)) ?? r) });
    return () => {
      watchers.get(r.id)?.delete(listener);
    };
  }

  let closed = false;
  let scanner: NodeJS.Timeout | undefined;
  let scanning = false;

  /**
   * Takes over what a stopped server left (a task whose lease lapsed or was handed back, never one
   * a live server renews, never this process's own): a task whose inputs are all in the store
   * (everything but a /streamPredict, whose caller is gone) runs again; the others return the
   * instance to the state it was in before the task, the task failed with the reason in the payload.
   */
  async function recover(): Promise<{ rerun: number; reverted: number }> {
    const left = await repo.inStates([...TRANSIENT_STATES] as InstanceState[]);
    let rerun = 0;
    let reverted = 0;
    for (const r of left) {
      if (closed) break;
      const t = r.current_task_id ? await repo.task(r.current_task_id) : undefined;
      if (t && !(await leases.claim(t, r.id))) continue;
      // The instance may have moved on between the read and the claim (a /reset elsewhere).
      const fresh = await repo.byName(r.name);
      if (!fresh || fresh.current_task_id !== r.current_task_id || fresh.state !== r.state) {
        if (t) leases.release(t.id);
        continue;
      }
      if (t && ops.rerun(fresh, t)) rerun++;
      else {
        const why = `the server stopped during ${t?.operation ?? 'a task'}; it cannot be run again (its caller is gone)`;
        if (t) await runner.revert(fresh, t.id, why);
        else
          await repo.transition(fresh, fresh.stable_state as InstanceState, {
            payload: JSON.stringify({ lastTaskError: why }),
          });
        reverted++;
      }
    }
    if (rerun + reverted > 0) deps.logger.info({ rerun, reverted }, 'model instances: tasks taken over');
    return { rerun, reverted };
  }

  /** One look for lapsed leases; never two at once. */
  async function scan(): Promise<void> {
    if (scanning || closed) return;
    scanning = true;
    try {
      await recover();
    } catch (err) {
      logError(err, 'model instances: could not look for tasks to take over');
    } finally {
      scanning = false;
    }
  }

  /** Takes over what stopped servers left now, then keeps looking every lease period. */
  async function start(): Promise<{ rerun: number; reverted: number }> {
    const taken = await recover();
    scanner ??= setInterval(() => void scan(), leases.scanEveryMs).unref();
    return taken;
  }

  /**
   * Stops looking and stops the running work without settling it. `handBack` (default) gives the
   * tasks' leases back so another server takes them at once; false leaves them to lapse, as a
   * server that died does.
   */
  async function close(handBack = true): Promise<void> {
    closed = true;
    if (scanner) clearInterval(scanner);
    await runner.close(handBack);
  }

  return {
    create,
    ensure,
    get: async (name: string) => view(await row(name)),
    list: async () => Promise.all((await repo.list()).map(view)),
    status: async (name: string): Promise<ModelInstanceStatus> => toStatus(await row(name)),
    remove,
    watch,
    recover,
    start,
    close,
    initialize: async (name: string, body: unknown) => ops.initialize(await row(name), body),
    loadData: async (name: string, body: unknown) => ops.loadData(await row(name), body),
    buildModel: async (name: string, modelPath: string | null) => ops.buildModel(await row(name), modelPath),
    train: async (name: string) => ops.train(await row(name)),
    saveModel: async (name: string, modelPath: string | undefined) =>
      ops.saveModel(await row(name), modelPath),
    predict: async (name: string) => ops.predict(await row(name)),
    savePredictions: async (name: string, dataPath: string | undefined) =>
      ops.savePredictions(await row(name), dataPath),
    streamPredict: async (name: string, dataMap: unknown, details: boolean) =>
      ops.streamPredict(await row(name), dataMap, details),
    shutdown: async (name: string) => ops.shutdown(await row(name)),
    reset: async (name: string) => ops.reset(await row(name)),
  };
}

export type ModelInstancesService = ReturnType<typeof createModelInstancesService>;
