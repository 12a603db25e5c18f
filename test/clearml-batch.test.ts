/**
 * ClearML batch calls (per-item succeeded/failed) and the remaining models.* actions: visibility,
 * move, metadata, tags, frameworks, task links, get_all_ex extras.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { clearmlCaller } from './helpers/clearml.js';

for (const dialect of dialectsUnderTest()) {
  describe(`ClearML batch and other actions (${dialect})`, () => {
    let t: TestApp;
    const { call, ok, fails } = clearmlCaller(() => t);
    const missing = '0'.repeat(32);
    const make = async (name: string, extra: Record<string, unknown> = {}) =>
      (await ok('create', { name, uri: `file:///${name}`, ready: false, ...extra })).id as string;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    test('publish_many: succeeded [{id, updated}], failed [{id, error{codes, msg, data}}]', async () => {
      const a = await make('pub-a');
      const b = await make('pub-b', { ready: true });
      const d = await ok('publish_many', { ids: [a, b, missing] });
      assert.deepEqual(d.succeeded, [{ id: a, updated: true }]);
      assert.equal(d.failed.length, 2);
      assert.deepEqual(d.failed[0].id, b);
      assert.deepEqual(d.failed[0].error.codes, [400, 203]);
      assert.match(d.failed[0].error.msg, /^Model is ready/);
      assert.deepEqual(d.failed[1], {
        id: missing,
        error: {
          codes: [400, 201],
          msg: `Invalid model id (no such public or company model): id=${missing}`,
          data: { id: missing },
        },
      });
      const empty = await fails('publish_many', { ids: [] }, 400, 17);
      assert.match(empty.meta.result_msg, /^Batch request contains no items/);
      await fails('publish_many', {}, 400, 11);
    });

    test('archive_many / unarchive_many toggle the archived system tag', async () => {
      const a = await make('arch-a', { tags: ['keep'] });
      const first = await ok('archive_many', { ids: [a, missing] });
      assert.deepEqual(first.succeeded, [{ id: a, archived: true }]);
      assert.deepEqual(first.failed[0].error.codes, [400, 201]);
      assert.deepEqual((await ok('archive_many', { ids: [a] })).succeeded, [{ id: a, archived: false }]);
      const hidden = await ok('get_all', { system_tags: ['-archived'], name: '^arch-a$' });
      assert.equal(hidden.models.length, 0);
      const shown = await ok('get_all', { system_tags: ['archived'], name: '^arch-a$' });
      assert.deepEqual(shown.models[0].system_tags, ['archived']);
      assert.deepEqual(shown.models[0].tags, ['keep']);
      assert.deepEqual((await ok('unarchive_many', { ids: [a] })).succeeded, [{ id: a, unarchived: true }]);
      assert.deepEqual((await ok('unarchive_many', { ids: [a] })).succeeded, [{ id: a, unarchived: false }]);
    });

    test('delete_many: deleted with url; in-use and unknown ids fail per item', async () => {
      const a = await make('del-a');
      const b = await make('del-b');
      await t.services.registry.addReference(b, { kind: 'deployment', id: 'd' });
      const d = await ok('delete_many', { ids: [a, b, missing] });
      assert.deepEqual(d.succeeded, [{ id: a, deleted: true, url: 'file:///del-a' }]);
      assert.deepEqual(
        d.failed.map((f: { id: string; error: { codes: number[] } }) => [f.id, f.error.codes]),
        [
          [b, [400, 205]],
          [missing, [400, 201]],
        ],
      );
      const failure = d.failed[0] as { error: { msg: string; data: Record<string, unknown> } };
      assert.equal(
        failure.error.msg,
        'Model is used by tasks (as execution model, use force=True to delete): num_tasks=1, used_by=(deployment d)',
      );
      assert.deepEqual(failure.error.data, { num_tasks: 1, used_by: ['deployment d'] });
      const forced = await ok('delete_many', { ids: [b], force: true });
      assert.deepEqual(forced.succeeded, [{ id: b, deleted: true, url: 'file:///del-b' }]);
    });

    test('make_public / make_private set company; unknown ids are 400/201', async () => {
      const a = await make('vis-a');
      assert.deepEqual(await ok('make_public', { ids: [a] }), { updated: 1 });
      assert.equal((await ok('get_by_id', { model: a })).model.company, '');
      assert.deepEqual(await ok('make_public', { ids: [a] }), { updated: 0 });
      assert.deepEqual(await ok('make_private', { ids: [a] }), { updated: 1 });
      assert.deepEqual(await ok('make_private', { ids: [a] }), { updated: 0 }, 'already private');
      assert.equal((await ok('get_by_id', { model: a })).model.company, 'modelyard');
      const r = await fails('make_public', { ids: [a, missing] }, 400, 201);
      assert.deepEqual(r.meta.error_data, { ids: [missing] });
    });

    test('move by project_name (created), project id, or null (the root); neither is 400/11', async () => {
      const a = await make('mv-a');
      const d = await ok('move', { ids: [a], project_name: 'vision-team' });
      assert.match(d.project_id, /^[0-9a-f]{32}$/);
      assert.equal((await ok('get_by_id', { model: a })).model.project, d.project_id);
      assert.deepEqual(await ok('get_all', { project: [d.project_id], only_fields: ['name'] }), {
        models: [{ id: a, name: 'mv-a' }],
        scroll_id: (await ok('get_all', { project: [d.project_id], only_fields: ['name'] })).scroll_id,
      });
      const back = await ok('move', {
        ids: [a],
        project: (await t.services.registry.ensureProject('default')).id,
      });
      assert.notEqual(back.project_id, d.project_id);
      await fails('move', { ids: [a] }, 400, 11);
      await ok('move', { ids: [a], project: d.project_id });
      const root = await ok('move', { ids: [a], project: null });
      const defaultId = (await t.services.registry.ensureProject('default')).id;
      assert.equal(root.project_id, defaultId, 'null: the root');
      assert.equal((await ok('get_by_id', { model: a })).model.project, defaultId);
      await fails('move', { ids: [a], project: 'no-such-project' }, 400, 401);
      await fails('move', { ids: [missing], project_name: 'x' }, 400, 201);
      // edit's project field moves too
      const e = await ok('edit', { model: a, project: d.project_id });
      assert.deepEqual(e.fields, { project: d.project_id });
    });

    test('add_or_update_metadata / delete_metadata', async () => {
      const a = await make('meta-a', { metadata: { old: { type: 'str', value: 'x' } } });
      const up = await ok('add_or_update_metadata', {
        model: a,
        metadata: [
          { key: 'acc', type: 'float', value: '0.91' },
          { key: 'old', type: 'str', value: 'y' },
        ],
      });
      assert.deepEqual(up, { updated: 1 });
      let m = (await ok('get_by_id', { model: a })).model;
      assert.deepEqual(m.metadata, {
        acc: { key: 'acc', type: 'float', value: '0.91' },
        old: { key: 'old', type: 'str', value: 'y' },
      });
      await ok('add_or_update_metadata', {
        model: a,
        metadata: [{ key: 'only', type: 'str', value: '1' }],
        replace_metadata: true,
      });
      m = (await ok('get_by_id', { model: a })).model;
      assert.deepEqual(Object.keys(m.metadata), ['only']);
      assert.deepEqual(await ok('delete_metadata', { model: a, keys: ['only', 'absent'] }), { updated: 1 });
      assert.deepEqual(await ok('delete_metadata', { model: a, keys: ['only'] }), { updated: 0 });
      await fails('add_or_update_metadata', { model: a, metadata: [{ key: 'a.b', value: '1' }] }, 400, 12);
      await fails('add_or_update_metadata', { model: a }, 400, 11);
      await fails('delete_metadata', { model: a }, 400, 11);
      await fails('delete_metadata', { model: missing, keys: ['k'] }, 400, 201);
    });

    test('update_tags adds and removes on many models', async () => {
      const a = await make('tag-a', { tags: ['x'] });
      const b = await make('tag-b', { tags: ['y'] });
      assert.deepEqual(await ok('update_tags', { ids: [a, b], add_tags: ['z'], remove_tags: ['x'] }), {
        updated: 2,
      });
      assert.deepEqual((await ok('get_by_id', { model: a })).model.tags, ['z']);
      assert.deepEqual((await ok('get_by_id', { model: b })).model.tags, ['y', 'z']);
      await fails('update_tags', { ids: [a], add_tags: ['__$not'] }, 400, 12);
    });

    test('get_frameworks: sorted, unique, per project', async () => {
      await make('fw-a', { framework: 'XGBoost' });
      await make('fw-b', { framework: 'Keras', project: undefined });
      const all = (await ok('get_frameworks', {})).frameworks as string[];
      assert.deepEqual(all, [...all].sort());
      assert.ok(all.includes('XGBoost') && all.includes('Keras'));
      const p = await t.services.registry.ensureProject('fw-only');
      await ok('create', { name: 'fw-c', uri: 'u', framework: 'ONNX', project: p.id });
      assert.deepEqual((await ok('get_frameworks', { projects: [p.id] })).frameworks, ['ONNX']);
    });

    test('task links: update_for_task and get_by_task_id (≤ 2.13), 301 above', async () => {
      const created = await ok(
        'update_for_task',
        { task: 'task-42', uri: 's3://out/1' },
        { version: '2.13' },
      );
      assert.equal(created.created, true);
      const m = (await ok('get_by_task_id', { task: 'task-42' }, { version: '2.13' })).model;
      assert.equal(m.id, created.id);
      assert.equal(m.task, 'task-42');
      assert.equal(m.ready, false);
      const again = await ok(
        'update_for_task',
        { task: 'task-42', uri: 's3://out/2', iteration: 3 },
        { version: '2.13' },
      );
      assert.equal(again.id, created.id);
      assert.equal(again.created, false);
      assert.deepEqual(again.fields, { uri: 's3://out/2', last_iteration: 3 });
      await fails('update_for_task', { task: 'task-42' }, 400, 11, { version: '2.13' });
      await fails('update_for_task', { task: 'task-42', uri: 'a', override_model_id: created.id }, 400, 11, {
        version: '2.13',
      });
      const other = await make('override-target');
      assert.deepEqual(
        await ok('update_for_task', { task: 'task-42', override_model_id: other }, { version: '2.13' }),
        { id: other, created: false },
      );
      await fails('update_for_task', { task: 'task-42', override_model_id: missing }, 400, 201, {
        version: '2.13',
      });
      const moved = await fails('get_by_task_id', { task: 'task-42' }, 301, 1, { version: '2.20' });
      assert.match(moved.meta.result_msg, /use models.get_by_id\/get_all/);
      await fails('update_for_task', { task: 'task-42', uri: 'x' }, 301, 1);
      await fails('get_by_task_id', { task: 'no-model-task' }, 400, 122, { version: '2.13' });
    });

    test('get_all_ex: include_stats, structured filters (2.27), get_by_id_ex', async () => {
      const a = await make('ex-a', { labels: { a: 0, b: 1, c: 2 }, tags: ['t1', 't2'] });
      const b = await make('ex-b', { tags: ['t1'] });
      const withStats = await ok('get_all_ex', { id: [a], include_stats: true });
      assert.deepEqual(withStats.models[0].stats, { labels_count: 3 });
      const noStats = await ok('get_all_ex', { id: [a], include_stats: true }, { version: '2.15' });
      assert.equal('stats' in noStats.models[0], false, 'include_stats arrived in 2.20');
      const filtered = await ok('get_all_ex', {
        id: [a, b],
        only_fields: ['name'],
        order_by: ['name'],
        filters: { tags: { all: { include: ['t1'], exclude: ['t2'] } } },
      });
      assert.deepEqual(filtered.models, [{ id: b, name: 'ex-b' }]);
      const byId = await ok('get_by_id_ex', { id: [b, a], only_fields: ['name'], order_by: ['name'] });
      assert.deepEqual(
        byId.models.map((m: { name: string }) => m.name),
        ['ex-a', 'ex-b'],
      );
      await fails('get_by_id_ex', {}, 400, 11);
      const viaCall = await call('get_all_ex', { id: [a] }, { version: '2.23' });
      assert.equal(viaCall.meta.endpoint.actual_version, '2.23');
    });
  });
}
