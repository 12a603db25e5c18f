import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import type { AppError } from '../src/errors.js';
import type { SearchOptions } from '../src/modules/registry/index.js';

const FIXTURE = [
  {
    name: 'alpha-cat',
    tags: ['a', 'b'],
    comment: 'Best Model',
    framework: 'torch',
    acc: 0.9,
    stage: '10',
    day: 1,
  },
  { name: 'alpha-dog', tags: ['a'], comment: 'baseline', framework: 'tf', acc: 0.7, stage: '9', day: 2 },
  { name: 'Beta', tags: ['b'], comment: '', framework: null, acc: 0.5, stage: null, day: 3 },
  {
    name: 'gamma',
    tags: [],
    comment: 'imagenet weights',
    framework: 'torch',
    acc: null,
    stage: null,
    day: 4,
  },
  { name: 'delta', tags: ['c'], comment: 'old', framework: 'sklearn', acc: 0.8, stage: '100', day: 5 },
];

for (const dialect of dialectsUnderTest()) {
  describe(`registry filter language (${dialect})`, () => {
    let t: TestApp;
    const idOf = new Map<string, string>();
    before(async () => {
      t = await createTestApp(dialect);
      for (const f of FIXTURE) {
        const v = await t.services.registry.create(
          {
            name: f.name,
            tags: f.tags,
            comment: f.comment,
            framework: f.framework,
            sourceRunId: f.name === 'gamma' ? 'task-gamma' : null,
            metrics: f.acc === null ? [] : [{ metric: 'acc', variant: 'val', value: f.acc }],
            metadata: f.stage === null ? [] : [{ key: 'stage', value: f.stage }],
            createdAt: `2024-01-0${f.day}T00:00:00.000Z`,
          },
          null,
        );
        idOf.set(f.name, v.id);
      }
      await t.services.registry.archiveMany([idOf.get('delta')!]);
      await t.services.registry.setReady(idOf.get('delta')!);
    });
    after(() => t.close());

    const names = async (filter: Record<string, unknown>, extra: Partial<SearchOptions> = {}) =>
      (await t.services.registry.search({ filter, orderBy: ['name'], ...extra })).items.map((i) => i.name);
    const rejectsWith = (
      filter: Record<string, unknown>,
      reason: string,
      extra: Partial<SearchOptions> = {},
    ) =>
      assert.rejects(t.services.registry.search({ filter, ...extra }), (e: AppError) => {
        assert.equal(e.code, 'invalid');
        assert.equal(e.reason, reason, e.message);
        return true;
      });

    test('name and comment: case-sensitive unanchored regex; ignoreCase and (?i) on request', async () => {
      assert.deepEqual(await names({ name: 'alpha' }), ['alpha-cat', 'alpha-dog']);
      assert.deepEqual(await names({ name: 'eta' }), ['Beta']);
      assert.deepEqual(await names({ name: 'beta' }), []);
      assert.deepEqual(await names({ name: '^[ab]' }), ['alpha-cat', 'alpha-dog']);
      assert.deepEqual(await names({ name: { pattern: '^b', ignoreCase: true } }), ['Beta']);
      assert.deepEqual(await names({ name: '(?i)^B' }), ['Beta']);
      assert.deepEqual(await names({ comment: 'Model' }), ['alpha-cat']);
      assert.deepEqual(await names({ comment: 'model' }), []);
      await rejectsWith({ name: '(' }, 'bad_regex');
    });

    test('tag operators: any, -x, __$not, __$all, __$any, __$nop, null, structured form', async () => {
      assert.deepEqual(await names({ tags: ['a', 'c'] }), ['alpha-cat', 'alpha-dog', 'delta']);
      assert.deepEqual(await names({ tags: 'b' }), ['Beta', 'alpha-cat']);
      assert.deepEqual(await names({ tags: ['a', '-b'] }), ['alpha-dog']);
      assert.deepEqual(await names({ tags: ['__$all', 'a', 'b'] }), ['alpha-cat']);
      assert.deepEqual(await names({ tags: ['__$not', 'a'] }), ['Beta', 'delta', 'gamma']);
      assert.deepEqual(await names({ tags: ['__$all', 'a', '__$not', 'b'] }), ['alpha-dog']);
      assert.deepEqual(await names({ tags: ['__$any', '__$not', 'a', '__$not', 'b'] }), [
        'Beta',
        'alpha-dog',
        'delta',
        'gamma',
      ]);
      assert.deepEqual(await names({ tags: ['__$any', 'c', '__$all', 'a', 'b'] }), ['alpha-cat', 'delta']);
      // after an operator, "-b" is a literal tag; __$nop restores the legacy exclusion
      assert.deepEqual(await names({ tags: ['__$any', 'a', '-b'] }), ['alpha-cat', 'alpha-dog']);
      assert.deepEqual(await names({ tags: ['__$all', 'a', '__$nop', '-b'] }), ['alpha-dog']);
      assert.deepEqual(await names({ tags: [null] }), ['gamma']);
      assert.deepEqual(await names({ tags: [null, 'c'] }), ['delta', 'gamma']);
      assert.deepEqual(await names({ tags: { all: { include: ['a'], exclude: ['b'] } } }), ['alpha-dog']);
      assert.deepEqual(await names({ tags: { any: { include: ['c', null] } } }), ['delta', 'gamma']);
      assert.deepEqual(await names({ tags: [] }), ['Beta', 'alpha-cat', 'alpha-dog', 'delta', 'gamma']);
      assert.deepEqual(await names({ systemTags: ['archived'] }), ['delta']);
      assert.deepEqual(await names({ system_tags: ['-archived'], archived: false, tags: ['a'] }), [
        'alpha-cat',
        'alpha-dog',
      ]);
      await rejectsWith({ tags: ['__$xor', 'a'] }, 'unsupported_operator');
      await rejectsWith({ tags: ['a', '__$not'] }, 'unsupported_operator');
    });

    test('scalar list fields, metadata values, booleans', async () => {
      assert.deepEqual(await names({ framework: ['torch'] }), ['alpha-cat', 'gamma']);
      assert.deepEqual(await names({ framework: [null] }), ['Beta']);
      assert.deepEqual(await names({ framework: ['-torch'] }), ['Beta', 'alpha-dog', 'delta']);
      assert.deepEqual(await names({ 'metadata.stage': ['9', '10'] }), ['alpha-cat', 'alpha-dog']);
      assert.deepEqual(await names({ task: 'task-gamma' }), ['gamma']);
      assert.deepEqual(await names({ id: [idOf.get('Beta')] }), ['Beta']);
      assert.deepEqual(await names({ projectName: 'default', ready: true }), ['delta']);
      assert.deepEqual(await names({ archived: true }), ['delta']);
      await rejectsWith({ ready: 'maybe' }, 'bad_filter');
      await rejectsWith({ nonsense: 1 }, 'unknown_field');
    });

    test('date and metric ranges', async () => {
      assert.deepEqual(await names({ created: ['>=2024-01-02', '<2024-01-04'] }), ['Beta', 'alpha-dog']);
      assert.deepEqual(await names({ created: ['2024-01-04', '2024-01-05'] }), ['delta', 'gamma']);
      assert.deepEqual(await names({ created: { gt: '2024-01-04' } }), ['delta']);
      assert.deepEqual(await names({ 'metrics.acc.val': [0.6, 0.85] }), ['alpha-dog', 'delta']);
      assert.deepEqual(await names({ 'last_metrics.acc.val.value': [0.85, null] }), ['alpha-cat']);
      // a null minimum also matches versions without the metric (ClearML's rule)
      assert.deepEqual(await names({ 'metrics.acc.val': [null, 0.6] }), ['Beta', 'gamma']);
      const hash = (s: string) => t.services.registry.get(idOf.get('Beta')!).then(() => s);
      const { metricKeyHash } = await import('../src/modules/registry/index.js');
      assert.deepEqual(
        await names({
          [`last_metrics.${metricKeyHash('acc')}.${await hash(metricKeyHash('val'))}.value`]: [0.85, 1],
        }),
        ['alpha-cat'],
      );
      await rejectsWith({ created: ['not a date'] }, 'bad_filter');
      await rejectsWith({ 'metrics.acc.val': [1] }, 'bad_filter');
      await rejectsWith({ 'metrics.acc.val': ['x', 2] }, 'bad_filter');
    });

    test('_any_ / _all_ (case-insensitive), $or, $and, $not, free text', async () => {
      assert.deepEqual(await names({ _any_: { fields: ['name', 'comment'], pattern: 'BASE' } }), [
        'alpha-dog',
      ]);
      assert.deepEqual(await names({ _all_: { fields: ['name', 'comment'], pattern: 'a' } }), [
        'alpha-dog',
        'gamma',
      ]);
      assert.deepEqual(await names({ _any_: { fields: ['tags'], pattern: '^C$' } }), ['delta']);
      assert.deepEqual(await names({ _any_: { fields: ['created'], datetime: '>=2024-01-05' } }), ['delta']);
      assert.deepEqual(await names({ $or: [{ name: 'gamma' }, { tags: ['c'] }] }), ['delta', 'gamma']);
      assert.deepEqual(await names({ $and: [{ name: 'alpha' }, { tags: ['b'] }] }), ['alpha-cat']);
      assert.deepEqual(await names({ $not: { name: 'a' } }), []);
      assert.deepEqual(await names({ $not: { name: 'alpha' }, tags: ['b'] }), ['Beta']);
      assert.deepEqual(await names({}, { search: 'IMAGENET' }), ['gamma']);
      assert.deepEqual(await names({}, { search: 'imagenet baseline' }), ['alpha-dog', 'gamma']);
      assert.deepEqual(await names({}, { search: '"best model" -dog' }), ['alpha-cat']);
      await rejectsWith({ _any_: { fields: ['name'] } }, 'bad_filter');
      await rejectsWith({ _any_: { fields: ['name'], pattern: 'a', datetime: '>2024' } }, 'bad_filter');
    });

    test('order by several keys, metrics and metadata (numeric), text score', async () => {
      const order = async (orderBy: string[], filter: Record<string, unknown> = {}, search?: string) =>
        (await t.services.registry.search({ filter, orderBy, search })).items.map((i) => i.name);
      assert.deepEqual(await order(['-created']), ['delta', 'gamma', 'Beta', 'alpha-dog', 'alpha-cat']);
      assert.deepEqual(await order(['framework', '-name']), [
        'Beta',
        'delta',
        'alpha-dog',
        'gamma',
        'alpha-cat',
      ]);
      assert.deepEqual(await order(['-metrics.acc.val']), [
        'alpha-cat',
        'delta',
        'alpha-dog',
        'Beta',
        'gamma',
      ]);
      assert.deepEqual(await order(['metadata.stage'], { 'metadata.stage': ['9', '10', '100'] }), [
        'alpha-dog',
        'alpha-cat',
        'delta',
      ]);
      assert.deepEqual(await order(['-@text_score', 'name'], {}, 'alpha cat'), ['alpha-cat', 'alpha-dog']);
      await assert.rejects(t.services.registry.search({ orderBy: ['@text_score'] }), /needs search_text/);
      await assert.rejects(t.services.registry.search({ orderBy: ['shoe_size'] }), /cannot order by/);
    });

    test('paging, scrolling, projection, totals; no silent caps', async () => {
      const p0 = await t.services.registry.search({
        orderBy: ['name'],
        page: 0,
        pageSize: 2,
        includeTotal: true,
      });
      const p2 = await t.services.registry.search({ orderBy: ['name'], page: 2, pageSize: 2 });
      assert.deepEqual(
        p0.items.map((i) => i.name),
        ['Beta', 'alpha-cat'],
      );
      assert.equal(p0.hasMore, true);
      assert.equal(p0.total, 5);
      assert.deepEqual(
        p2.items.map((i) => i.name),
        ['gamma'],
      );
      assert.equal(p2.hasMore, false);
      const seen: string[] = [];
      let scrollId = '';
      for (let i = 0; i < 4; i++) {
        const page = await t.services.registry.search({ orderBy: ['name'], scrollId, pageSize: 2 });
        seen.push(...page.items.map((x) => x.name!));
        scrollId = page.scrollId;
        if (!page.hasMore) break;
      }
      assert.deepEqual(seen, ['Beta', 'alpha-cat', 'alpha-dog', 'delta', 'gamma']);
      const refreshed = await t.services.registry.search({
        orderBy: ['name'],
        scrollId,
        pageSize: 2,
        refreshScroll: true,
      });
      assert.equal(refreshed.items.length, 5);
      await rejectsWith({}, 'invalid_scroll_id', { scrollId: 'garbage' });
      await rejectsWith({ name: 'x' }, 'invalid_scroll_id', { scrollId, orderBy: ['name'] });
      await rejectsWith({}, 'page_without_size', { page: 1 });
      await rejectsWith({}, 'page_size_too_large', { pageSize: 10_000 });
      const proj = await t.services.registry.search({
        filter: { name: 'gamma' },
        onlyFields: ['name', 'project.name'],
      });
      assert.deepEqual(proj.items, [{ id: idOf.get('gamma'), name: 'gamma', project: { name: 'default' } }]);
      const excl = await t.services.registry.search({
        filter: { name: 'gamma' },
        onlyFields: ['-metrics', '-design'],
      });
      assert.equal('metrics' in excl.items[0]!, false);
      assert.equal(excl.items[0]!.name, 'gamma');
    });

    test('HTTP: POST /models/search and GET /models query form; 400 with the reason', async () => {
      const post = await t.app.inject({
        method: 'POST',
        url: '/api/v1/models/search',
        payload: { filter: { $or: [{ name: 'gamma' }, { tags: ['__$all', 'a', 'b'] }] }, orderBy: 'name' },
      });
      assert.equal(post.statusCode, 200);
      assert.deepEqual(
        post.json().items.map((i: { name: string }) => i.name),
        ['alpha-cat', 'gamma'],
      );
      const get = await t.app.inject({ url: '/api/v1/models?tags=a,-b&orderBy=-created&onlyFields=name' });
      assert.equal(get.statusCode, 200);
      assert.deepEqual(get.json().items, [{ id: idOf.get('alpha-dog'), name: 'alpha-dog' }]);
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/models/search',
        payload: { filter: { name: '[' } },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().reason, 'bad_regex');
      assert.equal(bad.json().errors[0].field, 'name');
      const op = await t.app.inject({ url: '/api/v1/models?tags=__$bogus' });
      assert.equal(op.statusCode, 400);
      assert.equal(op.json().reason, 'unsupported_operator');
    });
  });
}
