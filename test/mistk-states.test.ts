/**
 * The MISTK state machine on every dialect: calls in an illegal state and calls while a task runs
 * are 400 ServiceErrors at once (upstream accepts them and fails later), unsupported calls 501,
 * a failed task leaves `failed` until /reset, /reset ends a running task, /shutdown terminates,
 * and /status?watch=true streams the changes in order.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialectsUnderTest } from './helpers/db.js';
import { http, jsonLines, mistk, prepare, mistkSuite } from './mistk-helpers.js';

/** Hyperparameters that make training take long enough to be caught running. */
const SLOW = { n_estimators: 4000, max_depth: 6, learning_rate: 0.01 };

for (const dialect of dialectsUnderTest()) {
  describe(`MISTK states on ${dialect}`, () => {
    const fx = mistkSuite(dialect, 'mistk-states-');
    const instance = async (name: string) => {
      const r = await http(`${fx.server.url}/api/v1/model-instances`, 'POST', { name });
      assert.equal(r.status, 201, r.text);
      return mistk(`${fx.server.url}/model-instances/${name}/v1/mistk`);
    };

    test('illegal states answer 400 naming the state and the allowed ones; bad input is 400', async () => {
      const m = await instance('illegal');
      const msg = await m.fails('POST', '/train', 400);
      assert.match(msg, /train is not allowed in state 'started'/);
      assert.match(msg, /allowed in: ready/);
      await m.fails('POST', '/loadData', 400, { train: { dataPath: fx.data.train } });
      await m.fails('POST', '/initialize', 400, { modelProperties: { learner: 'no_such' } });
      const hp = await m.fails('POST', '/initialize', 400, { hyperparameters: { max_depth: -1 } });
      assert.match(hp, /max_depth/);
      await m.ok('/initialize', { modelProperties: { learner: 'logistic_regression' } });
      await m.until('initialized');
      assert.match(await m.fails('POST', '/initialize', 400, {}), /state 'initialized'/);
      const missing = await m.fails('POST', '/loadData', 400, {
        train: { dataPath: join(fx.dir, 'nope.csv') },
      });
      assert.match(missing, /does not exist/);
      assert.match(
        await m.fails('POST', '/loadData', 400, { validation: { dataPath: fx.data.train } }),
        /objective/,
      );
      await m.fails('POST', '/pause', 501);
      await m.fails('POST', '/resumeTraining', 501);
      assert.match(await m.fails('POST', '/generate', 501), /not supported/);
      await m.fails('DELETE', '/streamPredict/source/cancel', 501);
      assert.equal((await m.status()).state, 'initialized');
    });

    test('a call while a task runs is 400 busy; /reset ends the task and clears the instance', async () => {
      const m = await instance('busy');
      await prepare(m, fx.data, { hyperparameters: SLOW });
      await m.ok('/train');
      const busy = await m.fails('POST', '/predict', 400);
      assert.match(busy, /busy/);
      const training = await http(`${fx.server.url}/api/v1/model-instances/busy`);
      assert.equal(training.json.state, 'training');
      const trainTask = training.json.task.id as string;
      const reset = await m.call('POST', '/reset');
      assert.equal(reset.status, 200);
      assert.equal(reset.text, 'resetting...');
      const after = await http(`${fx.server.url}/api/v1/model-instances/busy`);
      assert.equal(after.json.state, 'started');
      assert.equal(after.json.task.operation, 'reset');
      assert.notEqual(after.json.task.id, trainTask);
      await m.fails('POST', '/train', 400);
      await m.ok('/initialize', {});
      await m.until('initialized');
    });

    test('a failing task leaves `failed` with the error until /reset; /shutdown terminates', async () => {
      const m = await instance('fails');
      const doomed = join(fx.dir, 'doomed.csv');
      copyFileSync(fx.data.train, doomed);
      await prepare(m, { train: doomed, test: fx.data.test });
      unlinkSync(doomed);
      await m.ok('/train');
      const failed = await m.until('failed');
      assert.match(String((failed.payload as { error: string }).error), /does not exist/);
      assert.match(await m.fails('POST', '/shutdown', 400), /allowed in/);
      await m.call('POST', '/reset');
      assert.equal((await m.status()).state, 'started');
      await m.ok('/shutdown');
      await m.until('terminated');
      assert.match(await m.fails('POST', '/initialize', 400, {}), /state 'terminated'/);
      await m.fails('POST', '/reset', 400);
    });

    test('status?watch=true streams the current status, then each change in order', async () => {
      const m = await instance('watched');
      const first = (await m.status()).objectInfo as { resourceVersion: number };
      const res = await fetch(
        `${fx.server.url}/model-instances/watched/v1/mistk/status?watch=True&resourceVersion=0`,
      );
      assert.equal(res.status, 200);
      const lines = jsonLines(res);
      const events: Array<{
        eventType: string;
        payload: { state: string; objectInfo: { resourceVersion: number } };
      }> = [];
      const seen = (async () => {
        for await (const event of lines) {
          events.push(event as (typeof events)[number]);
          const states = events.map((e) => e.payload.state);
          if (states.at(-1) === 'ready' && states.includes('loading_data')) return;
        }
      })();
      await prepare(m, fx.data);
      await seen; // leaving the loop cancels the response: the client goes away
      assert.equal(events[0]!.payload.objectInfo.resourceVersion, first.resourceVersion);
      assert.ok(events.every((e) => e.eventType === 'modified'));
      const versions = events.map((e) => e.payload.objectInfo.resourceVersion);
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
      );
      assert.equal(new Set(versions).size, versions.length);
      const states = events.map((e) => e.payload.state);
      for (const s of ['started', 'initializing', 'initialized', 'building_model', 'loading_data', 'ready'])
        assert.ok(states.includes(s), `${s} in ${states.join(',')}`);
      assert.ok(states.indexOf('initializing') < states.indexOf('initialized'));
      assert.ok(states.indexOf('building_model') < states.indexOf('loading_data'));

      const later = await fetch(
        `${fx.server.url}/model-instances/watched/v1/mistk/status?watch=true&resourceVersion=${versions.at(-1)}`,
      );
      const deleted = (async () => {
        const got = [];
        for await (const event of jsonLines(later)) got.push(event);
        return got;
      })();
      assert.equal((await http(`${fx.server.url}/api/v1/model-instances/watched`, 'DELETE')).status, 204);
      const got = await deleted;
      assert.deepEqual(
        got.map((e) => e.eventType),
        ['deleted'],
      );
    });
  });
}
