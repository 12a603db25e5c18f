import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import type { AppError } from '../src/errors.js';

const rejects = (p: Promise<unknown>, code: string, reason: string) =>
  assert.rejects(p, (e: AppError) => {
    assert.equal(e.code, code, e.message);
    assert.equal(e.reason, reason, e.message);
    return true;
  });

for (const dialect of dialectsUnderTest()) {
  describe(`registry service (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(() => t.close());
    const reg = () => t.services.registry;

    test('create numbers versions per registered model and project', async () => {
      const a = await reg().create({ name: 'churn', framework: 'xgboost', tags: ['x', 'y', 'x'] }, 'ann');
      const b = await reg().create({ name: 'churn' }, 'bob');
      const c = await reg().create({ name: 'churn', project: 'other' }, null);
      assert.match(a.id, /^[0-9a-f]{32}$/);
      assert.equal(a.version, 1);
      assert.equal(b.version, 2);
      assert.equal(b.modelId, a.modelId);
      assert.equal(c.version, 1);
      assert.equal(c.project.name, 'other');
      assert.equal(a.project.name, 'default');
      assert.deepEqual(a.tags, ['x', 'y']);
      assert.equal(a.createdBy, 'ann');
      assert.equal(a.artifactVersion, '0.0.0');
      assert.equal(a.ready, false);
    });

    test('bad input is refused with the field named', async () => {
      await rejects(reg().create({ name: '  ' }, null), 'invalid', 'validation_failed');
      await rejects(reg().create({ name: 'm', tags: ['__$all'] }, null), 'invalid', 'validation_failed');
      await rejects(reg().create({ name: 'm', labels: { a: 1.5 } }, null), 'invalid', 'validation_failed');
      await rejects(reg().create({ name: 'm', projectId: 'nope' }, null), 'not_found', 'project_not_found');
    });

    test('resolve by id, name/version, name/latest, name@alias, project/name', async () => {
      const v1 = await reg().create({ name: 'resolver' }, null);
      const v2 = await reg().create({ name: 'resolver' }, null);
      assert.equal((await reg().resolve(v1.id)).id, v1.id);
      assert.equal((await reg().resolve('resolver/1')).id, v1.id);
      assert.equal((await reg().resolve('resolver/latest')).id, v2.id);
      assert.equal((await reg().resolve('default/resolver/2')).id, v2.id);
      await reg().setAlias('resolver/1', 'production');
      assert.equal((await reg().resolve('resolver@production')).id, v1.id);
      const moved = await reg().setAlias(v2.id, 'production');
      assert.deepEqual(moved.aliases, ['production']);
      assert.equal((await reg().resolve('resolver@production')).id, v2.id);
      assert.deepEqual((await reg().get(v1.id)).aliases, []);
      assert.deepEqual(
        (await reg().listAliases('resolver')).map((a) => [a.alias, a.version]),
        [['production', 2]],
      );
      await reg().deleteAlias('resolver', 'production');
      await rejects(reg().resolve('resolver@production'), 'not_found', 'model_not_found');
      await rejects(reg().resolve('resolver/9'), 'not_found', 'model_not_found');
      await rejects(reg().setAlias(v1.id, '12'), 'invalid', 'bad_alias');
      await rejects(reg().deleteAlias('resolver', 'gone'), 'not_found', 'alias_not_found');
    });

    test('edit: free before publishing; content frozen after unless forced; annotations stay editable', async () => {
      const v = await reg().create({ name: 'editable', design: { a: 1, b: 2 }, labels: { cat: 0 } }, null);
      const e = await reg().edit(v.id, { uri: 's3://b/m', design: { b: 3 } }, { mergeObjects: true });
      assert.equal(e.updated, true);
      assert.deepEqual(e.fields.sort(), ['design', 'uri']);
      assert.deepEqual(e.model.design, { a: 1, b: 3 });
      assert.equal(e.model.uri, 's3://b/m');
      const replaced = await reg().edit(v.id, { design: { z: 1 } });
      assert.deepEqual(replaced.model.design, { z: 1 });
      const ready = await reg().setReady(v.id, 'pub');
      assert.equal(ready.ready, true);
      await rejects(reg().setReady(v.id), 'conflict', 'already_ready');
      await rejects(reg().edit(v.id, { uri: 'x' }), 'conflict', 'model_is_ready');
      await rejects(reg().edit(v.id, { ready: false }), 'conflict', 'model_is_ready');
      const ann = await reg().edit(v.id, { comment: 'fine', tags: ['t'] });
      assert.equal(ann.model.comment, 'fine');
      const forced = await reg().edit(v.id, { uri: 'y' }, { force: true });
      assert.equal(forced.model.uri, 'y');
      const none = await reg().edit(v.id, {});
      assert.equal(none.updated, false);
    });

    test('rename moves the version to the registered model of the new name', async () => {
      await reg().create({ name: 'target-name' }, null);
      const v = await reg().create({ name: 'source-name' }, null);
      const e = await reg().edit(v.id, { name: 'target-name' });
      assert.equal(e.model.name, 'target-name');
      assert.equal(e.model.version, 2);
      await rejects(reg().resolve('source-name/1'), 'not_found', 'model_not_found');
    });

    test('batch publish / archive / unarchive report per item', async () => {
      const a = await reg().create({ name: 'batchy' }, null);
      const b = await reg().create({ name: 'batchy', ready: true }, null);
      const missing = '0'.repeat(32);
      const pub = await reg().publishMany([a.id, b.id, missing]);
      assert.deepEqual(
        pub.succeeded.map((s) => s.id),
        [a.id],
      );
      assert.deepEqual(
        pub.failed.map((f) => [f.id, f.error.reason]),
        [
          [b.id, 'already_ready'],
          [missing, 'model_not_found'],
        ],
      );
      const arch = await reg().archiveMany([a.id, missing]);
      assert.deepEqual(arch.succeeded, [{ id: a.id, archived: 1 }]);
      assert.equal(arch.failed.length, 1);
      const v = await reg().get(a.id);
      assert.equal(v.archived, true);
      assert.deepEqual(v.systemTags, ['archived']);
      assert.deepEqual((await reg().unarchiveMany([a.id])).succeeded, [{ id: a.id, unarchived: 1 }]);
      assert.equal((await reg().get(a.id)).archived, false);
      await rejects(reg().archiveMany([]), 'invalid', 'batch_empty');
    });

    test('delete is refused while in use, allowed with force, and frees the artifact files', async () => {
      const v = await reg().create({ name: 'deletable' }, null);
      await reg().putArtifact(v.id, 'weights/model.bin', Buffer.alloc(1000, 7));
      await reg().addReference(v.id, { kind: 'deployment', id: 'dep-1' });
      await rejects(reg().delete(v.id), 'conflict', 'model_in_use');
      const many = await reg().deleteMany([v.id]);
      assert.equal(many.failed[0]?.error.reason, 'model_in_use');
      assert.equal((await t.deps.blobs.list(`models/${v.id}/`)).length, 1);
      const res = await reg().delete(v.id, { force: true });
      assert.equal(res.deleted, true);
      assert.equal(res.freedBytes, 1000);
      assert.equal(res.referrersReleased, 1);
      assert.deepEqual(await t.deps.blobs.list(`models/${v.id}/`), []);
      assert.deepEqual(await reg().referrers(v.id), []);
      await rejects(reg().get(v.id), 'not_found', 'model_not_found');
      await rejects(reg().resolve('deletable/1'), 'not_found', 'model_not_found');
      const free = await reg().create({ name: 'deletable2' }, null);
      await reg().addReference(free.id, { kind: 'run', id: 'r1' });
      await reg().removeReference(free.id, { kind: 'run', id: 'r1' });
      assert.equal((await reg().delete(free.id)).deleted, true);
    });

    test('move to a project by name creates it and renumbers', async () => {
      const a = await reg().create({ name: 'mover' }, null);
      await reg().create({ name: 'mover', project: 'dest' }, null);
      await reg().setAlias(a.id, 'staging');
      const { projectId } = await reg().move([a.id], { projectName: 'dest' });
      const moved = await reg().get(a.id);
      assert.equal(moved.project.id, projectId);
      assert.equal(moved.project.name, 'dest');
      assert.equal(moved.version, 2);
      assert.deepEqual(moved.aliases, []);
      const again = await reg().move([a.id], { projectId: (await reg().ensureProject('third')).id });
      assert.notEqual(again.projectId, projectId);
      await rejects(reg().move([a.id], { projectId: 'missing' }), 'not_found', 'project_not_found');
      await rejects(reg().move(['f'.repeat(32)], { projectName: 'dest' }), 'not_found', 'model_not_found');
    });

    test('metadata, tags, visibility, frameworks, metrics, get by task id', async () => {
      const v = await reg().create(
        {
          name: 'meta',
          framework: 'pytorch',
          sourceRunId: 'run-7',
          metadata: [{ key: 'a', type: 'int', value: 1 }],
        },
        null,
      );
      await reg().addOrUpdateMetadata(v.id, [
        { key: 'a', type: 'int', value: 2 },
        { key: 'b', value: 'x' },
      ]);
      assert.deepEqual((await reg().get(v.id)).metadata, [
        { key: 'a', type: 'int', value: '2' },
        { key: 'b', type: '', value: 'x' },
      ]);
      assert.deepEqual(await reg().deleteMetadata(v.id, ['a', 'zz']), { updated: 1 });
      await reg().addOrUpdateMetadata(v.id, [{ key: 'c', value: 1 }], { replace: true });
      assert.deepEqual(
        (await reg().get(v.id)).metadata.map((m) => m.key),
        ['c'],
      );
      assert.deepEqual(await reg().updateTags([v.id], { add: ['p', 'q'] }), { updated: 1 });
      assert.deepEqual(await reg().updateTags([v.id], { add: ['q'], remove: ['p'] }), { updated: 1 });
      assert.deepEqual((await reg().get(v.id)).tags, ['q']);
      assert.deepEqual(await reg().setPublic([v.id], true), { updated: 1 });
      assert.deepEqual(await reg().setPublic([v.id], true), { updated: 0 });
      assert.ok((await reg().frameworks()).includes('pytorch'));
      assert.deepEqual(await reg().frameworks([(await reg().ensureProject('nothing-here')).id]), []);
      assert.equal((await reg().getByTaskId('run-7')).id, v.id);
      await rejects(reg().getByTaskId('run-none'), 'not_found', 'model_not_found');
      const m = await reg().reportMetrics(v.id, [
        { metric: 'loss', variant: 'train', value: 0.9, iteration: 1 },
        { metric: 'loss', variant: 'train', value: 0.3, iteration: 2 },
        { metric: 'loss', variant: 'train', value: 0.5, iteration: 3 },
        { metric: 'loss', variant: 'train', value: 1.2, iteration: 0 },
      ]);
      const loss = m.metrics.find((x) => x.metric === 'loss')!;
      assert.deepEqual(
        [loss.value, loss.lastIteration, loss.min, loss.minIteration, loss.max, loss.maxIteration],
        [0.5, 3, 0.3, 2, 1.2, 0],
      );
      assert.equal(m.lastIteration, 3);
      assert.equal(loss.metricHash.length, 32);
    });
  });
}
