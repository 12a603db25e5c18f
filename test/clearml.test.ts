/**
 * A ClearML user's flow through the models service: create → edit → get_all with every tag
 * operator, patterns, projection, order, paging and scrolling → set_ready → edit a ready model →
 * delete (in use unless forced; storage freed), with clearml-server's result codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { clearmlCaller } from './helpers/clearml.js';

for (const dialect of dialectsUnderTest()) {
  describe(`ClearML models flow (${dialect})`, () => {
    let t: TestApp;
    const { call, ok, fails } = clearmlCaller(() => t);
    const ids: Record<string, string> = {};
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());

    /** Names of get_all results for a filter, ordered by name. */
    const names = async (filter: Record<string, unknown>) => {
      const d = await ok('get_all', { order_by: ['name'], only_fields: ['name'], ...filter });
      return (d.models as Array<{ name: string }>).map((m) => m.name);
    };

    test('create answers {id, created} and stores every ClearML field', async () => {
      const d = await ok('create', {
        name: 'resnet50',
        uri: 's3://models/resnet50.pt',
        tags: ['vision', 'prod'],
        framework: 'PyTorch',
        labels: { cat: 0, dog: 1 },
        design: { layers: 50 },
        metadata: [{ key: 'epochs', type: 'int', value: '90' }],
        comment: 'first',
        task: 'run-not-yet-known',
        ready: false,
      });
      assert.equal(d.created, true);
      assert.match(d.id, /^[0-9a-f]{32}$/);
      ids.resnet50 = d.id;
      for (const [name, extra] of [
        ['resnet18', { tags: ['vision'], framework: 'PyTorch', comment: 'small Net' }],
        ['bert-base', { tags: ['nlp', 'prod'], framework: 'TensorFlow' }],
        ['xgb', { comment: 'tabular' }],
      ] as const) {
        ids[name] = (await ok('create', { name, uri: `file:///m/${name}`, ready: false, ...extra })).id;
      }
      const m = (await ok('get_by_id', { model: ids.resnet50 })).model;
      assert.equal(m.id, ids.resnet50);
      assert.equal(m.name, 'resnet50');
      assert.deepEqual(m.tags, ['vision', 'prod']);
      assert.deepEqual(m.system_tags, []);
      assert.equal(m.framework, 'PyTorch');
      assert.deepEqual(m.labels, { cat: 0, dog: 1 });
      assert.deepEqual(m.design, { layers: 50 });
      assert.equal(m.uri, 's3://models/resnet50.pt');
      assert.equal(m.ready, false);
      assert.equal(m.task, 'run-not-yet-known');
      assert.equal(m.comment, 'first');
      assert.equal(m.last_iteration, 0);
      assert.deepEqual(m.metadata, { epochs: { key: 'epochs', type: 'int', value: '90' } });
      assert.equal(m.company, 'modelyard');
      assert.match(m.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      assert.match(m.project, /^[0-9a-f]{32}$/);
      assert.equal(typeof m.last_update, 'string');
      assert.equal('parent' in m, false, 'unset fields are left out, as Mongo does');
      const few = (await ok('get_by_id', { model: ids.resnet50, only_fields: ['name', 'labels.dog'] })).model;
      assert.deepEqual(few, { id: ids.resnet50, name: 'resnet50', labels: { dog: 1 } });
    });

    test('create: ClearML defaults ready to true; name and uri are required; bad values are 400/12', async () => {
      const d = await ok('create', { name: 'defaults', uri: 'file:///d' });
      assert.equal((await ok('get_by_id', { model: d.id })).model.ready, true);
      await ok('delete', { model: d.id, force: true });
      const r = await fails('create', { name: 'no-uri' }, 400, 11);
      assert.deepEqual(r.meta.error_data, { fields: ['uri'] });
      assert.match(r.meta.result_msg, /^Missing required fields: fields=\(uri\)$/);
      await fails('create', { name: 'x', uri: 'u', labels: { a: 'one' } }, 400, 12);
      await fails('create', { name: 'x', uri: 'u', tags: ['__$all'] }, 400, 12);
      await fails('create', { name: 'x', uri: 'u', project: 'no-such-project' }, 400, 401);
      await fails('get_by_id', {}, 400, 11);
      const missing = await fails('get_by_id', { model: 'f'.repeat(32) }, 400, 201);
      assert.equal(
        missing.meta.result_msg,
        `Invalid model id (no such public or company model): id=${'f'.repeat(32)}`,
      );
      assert.deepEqual(missing.meta.error_data, { id: 'f'.repeat(32) });
    });

    test('edit merges design, answers the changed fields; update changes the safe set', async () => {
      const d = await ok('edit', {
        model: ids.resnet50,
        comment: 'edited',
        design: { depth: 50 },
        iteration: 7,
      });
      assert.equal(d.updated, 1);
      assert.deepEqual(d.fields, { comment: 'edited', design: { layers: 50, depth: 50 }, last_iteration: 7 });
      const u = await ok('update', {
        model: ids.resnet50,
        tags: ['vision', 'prod'],
        created: '2024-01-02T03:04:05Z',
      });
      assert.equal(u.updated, 1);
      assert.equal(u.fields.created, '2024-01-02T03:04:05.000000+00:00');
      const none = await ok('edit', { model: ids.resnet50 });
      assert.deepEqual(none, { updated: 0, fields: {} });
      await fails('edit', { model: 'nope', comment: 'x' }, 400, 201);
    });

    test('get_all: every tag operator', async () => {
      assert.deepEqual(await names({ tags: ['prod'] }), ['bert-base', 'resnet50']);
      assert.deepEqual(await names({ tags: ['vision', 'nlp'] }), ['bert-base', 'resnet18', 'resnet50']);
      assert.deepEqual(await names({ tags: ['vision', '-prod'] }), ['resnet18']);
      assert.deepEqual(await names({ tags: ['__$not', 'prod'] }), ['resnet18', 'xgb']);
      assert.deepEqual(await names({ tags: ['__$all', 'vision', 'prod'] }), ['resnet50']);
      assert.deepEqual(await names({ tags: ['__$and', 'vision', 'prod'] }), ['resnet50']);
      assert.deepEqual(await names({ tags: ['__$any', 'nlp', 'prod'] }), ['bert-base', 'resnet50']);
      assert.deepEqual(await names({ tags: ['__$any', '__$not', 'vision', '__$not', 'prod'] }), [
        'bert-base',
        'resnet18',
        'xgb',
      ]);
      assert.deepEqual(await names({ tags: ['__$all', 'vision', '__$nop', '-prod'] }), ['resnet18']);
      assert.deepEqual(await names({ tags: [null] }), ['xgb']);
      assert.deepEqual(await names({ tags: [null, 'nlp'] }), ['bert-base', 'xgb']);
      assert.deepEqual(await names({ tags: 'nlp' }), ['bert-base']);
      const bad = await fails('get_all', { tags: ['__$bogus', 'a'] }, 400, 16);
      assert.match(bad.meta.result_msg, /unsupported operator/);
      await fails('get_all', { tags: ['a', '__$not'] }, 400, 16);
    });

    test('get_all: regex on name (case-sensitive), _any_/_all_ (case-insensitive), plain fields', async () => {
      assert.deepEqual(await names({ name: 'resnet' }), ['resnet18', 'resnet50']);
      assert.deepEqual(await names({ name: 'Resnet' }), []);
      assert.deepEqual(await names({ name: '^res.*50$' }), ['resnet50']);
      const bad = await fails('get_all', { name: '(' }, 400, 21);
      assert.match(bad.meta.result_msg, /^Malformed regular expression/);
      assert.deepEqual(await names({ _any_: { fields: ['name', 'comment'], pattern: 'NET' } }), [
        'resnet18',
        'resnet50',
      ]);
      assert.deepEqual(await names({ _all_: { fields: ['name', 'comment'], pattern: 'net' } }), ['resnet18']);
      assert.deepEqual(await names({ _any_: { fields: ['comment'], pattern: 'TABULAR' } }), ['xgb']);
      await fails('get_all', { _any_: { fields: ['name'], pattern: 'a', datetime: '>2020-01-01' } }, 400, 16);
      assert.deepEqual(await names({ framework: ['PyTorch'] }), ['resnet18', 'resnet50']);
      assert.deepEqual(await names({ id: [ids.xgb, ids.resnet18] }), ['resnet18', 'xgb']);
      assert.deepEqual(await names({ ready: true }), []);
      assert.deepEqual(await names({ task: ['run-not-yet-known'] }), ['resnet50']);
      assert.deepEqual(await names({ 'metadata.epochs': ['90'] }), ['resnet50']);
      assert.deepEqual(await names({ created: ['<2025-01-01'] }), ['resnet50']);
      assert.deepEqual(await names({ search_text: 'tabular' }), ['xgb']);
      assert.deepEqual(
        await names({ some_unknown_key: 1, name: 'xgb' }),
        ['xgb'],
        'unknown keys are ignored',
      );
    });

    test('get_all: only_fields, order_by, page/page_size', async () => {
      const proj = await ok('get_all', {
        id: [ids.resnet50],
        only_fields: ['name', 'tags', 'metadata.epochs'],
      });
      assert.deepEqual(proj.models, [
        {
          id: ids.resnet50,
          name: 'resnet50',
          tags: ['vision', 'prod'],
          metadata: { epochs: { key: 'epochs', type: 'int', value: '90' } },
        },
      ]);
      const excl = await ok('get_all', { id: [ids.resnet50], only_fields: ['-design', '-metadata'] });
      assert.equal('design' in excl.models[0], false);
      assert.equal('metadata' in excl.models[0], false);
      assert.equal(excl.models[0].name, 'resnet50');
      const desc = await ok('get_all', { order_by: ['-name'], only_fields: ['name'] });
      assert.deepEqual(
        desc.models.map((m: { name: string }) => m.name),
        ['xgb', 'resnet50', 'resnet18', 'bert-base'],
      );
      const pages: string[][] = [];
      for (const page of [0, 1, 2]) {
        const r = await call('get_all', { order_by: ['name'], only_fields: ['name'], page, page_size: 2 });
        pages.push(r.data.models.map((m: { name: string }) => m.name));
        assert.equal(r.meta.paging?.has_more, page === 0);
        assert.equal(r.meta.paging?.page_size, 2);
      }
      assert.deepEqual(pages, [['bert-base', 'resnet18'], ['resnet50', 'xgb'], []]);
      await fails('get_all', { page: 1 }, 400, 11);
      await fails('get_all', { page: -1, page_size: 2 }, 400, 12);
      await fails('get_all', { order_by: ['no_such_field'] }, 400, 16);
    });

    test('get_all: scroll_id and size read the rows in turn; bad scroll ids are 400/1104', async () => {
      const seen: string[] = [];
      let scrollId: string | null = null;
      for (const expected of [3, 1, 0]) {
        const d = await ok('get_all', {
          order_by: ['name'],
          only_fields: ['name'],
          scroll_id: scrollId,
          size: 3,
        });
        assert.equal(d.models.length, expected);
        assert.equal(typeof d.scroll_id, 'string');
        seen.push(...d.models.map((m: { name: string }) => m.name));
        scrollId = d.scroll_id;
      }
      assert.deepEqual(seen, ['bert-base', 'resnet18', 'resnet50', 'xgb']);
      const refreshed = await ok('get_all', {
        order_by: ['name'],
        only_fields: ['name'],
        scroll_id: scrollId,
        size: 3,
        refresh_scroll: true,
      });
      assert.equal(refreshed.models.length, 4, 'refresh re-reads up to the current position');
      const bad = await fails('get_all', { scroll_id: 'garbage', size: 2 }, 400, 1104);
      assert.match(bad.meta.result_msg, /^Invalid scroll id/);
      await fails('get_all', { scroll_id: '', size: 0 }, 400, 12);
    });

    test('set_ready publishes once; already ready is 400/203', async () => {
      assert.deepEqual(await ok('set_ready', { model: ids.resnet50 }), { updated: 1 });
      assert.equal((await ok('get_by_id', { model: ids.resnet50 })).model.ready, true);
      const again = await fails('set_ready', { model: ids.resnet50 }, 400, 203);
      assert.equal(again.meta.result_msg, `Model is ready: model=${ids.resnet50}`);
      await fails('set_ready', { model: 'nope' }, 400, 201);
    });

    test('editing a ready model: content needs force (400/203), annotations stay editable', async () => {
      const r = await fails('edit', { model: ids.resnet50, uri: 's3://models/v2.pt' }, 400, 203);
      assert.match(r.meta.result_msg, /force/);
      assert.equal((await ok('get_by_id', { model: ids.resnet50 })).model.uri, 's3://models/resnet50.pt');
      const forced = await ok('edit', { model: ids.resnet50, uri: 's3://models/v2.pt', force: true });
      assert.deepEqual(forced.fields, { uri: 's3://models/v2.pt' });
      const note = await ok('edit', { model: ids.resnet50, comment: 'still editable' });
      assert.equal(note.updated, 1);
    });

    test('delete: in use is 400/205 unless forced; delete frees the artifact storage', async () => {
      const reg = t.services.registry;
      await reg.putArtifact(ids.resnet18!, 'model.bin', Buffer.alloc(4096, 7));
      await reg.addReference(ids.resnet18!, { kind: 'deployment', id: 'dep-1' });
      const used = await fails('delete', { model: ids.resnet18 }, 400, 205);
      assert.deepEqual(used.meta.error_data, { num_tasks: 1, used_by: ['deployment dep-1'] });
      assert.match(
        used.meta.result_msg,
        /^Model is used by tasks \(as execution model, use force=True to delete\): num_tasks=1, used_by=\(deployment dep-1\)$/,
      );
      const blobsBefore = await t.deps.blobs.list('');
      assert.ok(blobsBefore.some((b) => b.sizeBytes === 4096));
      const r = await call('delete', { model: ids.resnet18, force: true });
      assert.deepEqual(r.data, { deleted: true, url: 'file:///m/resnet18' });
      assert.equal(r.headers['x-modelyard-freed-bytes'], '4096');
      assert.equal((await t.deps.blobs.list('')).length, blobsBefore.length - 1);
      await fails('get_by_id', { model: ids.resnet18 }, 400, 201);
      await fails('delete', { model: ids.resnet18 }, 400, 201);
      assert.deepEqual(await ok('delete', { model: ids.xgb }), { deleted: true, url: 'file:///m/xgb' });
    });
  });
}
