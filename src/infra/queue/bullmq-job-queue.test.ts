/**
 * The JobQueue contract on Redis, when REDIS_URL is set (CI sets it and MODELYARD_REQUIRE_REDIS=1,
 * so a missing server fails instead of skipping). Every test gets its own key prefix.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { testEnv } from '../../config.js';
import { createBullmqJobQueue, redactUrl, type BullmqJobQueueOptions } from './bullmq-job-queue.js';
import { eventually, runJobQueueContract } from './job-queue.contract.js';
import type { JobQueue } from './job-queue.js';

const env = testEnv();
if (env.requireRedis && env.redisUrl === '') {
  throw new Error('MODELYARD_REQUIRE_REDIS=1 but REDIS_URL is not set');
}
const redisUrl = env.redisUrl;

/** Deletes every key under a prefix. */
async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

const uniquePrefix = () => `mytest-${randomBytes(6).toString('hex')}`;

describe('BullMQ job queue (redis)', { skip: redisUrl === '' ? 'REDIS_URL is not set' : false }, () => {
  runJobQueueContract('bullmq (redis)', async () => {
    const options: BullmqJobQueueOptions = { url: redisUrl, prefix: uniquePrefix() };
    const queue = createBullmqJobQueue(options);
    return {
      queue,
      reopen: () => createBullmqJobQueue(options),
      close: async () => {
        await queue.close({ timeoutMs: 100 });
        await dropPrefix(options.prefix!);
      },
    };
  });

  it('delivers a job again after its consumer process is killed (kill -9) mid-job', async () => {
    const prefix = uniquePrefix();
    const options = { url: redisUrl, prefix, lockDurationMs: 800, stalledIntervalMs: 300 };
    const producer = createBullmqJobQueue(options);
    let survivor: JobQueue | undefined;
    let child: ReturnType<typeof spawn> | undefined;
    try {
      await producer.add('runs', { id: 'run-1', name: 'train', data: { epochs: 3 } });
      // A separate process takes the job and hangs in its handler until killed.
      const moduleUrl = new URL('./bullmq-job-queue.ts', import.meta.url).href;
      const script = `
        const { createBullmqJobQueue } = await import(${JSON.stringify(moduleUrl)});
        const q = createBullmqJobQueue(${JSON.stringify(options)});
        q.process('runs', async (job) => { console.log('took ' + job.id); await new Promise(() => {}); }, { concurrency: 1 });
      `;
      child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      // Generous: a cold tsx start on a loaded 2-core CI machine can take many seconds.
      await eventually(() => out.includes('took run-1'), 'child process took the job', 60_000);
      assert.deepEqual(await producer.counts('runs'), { waiting: 0, delayed: 0, active: 1 });
      child.kill('SIGKILL');
      await once(child, 'exit');

      survivor = createBullmqJobQueue(options);
      const seen: Array<{ id: string; data: unknown; attempt: number }> = [];
      survivor.process(
        'runs',
        async (job) => void seen.push({ id: job.id, data: job.data, attempt: job.attempt }),
        {
          concurrency: 1,
        },
      );
      await eventually(() => seen.length === 1, 'job delivered again to the new consumer', 10_000);
      assert.deepEqual(seen, [{ id: 'run-1', data: { epochs: 3 }, attempt: 1 }]);
      await eventually(async () => (await producer.counts('runs')).active === 0, 'job finished');
    } finally {
      // Never leave the consumer process behind: it would keep the test file alive.
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await survivor?.close({ timeoutMs: 100 });
      await producer.close({ timeoutMs: 100 });
      await dropPrefix(prefix);
    }
  });

  it('describes itself without the password and answers ping', async () => {
    assert.equal(redactUrl('redis://user:secret@host:6379/2'), 'redis://user:***@host:6379/2');
    const prefix = uniquePrefix();
    const q = createBullmqJobQueue({ url: redisUrl, prefix });
    try {
      await q.ping();
      assert.match(q.describe(), /^bullmq:redis:\/\//);
    } finally {
      await q.close();
      await dropPrefix(prefix);
    }
  });
});
