/**
 * Task leases with several server processes on one database, on every dialect: a task a live
 * server renews is never taken over; the task of a server that stopped renewing (died) is taken
 * over by a survivor once its lease lapsed, without a restart, and completed; two recoveries racing
 * on one lapsed task run it once. Leases are short here (seconds), and waits poll the stored rows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInstanceExecutor } from '../src/deps.js';
import { nowIso } from '../src/infra/db/kysely.js';
import { createDatasetsService } from '../src/modules/datasets/index.js';
import {
  createModelInstancesService,
  type InstanceView,
  type ModelInstancesService,
} from '../src/modules/model-instances/index.js';
import { createTaskLeases } from '../src/modules/model-instances/instance-lease.js';
import { createModelInstancesRepository } from '../src/modules/model-instances/model-instances.repository.js';
import { dialectsUnderTest, freshStore, type TestStore } from './helpers/db.js';
import { storeDeps, writeBreastCancer } from './mistk-helpers.js';

const LEASE = { leaseMs: 2000, renewEveryMs: 100, scanEveryMs: 100 };

/** Polls `read` (up to 120 s: the machine may be loaded) until `ok` holds; returns what it read. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const end = Date.now() + 120_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(25);
  }
}

for (const dialect of dialectsUnderTest()) {
  describe(`MISTK task leases with two servers on ${dialect}`, () => {
    let store: TestStore;
    let dir: string;
    let data: ReturnType<typeof writeBreastCancer>;
    const open: ModelInstancesService[] = [];
    /** One "server": a model-instances service of its own on the shared store. */
    const server = () => {
      const deps = storeDeps(store);
      const mi = createModelInstancesService({
        ...deps,
        datasets: createDatasetsService(deps),
        executor: createInstanceExecutor(),
        lease: LEASE,
      });
      open.push(mi);
      return mi;
    };
    const task = (id: string) =>
      store.db.selectFrom('model_instance_tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const state = (mi: ModelInstancesService, name: string, ...states: string[]) =>
      until(
        () => mi.get(name),
        (v: InstanceView) => states.includes(v.state),
        `${name} in ${states.join('|')}`,
      );
    /** initialize → buildModel → loadData on `mi`; ends ready. */
    async function prepare(mi: ModelInstancesService, name: string, hyperparameters: object) {
      await mi.create(name);
      await mi.initialize(name, { modelProperties: { learner: 'gbdt' }, hyperparameters });
      await state(mi, name, 'initialized');
      await mi.buildModel(name, null);
      await state(mi, name, 'ready');
      await mi.loadData(name, { train: { objectInfo: { name: 'bc' }, dataPath: data.train } });
      await state(mi, name, 'ready');
    }

    before(async () => {
      store = await freshStore(dialect);
      dir = mkdtempSync(join(tmpdir(), 'mistk-lease-'));
      data = writeBreastCancer(dir);
    });
    after(async () => {
      for (const mi of open) await mi.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a task its server keeps renewing is not taken over by another server', async () => {
      const a = server();
      const b = server();
      await a.start();
      // Long enough to outlast the checks below; /reset ends it.
      await prepare(a, 'held', { n_estimators: 100_000, max_depth: 5 });
      await a.train('held');
      const taskId = (await a.get('held')).task!.id;
      const first = await until(
        () => task(taskId),
        (t) => t.status === 'running',
        'the training to run',
      );
      assert.ok(first.owner !== null && first.heartbeat_at !== null);
      assert.deepEqual(await b.start(), { rerun: 0, reverted: 0 });
      // Past the moment the lease would have lapsed had A not renewed it; B scans all along.
      const renewed = await until(
        () => task(taskId),
        (t) => Date.parse(t.heartbeat_at!) > Date.parse(first.heartbeat_at!) + LEASE.leaseMs,
        "A's lease renewed past its first term",
      );
      assert.deepEqual(await b.recover(), { rerun: 0, reverted: 0 });
      assert.equal(renewed.owner, first.owner);
      assert.equal(renewed.status, 'running');
      assert.equal((await b.get('held')).state, 'training');
      await a.reset('held');
      assert.equal((await task(taskId)).error, 'cancelled by /reset');
      await a.close();
      await b.close();
    });

    test('the task of a server that died is taken over once its lease lapsed, and completed', async () => {
      const a = server();
      const b = server();
      await a.start();
      await b.start();
      await prepare(a, 'orphan', { n_estimators: 200, max_depth: 3 });
      await a.train('orphan');
      const orphanId = (await a.get('orphan')).task!.id;
      const first = await until(
        () => task(orphanId),
        (t) => t.status === 'running',
        'the training to run',
      );
      // A "dies": its thread stops and its lease is left to lapse (not handed back).
      await a.close(false);
      const left = await task(orphanId);
      assert.equal(left.owner, first.owner);
      const done = await state(b, 'orphan', 'ready');
      const taken = await task(orphanId);
      assert.equal(taken.status, 'complete');
      assert.notEqual(taken.owner, first.owner);
      assert.ok(Date.parse(taken.heartbeat_at!) >= Date.parse(left.heartbeat_at!) + LEASE.leaseMs);
      assert.equal(done.task!.id, orphanId);
      assert.equal(done.payload.target, 'target');
      await b.close();
    });

    test('two recoveries racing on one lapsed task: exactly one runs it', async () => {
      const setup = server();
      await prepare(setup, 'raced', { n_estimators: 50, max_depth: 3 });
      await setup.close();
      const row = await store.db
        .selectFrom('model_instances')
        .selectAll()
        .where('name', '=', 'raced')
        .executeTakeFirstOrThrow();
      const taskId = 'e'.repeat(32);
      await store.db
        .insertInto('model_instance_tasks')
        .values({
          id: taskId,
          instance_id: row.id,
          operation: 'train',
          params: '{}',
          status: 'running',
          error: null,
          owner: 'a-server-that-died',
          heartbeat_at: new Date(Date.now() - 10 * LEASE.leaseMs).toISOString(),
          created_at: nowIso(),
          updated_at: nowIso(),
        })
        .execute();
      await store.db
        .updateTable('model_instances')
        .set({ state: 'training', stable_state: 'ready', current_task_id: taskId })
        .where('id', '=', row.id)
        .execute();
      const [c1, c2] = [server(), server()];
      const results = await Promise.all([c1.recover(), c2.recover()]);
      assert.equal(results[0].rerun + results[1].rerun, 1, JSON.stringify(results));
      assert.equal(results[0].reverted + results[1].reverted, 0);
      const done = await state(c1, 'raced', 'ready');
      assert.equal(done.task!.id, taskId);
      assert.equal(done.task!.status, 'complete');
      const t = await task(taskId);
      assert.ok(t.owner !== null && t.owner !== 'a-server-that-died');
      assert.equal(typeof done.payload.metrics, 'object');
    });

    test("a process never takes over its own task, whatever the heartbeat's age", () => {
      const leases = createTaskLeases({
        ...LEASE,
        nowMs: () => Date.parse('2030-01-01T00:00:00Z'),
        repo: createModelInstancesRepository(store.db),
        onLost: () => {},
        logError: () => {},
      });
      const old = { heartbeat_at: '2020-01-01T00:00:00.000Z' };
      const t = (owner: string | null) => ({ ...old, owner }) as Parameters<typeof leases.lapsed>[0];
      assert.equal(leases.lapsed(t(leases.owner)), false);
      assert.equal(leases.lapsed(t('another')), true);
      assert.equal(leases.lapsed(t(null)), true);
      assert.equal(leases.lapsed({ ...t('another'), heartbeat_at: '2029-12-31T23:59:59.000Z' }), false);
    });
  });
}
