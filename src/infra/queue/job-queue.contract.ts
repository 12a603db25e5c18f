/**
 * The behaviour every JobQueue adapter must have. Each adapter's test file calls
 * `runJobQueueContract` with a factory of fresh queues that no other test sees.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { AppError } from '../../errors.js';
import { NonRetryableError, type JobQueue, type QueueJob } from './job-queue.js';

export interface JobQueueFixture {
  queue: JobQueue;
  /**
   * A second, independent instance over the same backing store (a new process, in effect).
   * Adapters whose jobs live in process memory omit it.
   */
  reopen?: () => JobQueue;
  /** Closes the queue and removes whatever the test left in the backend. */
  close(): Promise<void>;
}

/** Resolves once check() holds, polling; fails after timeoutMs with the message. */
export async function eventually(check: () => boolean | Promise<boolean>, message: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${message}`);
    await sleep(10);
  }
}

export function runJobQueueContract(label: string, open: () => Promise<JobQueueFixture>): void {
  describe(`JobQueue contract (${label})`, () => {
    let fx: JobQueueFixture | undefined;
    const others: JobQueue[] = [];
    const fresh = async () => {
      fx = await open();
      return fx.queue;
    };
    afterEach(async () => {
      for (const q of others.splice(0)) await q.close({ timeoutMs: 100 });
      await fx?.close();
      fx = undefined;
    });

    it('delivers every job exactly once, with its name and data', async () => {
      const q = await fresh();
      const seen: string[] = [];
      for (let i = 0; i < 20; i++) await q.add('q', { id: `j-${i}`, name: 'work', data: { n: i } });
      const done = new Set<string>();
      q.process<{ n: number }>(
        'q',
        async (job) => {
          assert.equal(job.name, 'work');
          assert.equal(job.id, `j-${job.data.n}`);
          assert.equal(job.attempt, 1);
          seen.push(job.id);
        },
        { concurrency: 3, onCompleted: (job) => done.add(job.id) },
      );
      await eventually(() => done.size === 20, 'all 20 jobs completed');
      await sleep(100);
      assert.equal(seen.length, 20);
      assert.equal(new Set(seen).size, 20);
      assert.deepEqual(await q.counts('q'), { waiting: 0, delayed: 0, active: 0 });
    });

    it('add is idempotent on id while the job is held, and the id is free once it finished', async () => {
      const q = await fresh();
      assert.equal(await q.add('q', { id: 'same', name: 'a', data: 1 }), true);
      assert.equal(await q.add('q', { id: 'same', name: 'b', data: 2 }), false);
      assert.deepEqual(await q.counts('q'), { waiting: 1, delayed: 0, active: 0 });
      const seen: unknown[] = [];
      q.process('q', async (job) => void seen.push(job.data), { concurrency: 1 });
      await eventually(() => seen.length === 1, 'first delivery');
      await eventually(async () => (await q.counts('q')).active === 0, 'job finished');
      assert.equal(await q.add('q', { id: 'same', name: 'c', data: 3 }), true);
      await eventually(() => seen.length === 2, 'second delivery');
      assert.deepEqual(seen, [1, 3]);
    });

    it('delivers by priority (lower first, unset first of all, FIFO among equals) with concurrency 1', async () => {
      const q = await fresh();
      const plan: Array<[string, number | undefined]> = [
        ['p5', 5],
        ['p1-a', 1],
        ['p3', 3],
        ['none', undefined],
        ['p1-b', 1],
        ['p2', 2],
      ];
      for (const [id, priority] of plan) await q.add('q', { id, name: 'x', data: null, priority });
      const order: string[] = [];
      q.process('q', async (job) => void order.push(job.id), { concurrency: 1 });
      await eventually(() => order.length === plan.length, 'all delivered');
      assert.deepEqual(order, ['none', 'p1-a', 'p1-b', 'p2', 'p3', 'p5']);
    });

    it('never runs more handlers than the concurrency, and reaches it', async () => {
      const q = await fresh();
      let running = 0;
      let peak = 0;
      let finished = 0;
      for (let i = 0; i < 12; i++) await q.add('q', { id: `c-${i}`, name: 'x', data: null });
      q.process(
        'q',
        async () => {
          running += 1;
          peak = Math.max(peak, running);
          await sleep(40);
          running -= 1;
          finished += 1;
        },
        { concurrency: 3 },
      );
      await eventually(() => finished === 12, 'all finished');
      assert.equal(peak, 3);
    });

    it('retries with exponential backoff, then reports the final failure', async () => {
      const q = await fresh();
      const deliveries: Array<{ attempt: number; atMs: number }> = [];
      const retries: Array<{ attempt: number; delayMs: number; message: string }> = [];
      const failed: Array<{ id: string; attempt: number; message: string }> = [];
      q.process(
        'q',
        async (job) => {
          deliveries.push({ attempt: job.attempt, atMs: Date.now() });
          throw new Error(`boom ${job.attempt}`);
        },
        {
          concurrency: 1,
          onRetrying: (job, err, delayMs) =>
            retries.push({ attempt: job.attempt, delayMs, message: err.message }),
          onFailed: (job, err) => failed.push({ id: job.id, attempt: job.attempt, message: err.message }),
        },
      );
      await q.add('q', { id: 'flaky', name: 'x', data: null, attempts: 3, backoffMs: 60 });
      await eventually(() => failed.length === 1, 'final failure reported');
      assert.deepEqual(
        deliveries.map((d) => d.attempt),
        [1, 2, 3],
      );
      assert.deepEqual(retries, [
        { attempt: 1, delayMs: 60, message: 'boom 1' },
        { attempt: 2, delayMs: 120, message: 'boom 2' },
      ]);
      assert.deepEqual(failed, [{ id: 'flaky', attempt: 3, message: 'boom 3' }]);
      // Never retried early (a few ms of slack for clock granularity).
      assert.ok(deliveries[1]!.atMs - deliveries[0]!.atMs >= 55, 'first backoff respected');
      assert.ok(deliveries[2]!.atMs - deliveries[1]!.atMs >= 115, 'second backoff doubled');
      await sleep(50);
      assert.deepEqual(await q.counts('q'), { waiting: 0, delayed: 0, active: 0 });
    });

    it('completes a job that succeeds on a retry, and fails at once on NonRetryableError', async () => {
      const q = await fresh();
      const completed: Array<[string, number]> = [];
      const failed: Array<[string, number]> = [];
      q.process(
        'q',
        async (job: QueueJob) => {
          if (job.id === 'second-time' && job.attempt === 1) throw new Error('transient');
          if (job.id === 'hopeless') throw new NonRetryableError('bad input');
        },
        {
          concurrency: 2,
          onCompleted: (job) => completed.push([job.id, job.attempt]),
          onFailed: (job) => failed.push([job.id, job.attempt]),
        },
      );
      await q.add('q', { id: 'second-time', name: 'x', data: null, attempts: 3 });
      await q.add('q', { id: 'hopeless', name: 'x', data: null, attempts: 5, backoffMs: 10 });
      await eventually(() => completed.length === 1 && failed.length === 1, 'both settled');
      assert.deepEqual(completed, [['second-time', 2]]);
      assert.deepEqual(failed, [['hopeless', 1]]);
    });

    it('does not deliver a delayed job early', async () => {
      const q = await fresh();
      let deliveredAt = 0;
      q.process('q', async () => void (deliveredAt = Date.now()), { concurrency: 1 });
      const addedAt = Date.now();
      await q.add('q', { id: 'later', name: 'x', data: null, delayMs: 300 });
      assert.deepEqual(await q.counts('q'), { waiting: 0, delayed: 1, active: 0 });
      await eventually(() => deliveredAt > 0, 'delayed job delivered');
      assert.ok(deliveredAt - addedAt >= 295, `delivered after ${deliveredAt - addedAt} ms`);
    });

    it('removes waiting and delayed jobs, but not active or unknown ones', async () => {
      const q = await fresh();
      await q.add('q', { id: 'keep', name: 'x', data: null });
      await q.add('q', { id: 'drop', name: 'x', data: null });
      await q.add('q', { id: 'drop-later', name: 'x', data: null, delayMs: 60_000 });
      assert.equal(await q.remove('q', 'drop'), true);
      assert.equal(await q.remove('q', 'drop-later'), true);
      assert.equal(await q.remove('q', 'drop'), false);
      assert.equal(await q.remove('q', 'never-added'), false);
      assert.deepEqual(await q.counts('q'), { waiting: 1, delayed: 0, active: 0 });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seen: string[] = [];
      q.process(
        'q',
        async (job) => {
          seen.push(job.id);
          await gate;
        },
        { concurrency: 1 },
      );
      await eventually(() => seen.length === 1, 'kept job delivered');
      assert.equal(await q.remove('q', 'keep'), false, 'an active job cannot be removed');
      assert.equal((await q.counts('q')).active, 1);
      release();
      await eventually(async () => (await q.counts('q')).active === 0, 'kept job finished');
      assert.deepEqual(seen, ['keep']);
    });

    it('keeps queues apart', async () => {
      const q = await fresh();
      await q.add('a', { id: 'x1', name: 'x', data: 'for a' });
      await q.add('b', { id: 'x1', name: 'x', data: 'for b' });
      const seen: unknown[] = [];
      q.process('b', async (job) => void seen.push(job.data), { concurrency: 1 });
      await eventually(() => seen.length === 1, 'b delivered');
      assert.deepEqual(seen, ['for b']);
      assert.deepEqual(await q.counts('a'), { waiting: 1, delayed: 0, active: 0 });
    });

    it('close waits for active handlers, and aborts those outliving its timeout', async () => {
      const q = await fresh();
      let finished = false;
      let started = false;
      const consumer = q.process(
        'q',
        async () => {
          started = true;
          await sleep(200);
          finished = true;
        },
        { concurrency: 1 },
      );
      await q.add('q', { id: 'slow', name: 'x', data: null });
      await eventually(() => started, 'slow job started');
      await consumer.close();
      assert.equal(finished, true);

      let aborted = false;
      let begun = false;
      const stubborn = q.process(
        'q2',
        (job) =>
          new Promise<void>((_, reject) => {
            begun = true;
            job.signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            });
          }),
        { concurrency: 1 },
      );
      await q.add('q2', { id: 'stuck', name: 'x', data: null });
      await eventually(() => begun, 'stuck job started');
      await stubborn.close({ timeoutMs: 100 });
      assert.equal(aborted, true);
    });

    it('does not deliver to a closed consumer; a new consumer takes the rest', async () => {
      const q = await fresh();
      const first: string[] = [];
      const c1 = q.process('q', async (job) => void first.push(job.id), { concurrency: 1 });
      await q.add('q', { id: 'one', name: 'x', data: null });
      await eventually(() => first.length === 1, 'first consumer got one job');
      await c1.close();
      await q.add('q', { id: 'two', name: 'x', data: null });
      await sleep(100);
      assert.deepEqual(first, ['one']);
      const second: string[] = [];
      q.process('q', async (job) => void second.push(job.id), { concurrency: 1 });
      await eventually(() => second.length === 1, 'second consumer got the rest');
      assert.deepEqual(second, ['two']);
    });

    it('keeps jobs across a restart of the queue (when the backend persists)', async (t) => {
      const q = await fresh();
      if (!fx?.reopen) return t.skip('jobs live in process memory');
      for (const id of ['r1', 'r2', 'r3']) await q.add('q', { id, name: 'x', data: id, priority: 1 });
      await q.close();
      const q2 = fx.reopen();
      others.push(q2);
      assert.deepEqual(await q2.counts('q'), { waiting: 3, delayed: 0, active: 0 });
      const seen: unknown[] = [];
      q2.process('q', async (job) => void seen.push(job.data), { concurrency: 1 });
      await eventually(() => seen.length === 3, 'restored jobs delivered');
      assert.deepEqual(seen, ['r1', 'r2', 'r3']);
    });

    it('rejects ids, names and options that are not portable, naming the field', async () => {
      const q = await fresh();
      const invalid = (field: string) => (e: unknown) =>
        e instanceof AppError && e.code === 'invalid' && e.errors[0]?.field === field;
      await assert.rejects(q.add('q', { id: '123', name: 'x', data: null }), invalid('id'));
      await assert.rejects(q.add('q', { id: 'a:b', name: 'x', data: null }), invalid('id'));
      await assert.rejects(q.add('bad queue', { id: 'a', name: 'x', data: null }), invalid('queue'));
      await assert.rejects(
        q.add('q', { id: 'a', name: 'x', data: null, priority: 1.5 }),
        invalid('priority'),
      );
      await assert.rejects(q.add('q', { id: 'a', name: 'x', data: null, attempts: 0 }), invalid('attempts'));
      assert.throws(() => q.process('q', async () => {}, { concurrency: 0 }), AppError);
      assert.deepEqual(await q.counts('q'), { waiting: 0, delayed: 0, active: 0 });
    });
  });
}
