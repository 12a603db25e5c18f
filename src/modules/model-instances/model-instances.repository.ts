/**
 * Rows of model instances and their tasks. Every state change is a conditional update on the
 * resource version the caller read, so two calls racing on one instance cannot both win (the
 * loser sees `false` and answers "busy"), on SQLite and PostgreSQL alike.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../../infra/db/kysely.js';
import { isUniqueViolation, nowIso } from '../../infra/db/kysely.js';
import type { ModelInstancesTable, ModelInstanceTasksTable } from '../../infra/db/schema.js';
import type { InstanceState, Operation } from './instance-machine.js';

export type InstanceRow = Selectable<ModelInstancesTable>;
export type TaskRow = Selectable<ModelInstanceTasksTable>;
export type TaskStatus = TaskRow['status'];

/** Columns a state change may set besides state and version. */
export type InstancePatch = Partial<
  Pick<
    InstanceRow,
    | 'stable_state'
    | 'payload'
    | 'config'
    | 'data'
    | 'model_built'
    | 'model_blob_key'
    | 'predictions_blob_key'
    | 'current_task_id'
  >
>;

export function createModelInstancesRepository(db: Db) {
  async function insert(id: string, name: string): Promise<InstanceRow | null> {
    const at = nowIso();
    const row: InstanceRow = {
      id,
      name,
      state: 'started',
      stable_state: 'started',
      resource_version: 1,
      payload: '{}',
      config: null,
      data: '{}',
      model_built: 0,
      model_blob_key: null,
      predictions_blob_key: null,
      current_task_id: null,
      created_at: at,
      updated_at: at,
    };
    try {
      await db.insertInto('model_instances').values(row).execute();
      return row;
    } catch (e) {
      if (isUniqueViolation(e)) return null;
      throw e;
    }
  }

  const byName = (name: string) =>
    db.selectFrom('model_instances').selectAll().where('name', '=', name).executeTakeFirst();

  const list = () => db.selectFrom('model_instances').selectAll().orderBy('name').execute();

  /** Instances a stopped server left in one of these states. */
  const inStates = (states: readonly InstanceState[]) =>
    db
      .selectFrom('model_instances')
      .selectAll()
      .where('state', 'in', [...states])
      .execute();

  /**
   * Moves the instance read at `version` to `state` (version + 1), setting `patch`; false when
   * someone else changed it first. `task` optionally inserts a task row in the same transaction.
   */
  async function transition(
    row: InstanceRow,
    state: InstanceState,
    patch: InstancePatch = {},
    task?: { id: string; operation: Operation; params: unknown; owner: string; heartbeatAt: string },
  ): Promise<InstanceRow | null> {
    const at = nowIso();
    const next = { ...row, ...patch, state, resource_version: row.resource_version + 1, updated_at: at };
    const done = await db.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable('model_instances')
        .set({ ...patch, state, resource_version: next.resource_version, updated_at: at })
        .where('id', '=', row.id)
        .where('resource_version', '=', row.resource_version)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      if (task)
        await tx
          .insertInto('model_instance_tasks')
          .values({
            id: task.id,
            instance_id: row.id,
            operation: task.operation,
            params: JSON.stringify(task.params ?? {}),
            status: 'queued',
            error: null,
            owner: task.owner,
            heartbeat_at: task.heartbeatAt,
            created_at: at,
            updated_at: at,
          })
          .execute();
      return true;
    });
    return done ? next : null;
  }

  /** Sets a task's status; with `owner`, only while that process holds its lease (false if not). */
  async function setTaskStatus(
    id: string,
    status: TaskStatus,
    error: string | null = null,
    owner?: string,
  ): Promise<boolean> {
    let q = db
      .updateTable('model_instance_tasks')
      .set({ status, error, updated_at: nowIso() })
      .where('id', '=', id);
    if (owner !== undefined) q = q.where('owner', '=', owner);
    return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
  }

  /**
   * Renews the lease `owner` holds on an unfinished task; false when it no longer holds it (taken
   * over) or the task was ended elsewhere (a /reset on another server).
   */
  async function renewLease(id: string, owner: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('model_instance_tasks')
      .set({ heartbeat_at: at })
      .where('id', '=', id)
      .where('owner', '=', owner)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Takes the lease of task `t` (as read) for `owner`, only if its owner and heartbeat are still
   * the ones read: of several servers claiming one expired task at once, exactly one wins.
   */
  async function claimLease(t: TaskRow, owner: string, at: string): Promise<boolean> {
    let q = db.updateTable('model_instance_tasks').set({ owner, heartbeat_at: at }).where('id', '=', t.id);
    q = t.owner === null ? q.where('owner', 'is', null) : q.where('owner', '=', t.owner);
    q =
      t.heartbeat_at === null
        ? q.where('heartbeat_at', 'is', null)
        : q.where('heartbeat_at', '=', t.heartbeat_at);
    return Number((await q.executeTakeFirst()).numUpdatedRows) === 1;
  }

  /** Gives the leases `owner` holds on these tasks back (owner null: anyone may take them at once). */
  async function releaseLeases(ids: readonly string[], owner: string): Promise<void> {
    if (ids.length === 0) return;
    await db
      .updateTable('model_instance_tasks')
      .set({ owner: null })
      .where('id', 'in', [...ids])
      .where('owner', '=', owner)
      .execute();
  }

  const task = (id: string) =>
    db.selectFrom('model_instance_tasks').selectAll().where('id', '=', id).executeTakeFirst();

  async function remove(id: string): Promise<boolean> {
    const r = await db.deleteFrom('model_instances').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  return {
    insert,
    byName,
    list,
    inStates,
    transition,
    setTaskStatus,
    renewLease,
    claimLease,
    releaseLeases,
    task,
    remove,
  };
}

export type ModelInstancesRepository = ReturnType<typeof createModelInstancesRepository>;
