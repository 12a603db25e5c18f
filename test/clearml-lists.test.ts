/**
 * get_all / get_all_ex beyond tags and names: last_metrics (document shape, range filters by name
 * or md5 hash, numeric order), ranges and dates, metadata order, sub-projects, joins, allow_public.
 */
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { clearmlCaller } from './helpers/clearml.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

for (const dialect of dialectsUnderTest()) {
  describe(`ClearML list queries (${dialect})`, () => {
    let t: TestApp;
    const { call, ok } = clearmlCaller(() => t);
    const ids: Record<string, string> = {};
    /** Names of the models a list call returns, in its order. */
    const names = async (body: Record<string, unknown>, action = 'get_all', version?: string) =>
      (
        (await ok(action, { only_fields: ['name'], ...body }, { version })).models as Array<{ name: string }>
      ).map((m) => m.name);
    before(async () => {
      t = await createTestApp(dialect);
      const reg = t.services.registry;
      const team = await reg.ensureProject('team');
      const sub = await reg.ensureProject('team/vision');
      const other = await reg.ensureProject('teamwork');
      const specs: Array<[string, string, number, string]> = [
        ['m-low', team.id, 0.2, '9'],
        ['m-high', sub.id, 0.9, '10'],
        ['m-mid', other.id, 0.5, '100'],
      ];
      for (const [name, project, loss, epochs] of specs) {
        ids[name] = (
          await ok('create', {
            name,
            uri: `file:///${name}`,
            project,
            ready: false,
            metadata: [{ key: 'epochs', type: 'int', value: epochs }],
          })
        ).id;
        await reg.reportMetrics(ids[name]!, [
          { metric: 'loss', variant: 'total', value: loss + 1, iteration: 1 },
          { metric: 'loss', variant: 'total', value: loss, iteration: 5 },
        ]);
      }
      await ok('make_public', { ids: [ids['m-mid']] });
    });
    after(() => t.close());

    test('last_metrics: ClearML document shape, keyed by md5 of metric and variant', async () => {
      const m = (
        await ok('get_by_id', { model: ids['m-low'], only_fields: ['last_metrics', 'last_iteration'] })
      ).model;
      assert.equal(m.last_iteration, 5);
      assert.deepEqual(m.last_metrics, {
        [md5('loss')]: {
          [md5('total')]: {
            metric: 'loss',
            variant: 'total',
            value: 0.2,
            min_value: 0.2,
            min_value_iteration: 5,
            max_value: 1.2,
            max_value_iteration: 1,
            iteration: 5,
          },
        },
      });
    });

    test('last_metrics range filters (by name or hash, value/min/max) and numeric order', async () => {
      assert.deepEqual(await names({ 'last_metrics.loss.total': [0.3, null], order_by: ['name'] }), [
        'm-high',
        'm-mid',
      ]);
      assert.deepEqual(await names({ [`last_metrics.${md5('loss')}.${md5('total')}.value`]: [null, 0.5] }), [
        'm-low',
        'm-mid',
      ]);
      assert.deepEqual(await names({ 'last_metrics.loss.total.max_value': [1.85, 2] }), ['m-high']);
      assert.deepEqual(await names({ order_by: ['-last_metrics.loss.total.value'] }), [
        'm-high',
        'm-mid',
        'm-low',
      ]);
    });

    test('ranges, dates and metadata order', async () => {
      assert.deepEqual(await names({ last_iteration: [5, 5] }), ['m-low', 'm-high', 'm-mid']);
      assert.deepEqual(await names({ last_iteration: [6, null] }), []);
      const now = new Date();
      const day = (d: number) => new Date(now.getTime() + d * 86_400_000).toISOString().slice(0, 10);
      assert.equal(
        (await names({ created: [day(-1), day(1)] })).length,
        3,
        'two plain dates: inclusive range',
      );
      assert.deepEqual(await names({ last_update: [`>${day(1)}`] }), []);
      assert.deepEqual(
        await names({ order_by: ['metadata.epochs'] }),
        ['m-low', 'm-high', 'm-mid'],
        'metadata values order as numbers (9 < 10 < 100)',
      );
      assert.deepEqual(await names({ _or_: { fields: ['name', 'comment'], pattern: 'M-HI' } }), ['m-high']);
    });

    test('search_text with @text_score order; _any_/_all_ over dates', async () => {
      await ok('edit', { model: ids['m-high'], comment: 'high loss vision model' });
      await ok('edit', { model: ids['m-low'], comment: 'low loss' });
      assert.deepEqual(await names({ search_text: 'vision loss', order_by: ['-@text_score', 'name'] }), [
        'm-high',
        'm-low',
      ]);
      assert.deepEqual(await names({ search_text: '"low loss"' }), ['m-low']);
      const r = await call('get_all', { order_by: ['-@text_score'] });
      assert.deepEqual([r.meta.result_code, r.meta.result_subcode], [400, 16]);
      const yesterday = new Date(Date.now() - 86_400_000).toISOString();
      assert.equal(
        (await names({ _all_: { fields: ['created', 'last_update'], datetime: `>=${yesterday}` } })).length,
        3,
      );
      assert.deepEqual(
        await names({ _any_: { fields: ['created', 'last_change'], datetime: `<${yesterday}` } }),
        [],
      );
    });

    test('include_subprojects: a project stands for its team/… children (get_all ≥ 2.26)', async () => {
      const team = (await t.services.registry.ensureProject('team')).id;
      assert.deepEqual(await names({ project: [team], include_subprojects: true }), ['m-low', 'm-high']);
      assert.deepEqual(await names({ project: team, include_subprojects: true }, 'get_all_ex'), [
        'm-low',
        'm-high',
      ]);
      assert.deepEqual(await names({ project: [team] }), ['m-low'], 'not asked: only the project itself');
      assert.deepEqual(
        await names({ project: [team], include_subprojects: true }, 'get_all', '2.25'),
        ['m-low'],
        'get_all learned include_subprojects in 2.26',
      );
    });

    test('get_all_ex joins project and user for only_fields like project.name (the web UI asks so)', async () => {
      const team = (await t.services.registry.ensureProject('team')).id;
      const ex = await ok('get_all_ex', {
        id: [ids['m-low']],
        only_fields: ['name', 'project.name', 'user.name'],
      });
      assert.deepEqual(ex.models, [
        {
          id: ids['m-low'],
          name: 'm-low',
          project: { id: team, name: 'team' },
          user: { id: 'local', name: 'local' },
        },
      ]);
      const plain = await ok('get_all', { id: [ids['m-low']], only_fields: ['name', 'project'] });
      assert.deepEqual(
        plain.models,
        [{ id: ids['m-low'], name: 'm-low', project: team }],
        'get_all does not join',
      );
    });

    test('get_all_ex allow_public: false leaves public models out (≥ 2.23)', async () => {
      assert.deepEqual(await names({ allow_public: false }, 'get_all_ex'), ['m-low', 'm-high']);
      assert.deepEqual(await names({}, 'get_all_ex'), ['m-low', 'm-high', 'm-mid'], 'default true');
      assert.deepEqual(await names({ allow_public: false }, 'get_all_ex', '2.20'), [
        'm-low',
        'm-high',
        'm-mid',
      ]);
      assert.deepEqual(await names({ allow_public: false }, 'get_all'), ['m-low', 'm-high', 'm-mid']);
    });
  });
}
