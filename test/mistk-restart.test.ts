/**
 * Model instances outlive the server, on every dialect: a new server on the same store finds the
 * instance in its state with its model; a training the old server was running when it stopped
 * runs again to the end; a /streamPredict it was answering (whose caller is gone) puts the
 * instance back to `ready` with the task failed and the reason in the payload.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nowIso } from '../src/infra/db/kysely.js';
import { dialectsUnderTest } from './helpers/db.js';
import { http, mistk, prepare, startMistkServer, mistkSuite } from './mistk-helpers.js';

for (const dialect of dialectsUnderTest()) {
  describe(`MISTK instances across a server restart on ${dialect}`, () => {
    const fx = mistkSuite(dialect, 'mistk-restart-');
    const restart = async () => {
      await fx.server.close();
      fx.server = await startMistkServer(fx.store);
    };
    const at = (name: string) => mistk(`${fx.server.url}/model-instances/${name}/v1/mistk`);
    const show = async (name: string) => (await http(`${fx.server.url}/api/v1/model-instances/${name}`)).json;

    test('a trained instance keeps its state, version and model', async () => {
      await http(`${fx.server.url}/api/v1/model-instances`, 'POST', { name: 'kept' });
      await prepare(at('kept'), fx.data, { hyperparameters: { n_estimators: 20 } });
      await at('kept').ok('/train');
      const before = await at('kept').until('ready');
      await restart();
      const after = await at('kept').status();
      assert.deepEqual(after, before);
      const row = fx.data.testRows[0]!.split(',');
      const r = await at('kept').call('POST', '/streamPredict', {
        one: Buffer.from(row.slice(0, -1).join(',')).toString('base64'),
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.one.label, row.at(-1));
    });

    test('a training interrupted by the stop runs again on the next start', async () => {
      await http(`${fx.server.url}/api/v1/model-instances`, 'POST', { name: 'rerun' });
      await prepare(at('rerun'), fx.data, { hyperparameters: { n_estimators: 1500, max_depth: 5 } });
      await at('rerun').ok('/train');
      const running = await show('rerun');
      assert.equal(running.state, 'training');
      await restart();
      await at('rerun').until('ready');
      const done = await show('rerun');
      assert.equal(done.task.id, running.task.id);
      assert.equal(done.task.operation, 'train');
      assert.equal(done.task.status, 'complete');
      assert.equal(done.payload.target, 'target');
    });

    test('a streamPredict interrupted by the stop is not re-run: back to ready, task failed', async () => {
      await fx.server.close();
      const row = await fx.store.db
        .selectFrom('model_instances')
        .selectAll()
        .where('name', '=', 'kept')
        .executeTakeFirstOrThrow();
      const taskId = 'f'.repeat(32);
      await fx.store.db
        .insertInto('model_instance_tasks')
        .values({
          id: taskId,
          instance_id: row.id,
          operation: 'stream_predict',
          params: '{}',
          status: 'running',
          error: null,
          created_at: nowIso(),
          updated_at: nowIso(),
        })
        .execute();
      await fx.store.db
        .updateTable('model_instances')
        .set({
          state: 'predicting',
          stable_state: 'ready',
          current_task_id: taskId,
          resource_version: row.resource_version + 1,
        })
        .where('id', '=', row.id)
        .execute();
      fx.server = await startMistkServer(fx.store);
      const s = await show('kept');
      assert.equal(s.state, 'ready');
      assert.equal(s.objectInfo.resourceVersion, row.resource_version + 2);
      assert.equal(s.task.id, taskId);
      assert.equal(s.task.status, 'failed');
      assert.match(s.task.error, /server stopped during stream_predict/);
      assert.match(s.payload.lastTaskError, /server stopped/);
    });
  });
}
