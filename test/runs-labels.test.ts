/**
 * Runs found by their labels and their progress, on every dialect: a label match is one query that
 * returns exactly the matching runs among many others; relabelling moves a run out of a match;
 * long values match exactly; runs written before migration 0009 are found; the progress of many
 * runs is one query and equals the rule applied run by run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Migrator, sql, type KyselyPlugin, type Migration } from 'kysely';
import { dialectsUnderTest, freshStore } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { migrations } from '../src/infra/db/migrations/index.js';
import { createRunsService, type RunsService, type RunView } from '../src/modules/runs/index.js';
import { createRunsRepository } from '../src/modules/runs/runs.repository.js';

/** Counts the statements a Kysely instance sends (each query passes transformQuery once). */
function queryCounter(): KyselyPlugin & { count: number } {
  const c = {
    count: 0,
    transformQuery: (args: Parameters<KyselyPlugin['transformQuery']>[0]) => {
      c.count++;
      return args.node;
    },
    transformResult: async (args: Parameters<KyselyPlugin['transformResult']>[0]) => args.result,
  };
  return c;
}

for (const dialect of dialectsUnderTest()) {
  describe(`runs by label, progress (${dialect})`, () => {
    let t: TestApp;
    let runs: RunsService;
    let counter: ReturnType<typeof queryCounter>;
    let codeId: string;

    /** A run no worker picks up (its queue has none), with these labels and params. */
    const park = (labels: Record<string, string>, params: Record<string, unknown> = {}) =>
      runs.submit({ codeId, command: 'true', queue: 'parked', labels, params }, 'tester');

    before(async () => {
      t = await createTestApp(dialect);
      counter = queryCounter();
      const s = t.services;
      runs = createRunsService({
        ...t.deps,
        db: t.deps.db.withPlugin(counter),
        datasets: s.datasets,
        registry: s.registry,
        tokens: s.tokens,
      });
      codeId = (await runs.uploadCode('job.sh', new TextEncoder().encode('true\n'))).id;
    });
    after(async () => {
      runs.close();
      await t.close();
    });

    test('a label match returns only the matching runs, newest first, in one query', async () => {
      const mine: RunView[] = [];
      for (let i = 0; i < 600; i++) {
        const labels = { wmla_model: `other${i % 7}`, wmla_training: `t${i}` };
        await park(labels);
        if (i % 120 === 0) mine.push(await park({ wmla_model: 'mine', wmla_training: `t${i}` }));
      }
      await park({ wmla_exec: 'e1' });
      await park({ unrelated: 'mine' }); // the value alone is no match

      counter.count = 0;
      const found = await runs.listByLabels({ wmla_model: 'mine' });
      assert.equal(counter.count, 1);
      const expected = (await runs.list({ limit: 10_000 })).filter((r) => r.labels.wmla_model === 'mine');
      assert.deepEqual(
        found.map((r) => r.id),
        expected.map((r) => r.id),
      );
      assert.deepEqual(found.map((r) => r.id).sort(), mine.map((r) => r.id).sort());
      assert.deepEqual(found[0], await runs.get(found[0]!.id));

      const one = await runs.listByLabels({ wmla_model: 'mine', wmla_training: 't240' });
      assert.deepEqual(
        one.map((r) => r.labels),
        [{ wmla_model: 'mine', wmla_training: 't240' }],
      );
      assert.deepEqual(await runs.listByLabels({ wmla_model: 'mine', wmla_training: 't241' }), []);
      assert.deepEqual(
        (await runs.listByLabels({ wmla_exec: undefined })).map((r) => r.labels),
        [{ wmla_exec: 'e1' }],
      );
      assert.equal((await runs.listByLabels({ wmla_training: undefined })).length, 605);
    });

    test('relabelling moves a run out of its match and into another; unknown run 404', async () => {
      const r = await park({ wmla_model: 'moving', wmla_training: 'a' });
      const moved = await runs.setLabels(r.id, { wmla_deleted_training: 'moving/a', keep: 'x' });
      assert.deepEqual(moved.labels, { wmla_deleted_training: 'moving/a', keep: 'x' });
      assert.ok(moved.updatedAt >= r.updatedAt);
      assert.deepEqual(await runs.listByLabels({ wmla_model: 'moving' }), []);
      assert.deepEqual(
        (await runs.listByLabels({ wmla_deleted_training: 'moving/a' })).map((x) => x.id),
        [r.id],
      );
      await assert.rejects(runs.setLabels('no-such-run', {}), { code: 'not_found' });
    });

    test('long values (past the indexed prefix) and non-ASCII values match exactly', async () => {
      const long = `${'é'.repeat(150)}${'x'.repeat(5000)}`;
      const a = await park({ big: long });
      await park({ big: `${long}y` }); // same indexed prefix, other value
      await park({ big: long.slice(0, 200) });
      assert.deepEqual(
        (await runs.listByLabels({ big: long })).map((r) => r.id),
        [a.id],
      );
      assert.equal((await runs.listByLabels({ big: undefined })).length, 3);
    });

    test('progress of many runs is one query and follows the rule run by run', async () => {
      const plan = { maxiteration: 10 };
      const queued = await park({ p: 'q' }, plan);
      const noPlan = await park({ p: 'n' }, { learning_rate: 0.1 });
      const running = await park({ p: 'r' }, plan);
      const silent = await park({ p: 's' }, { epochs: 4 });
      const ended = await park({ p: 'c' }, { n_estimators: 200 });
      const done = await park({ p: 'd' }, plan);
      const over = await park({ p: 'o' }, { iterations: 3 });
      for (const r of [noPlan, running, silent, ended, done, over])
        await runs.internal.transition(r.id, ['queued'], 'running');
      await runs.reportMetrics(noPlan.id, [{ name: 'loss', value: 1, step: 5 }], 'test');
      await runs.reportMetrics(running.id, [{ name: 'loss', value: 1, step: 2 }], 'test');
      await runs.reportMetrics(running.id, [{ name: 'acc', value: 1, step: 4 }], 'test');
      await runs.reportMetrics(ended.id, [{ name: 'loss', value: 1, step: 24 }], 'test');
      await runs.reportMetrics(done.id, [{ name: 'loss', value: 1, step: 3 }], 'test');
      await runs.reportMetrics(over.id, [{ name: 'loss', value: 1, step: 7 }], 'test');
      await runs.internal.transition(ended.id, ['running'], 'cancelled');
      await runs.internal.transition(done.id, ['running'], 'succeeded');

      const views = await Promise.all(
        [queued, noPlan, running, silent, ended, done, over].map((r) => runs.get(r.id)),
      );
      counter.count = 0;
      const progress = await runs.progress(views);
      assert.equal(counter.count, 1);
      assert.deepEqual(
        views.map((r) => progress.get(r.id)),
        // queued; no planned steps; steps 0..4 of 10; none yet of 4; 25 of 200 (kept when
        // cancelled); succeeded; 8 of 3 held at 99 while running
        [0, 0, 50, 0, 12, 100, 99],
      );
      for (const r of views) assert.deepEqual((await runs.progress([r])).get(r.id), progress.get(r.id));

      counter.count = 0;
      assert.deepEqual(
        await runs.progress([views[0]!, views[5]!]),
        new Map([
          [views[0]!.id, 0],
          [views[5]!.id, 100],
        ]),
      );
      assert.equal(counter.count, 0, 'queued and succeeded runs need no metrics');
    });
  });

  test(`migration 0009 indexes the labels of runs written before it (${dialect})`, async () => {
    const store = await freshStore(dialect);
    try {
      const migrator = new Migrator({
        db: store.db,
        provider: { getMigrations: async () => migrations as Record<string, Migration> },
      });
      assert.equal((await migrator.migrateTo('0008-deployment-events-predict-jobs')).error, undefined);
      const now = new Date().toISOString();
      for (const [id, labels] of [
        ['old1', { wmla_model: 'm', wmla_training: 'a' }],
        ['old2', { wmla_model: 'n' }],
        ['old3', {}],
      ] as const)
        await sql`insert into runs (id, name, kind, queue, state, labels, created_at, updated_at)
          values (${id}, ${id}, 'code', 'default', 'queued', ${JSON.stringify(labels)}, ${now}, ${now})`.execute(
          store.db,
        );
      const to9 = await migrator.migrateTo('0009-run-labels');
      assert.equal(to9.error, undefined);
      assert.deepEqual(
        to9.results?.map((r) => r.migrationName),
        ['0009-run-labels'],
      );
      const repo = createRunsRepository(store.db);
      assert.deepEqual(
        (await repo.listByLabels({ wmla_model: 'm' })).map((r) => r.id),
        ['old1'],
      );
      assert.deepEqual((await repo.listByLabels({ wmla_model: undefined })).map((r) => r.id).sort(), [
        'old1',
        'old2',
      ]);
    } finally {
      await store.close();
    }
  });
}
