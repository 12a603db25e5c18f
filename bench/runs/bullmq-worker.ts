/**
 * A BullMQ consumer process for bench/runs: drains jobs and prints a `done N` line per 50 done.
 * argv: url prefix queue concurrency [sleepMs]. sleepMs 0 = a tiny CPU-only job (serialise its
 * data); otherwise each job waits that long on a timer, like a job waiting on I/O.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { createBullmqJobQueue } from '../../src/infra/queue/bullmq-job-queue.js';

const [url, prefix, queueName, concurrency, sleepArg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string | undefined,
];
const sleepMs = Number(sleepArg ?? 0);
const queue = await createBullmqJobQueue({ url, prefix, logger: pino({ level: 'silent' }) });
let done = 0;
let tail: NodeJS.Timeout | undefined;
queue.process<{ n: number }>(
  queueName,
  async (job) => {
    if (sleepMs > 0) await sleep(sleepMs);
    else JSON.stringify(job.data);
    done++;
    if (done % 50 === 0) process.stdout.write(`done ${done}\n`);
    else {
      // Report the tail too, so the producer sees the total even when it is not a multiple of 50.
      clearTimeout(tail);
      tail = setTimeout(() => process.stdout.write(`done ${done}\n`), 2);
    }
  },
  { concurrency: Number(concurrency) },
);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void queue.close({ timeoutMs: 1000 }).then(() => process.exit(0)));
