/**
 * Tuning jobs on every dialect: a small GBDT search runs to the end with one run per trial, each
 * trial's objective its run's metric and the best the maximum; cancel stops the job and its runs;
 * a job survives a server restart mid-search; bad inputs are refused naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialectsUnderTest, freshStore, type TestStore } from './helpers/db.js';
import { ended, getJob, startServer, until, type Json, type TuningServer } from './tuning-helpers.js';

const breast = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'));
const METRIC = 'validation_roc_auc';

const jobBody = (name: string, extra: Json = {}): Json => ({
  name,
  learner: 'gbdt',
  dataset: 'bc',
  params: { n_estimators: 15 },
  space: {
    max_depth: { type: 'int', low: 2, high: 5 },
    learning_rate: { type: 'float', low: 0.05, high: 0.5, log: true },
  },
  metric: METRIC,
  direction: 'maximize',
  maxTrials: 4,
  seed: 7,
  ...extra,
});

async function create(s: TuningServer, body: Json) {
  return s.app.inject({ method: 'POST', url: '/api/v1/tuning-jobs', payload: body });
}

async function upload(s: TuningServer) {
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/v1/datasets?name=bc&target=target&seed=1',
    headers: { 'content-type': 'text/csv' },
    payload: breast,
  });
  assert.equal(res.statusCode, 201, res.body);
}

for (const dialect of dialectsUnderTest()) {
  describe(`tuning jobs (${dialect})`, () => {
    let store: TestStore;
    let s: TuningServer;
    before(async () => {
      store = await freshStore(dialect);
      s = await startServer(store);
      await upload(s);
    });
    after(async () => {
      await s.stop();
      await store.close();
    });

    for (const algorithm of ['random', 'tpe']) {
      test(`${algorithm}: four trials, each a run, objective = the run's metric, best = the max`, async () => {
        const res = await create(s, jobBody(`search-${algorithm}`, { algorithm, parallelism: 2 }));
        assert.equal(res.statusCode, 201, res.body);
        assert.equal((res.json() as Json).state, 'queued');
        const job = await until('job end', async () => {
          const j = await getJob(s, `search-${algorithm}`);
          return ended(j) && j;
        });
        assert.equal(job.state, 'succeeded', job.error as string);
        const trials = job.trials as Json[];
        assert.deepEqual(
          trials.map((t) => t.number),
          [0, 1, 2, 3],
        );
        assert.equal(new Set(trials.map((t) => t.runId)).size, 4);
        for (const t of trials) {
          assert.equal(t.state, 'succeeded');
          const run = await s.services.runs.get(t.runId as string);
          assert.equal(run.state, 'succeeded');
          assert.equal(run.labels.tuning_job, `search-${algorithm}`);
          assert.equal(run.labels.trial, String(t.number));
          assert.equal(run.params.n_estimators, 15);
          assert.equal(run.params.max_depth, (t.params as Json).max_depth);
          const points = await s.services.runs.metrics(run.id, METRIC);
          assert.equal(t.value, points.at(-1)!.value);
        }
        const max = Math.max(...trials.map((t) => t.value as number));
        assert.equal(job.best.value, max);
        assert.equal(job.counts.succeeded, 4);
        const list = await s.app.inject({ method: 'GET', url: '/api/v1/tuning-jobs' });
        assert.ok((list.json() as Json).items.some((j: Json) => j.name === `search-${algorithm}`));
      });
    }

    test('cancel stops the job and its running trial runs; delete is refused while it runs', async () => {
      const body = jobBody('to-cancel', { params: { n_estimators: 1000 }, maxTrials: 10, parallelism: 2 });
      assert.equal((await create(s, body)).statusCode, 201);
      await until('a running trial run', async () => {
        const j = await getJob(s, 'to-cancel');
        return (j.trials as Json[]).some((t) => t.runId) && j;
      });
      const del = await s.app.inject({ method: 'DELETE', url: '/api/v1/tuning-jobs/to-cancel' });
      assert.equal(del.statusCode, 409, del.body);
      const res = await s.app.inject({ method: 'POST', url: '/api/v1/tuning-jobs/to-cancel/cancel' });
      assert.equal(res.statusCode, 200, res.body);
      const cancelled = res.json() as Json;
      assert.equal(cancelled.state, 'cancelled');
      assert.ok((cancelled.trials as Json[]).length < 10);
      assert.ok((cancelled.trials as Json[]).every((t) => t.state !== 'running'));
      // Every trial run ends, cancelled unless it ended first; nothing starts after the cancel.
      const runs = await until('the trial runs to end', async () => {
        const rs = await s.services.runs.listByLabels({ tuning_job: 'to-cancel' });
        return rs.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.state)) && rs;
      });
      assert.ok(
        runs.some((r) => r.state === 'cancelled'),
        runs.map((r) => r.state).join(', '),
      );
      const job = await getJob(s, 'to-cancel');
      assert.equal(job.state, 'cancelled');
      assert.equal((job.trials as Json[]).length, (cancelled.trials as Json[]).length);
      assert.ok(runs.length <= (job.trials as Json[]).length);
      assert.ok((job.trials as Json[]).every((t) => t.state !== 'running'));
      const again = await s.app.inject({ method: 'POST', url: '/api/v1/tuning-jobs/to-cancel/cancel' });
      assert.equal(again.statusCode, 409);
      const gone = await s.app.inject({ method: 'DELETE', url: '/api/v1/tuning-jobs/to-cancel' });
      assert.equal(gone.statusCode, 200, gone.body);
      assert.equal(
        (await s.app.inject({ method: 'GET', url: '/api/v1/tuning-jobs/to-cancel' })).statusCode,
        404,
      );
    });

    test('a metric the runs do not record: every trial fails, the job fails saying why', async () => {
      const body = jobBody('no-metric', {
        metric: 'validation_nope',
        maxTrials: 2,
        params: { n_estimators: 5 },
      });
      assert.equal((await create(s, body)).statusCode, 201);
      const job = await until('job end', async () => {
        const j = await getJob(s, 'no-metric');
        return ended(j) && j;
      });
      assert.equal(job.state, 'failed');
      assert.match(
        job.error as string,
        /no trial succeeded: run \S+ recorded no metric 'validation_nope' \(it has: .*validation_roc_auc/,
      );
      assert.deepEqual(
        (job.trials as Json[]).map((t) => t.state),
        ['failed', 'failed'],
      );
      assert.equal(job.best, null);
    });

    const badInputs: Array<[string, Json, string]> = [
      ['unknown learner', { learner: 'nope' }, 'learner'],
      ['bad space bounds', { space: { max_depth: { type: 'int', low: 5, high: 2 } } }, 'space.max_depth'],
      [
        'unknown space type',
        { space: { max_depth: { type: 'integer', low: 1, high: 2 } } },
        'space.max_depth',
      ],
      ['param not of the learner', { space: { depth: { type: 'int', low: 1, high: 3 } } }, 'space.depth'],
      [
        'value outside the learner rules',
        { space: { learning_rate: { type: 'float', low: -1, high: -0.5 } } },
        'space.learning_rate',
      ],
      ['unknown direction', { direction: 'up' }, 'direction'],
      ['max trials < 1', { maxTrials: 0 }, 'maxTrials'],
      ['parallelism 0', { parallelism: 0 }, 'parallelism'],
      ['unknown algorithm', { algorithm: 'anneal' }, 'algorithm'],
      ['target not a column', { target: 'nope' }, 'target'],
    ];
    for (const [what, patch, field] of badInputs) {
      test(`bad input: ${what} → 400 naming ${field}`, async () => {
        const res = await create(s, jobBody('bad', patch));
        assert.equal(res.statusCode, 400, res.body);
        const body = res.json() as Json;
        assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.ok(
          (body.errors as Json[]).some((e) => e.field === field),
          res.body,
        );
      });
    }

    test('a name already taken → 409; an unknown dataset → 404', async () => {
      assert.equal((await create(s, jobBody('search-random'))).statusCode, 409);
      assert.equal((await create(s, jobBody('other', { dataset: 'missing' }))).statusCode, 404);
    });
  });

  describe(`tuning jobs across a restart (${dialect})`, () => {
    test('a job running when its server stops finishes on the next one, trials not repeated', async () => {
      const store = await freshStore(dialect);
      let s = await startServer(store);
      try {
        await upload(s);
        const body = jobBody('restarted', {
          algorithm: 'tpe',
          params: { n_estimators: 300 },
          maxTrials: 5,
          parallelism: 2,
        });
        assert.equal((await create(s, body)).statusCode, 201);
        const before = await until('two trials started', async () => {
          const j = await getJob(s, 'restarted');
          return (j.trials as Json[]).filter((t) => t.runId).length >= 2 && j;
        });
        const inFlight = (before.trials as Json[]).filter((t) => t.state === 'running').length;
        assert.ok(inFlight > 0, 'the server stops with trial runs in flight');
        await s.stop(0);
        s = await startServer(store);
        const job = await until('job end', async () => {
          const j = await getJob(s, 'restarted');
          return ended(j) && j;
        }).catch(async (e: Error) => {
          // Say where it stood: the trials and their runs (state, attempt, reason).
          const j = await getJob(s, 'restarted');
          const runs = await s.services.runs.listByLabels({ tuning_job: 'restarted' });
          const states = runs.map((r) => `${r.labels.trial}:${r.state}/${r.attempt}/${r.reason}`);
          const trials = (j.trials as Json[]).map((t) => `${t.number}:${t.state}`);
          throw new Error(
            `${e.message}; job ${j.state}, trials ${trials.join(' ')}; runs ${states.join(' ')}`,
          );
        });
        assert.equal(job.state, 'succeeded', job.error as string);
        const trials = job.trials as Json[];
        assert.deepEqual(
          trials.map((t) => t.number),
          [0, 1, 2, 3, 4],
        );
        assert.equal(new Set(trials.map((t) => t.runId)).size, 5);
        const runs = await s.services.runs.listByLabels({ tuning_job: 'restarted' });
        assert.equal(runs.length, 5, 'one run per trial, none submitted twice');
        // Runs the stopped server aborted are re-queued (trial runs get a retry) and awaited here;
        // each trial ends as its run did.
        for (const t of trials) {
          const run = await s.services.runs.get(t.runId as string);
          assert.equal(t.state, run.state === 'succeeded' ? 'succeeded' : 'failed', JSON.stringify(t));
        }
        assert.ok(trials.some((t) => t.state === 'succeeded'));
      } finally {
        await s.stop();
        await store.close();
      }
    });
  });
}
