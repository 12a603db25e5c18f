/**
 * ClearML request fields of the wrong type get 400/12 naming the field, and nothing is written:
 * clearml-server validates booleans, so `"yes"` or `"true"` in a JSON body is never read as false;
 * null fields mean "not given".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { clearmlCaller } from './helpers/clearml.js';

for (const dialect of dialectsUnderTest()) {
  describe(`ClearML input types (${dialect})`, () => {
    let t: TestApp;
    const { ok, fails } = clearmlCaller(() => t);
    let id = '';
    const count = async () => (await ok('get_all', { only_fields: ['id'] })).models.length as number;
    before(async () => {
      t = await createTestApp(dialect);
      id = (await ok('create', { name: 'typed', uri: 'file:///t', ready: false })).id;
    });
    after(() => t.close());

    test('create: ready and public must be booleans, design an object; nothing is created otherwise', async () => {
      const before = await count();
      const r = await fails('create', { name: 'bad-ready', uri: 'u', ready: 'yes' }, 400, 12);
      assert.equal(r.meta.result_msg, 'Validation error (ready must be true or false): ready=yes');
      assert.deepEqual(r.meta.error_data, { ready: 'yes' });
      await fails('create', { name: 'bad-public', uri: 'u', public: 1 }, 400, 12);
      const design = await fails('create', { name: 'bad-design', uri: 'u', design: 'conv1\nconv2' }, 400, 12);
      assert.match(design.meta.result_msg, /design must be a JSON object/);
      await fails('edit', { model: id, design: ['a'] }, 400, 12);
      assert.equal(await count(), before);
    });

    test('edit / update: a non-boolean ready leaves the model as it was', async () => {
      await fails('edit', { model: id, ready: 'true', comment: 'changed' }, 400, 12);
      await fails('update', { model: id, ready: 0 }, 400, 12);
      const m = (await ok('get_by_id', { model: id })).model;
      assert.equal(m.ready, false);
      assert.equal(m.comment, '');
    });

    test('force, replace_metadata, include_stats, refresh_scroll must be booleans', async () => {
      await ok('add_or_update_metadata', { model: id, metadata: [{ key: 'a', type: 'str', value: '1' }] });
      await fails(
        'add_or_update_metadata',
        { model: id, metadata: [{ key: 'b', type: 'str', value: '2' }], replace_metadata: 'yes' },
        400,
        12,
      );
      assert.deepEqual(Object.keys((await ok('get_by_id', { model: id })).model.metadata), ['a']);
      const r = await fails('delete', { model: id, force: 'true' }, 400, 12);
      assert.deepEqual(r.meta.error_data, { force: 'true' });
      await fails('delete_many', { ids: [id], force: 1 }, 400, 12);
      await fails('edit', { model: id, comment: 'x', force: 'no' }, 400, 12);
      await fails('get_all_ex', { id: [id], include_stats: 'true' }, 400, 12);
      await fails('get_all', { scroll_id: '', size: 1, refresh_scroll: 'yes' }, 400, 12);
      assert.equal((await ok('get_by_id', { model: id })).model.id, id, 'still there');
    });

    test('edit checks that the parent exists (create does not, as clearml-server)', async () => {
      const orphan = await ok('create', {
        name: 'orphan',
        uri: 'file:///o',
        parent: 'f'.repeat(32),
        ready: false,
      });
      assert.equal((await ok('get_by_id', { model: orphan.id })).model.parent, 'f'.repeat(32));
      const r = await fails('edit', { model: orphan.id, parent: '0'.repeat(32) }, 400, 12);
      assert.equal(
        r.meta.result_msg,
        `Validation error (expecting Model id): id=${'0'.repeat(32)}, field=parent`,
      );
      assert.deepEqual(await ok('edit', { model: orphan.id, parent: id }), {
        updated: 1,
        fields: { parent: id },
      });
    });

    test('null fields mean "not given" in create / edit / update, as clearml-server drops them', async () => {
      const made = await ok('create', {
        name: 'with-nulls',
        uri: 'file:///n',
        framework: 'Keras',
        comment: null,
        tags: null,
        parent: null,
        ready: null,
      });
      let m = (await ok('get_by_id', { model: made.id })).model;
      assert.deepEqual([m.framework, m.comment, m.tags, m.ready], ['Keras', '', [], true]);
      assert.equal('parent' in m, false);
      await ok('edit', { model: made.id, force: true, framework: 'ONNX' });
      const none = await ok('edit', {
        model: made.id,
        framework: null,
        comment: null,
        uri: null,
        labels: null,
      });
      assert.deepEqual(none, { updated: 0, fields: {} });
      assert.deepEqual(await ok('update', { model: made.id, name: null, project: null, ready: null }), {
        updated: 0,
        fields: {},
      });
      m = (await ok('get_by_id', { model: made.id })).model;
      assert.deepEqual([m.name, m.framework, m.uri], ['with-nulls', 'ONNX', 'file:///n']);
      await fails('create', { name: null, uri: 'u' }, 400, 11);
    });

    test('form and query strings "true"/"false" are booleans, as clearml-server reads them', async () => {
      const made = await ok('create', undefined, {
        raw: 'name=from-form&uri=file%3A%2F%2F%2Ff&ready=false&public=TRUE',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const m = (await ok('get_by_id', { model: made.id })).model;
      assert.deepEqual([m.ready, m.company], [false, '']);
      assert.deepEqual(await ok('delete', undefined, { query: `model=${made.id}&force=true` }), {
        deleted: true,
        url: 'file:///f',
      });
    });
  });
}
