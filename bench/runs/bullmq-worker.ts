/** A BullMQ consumer process for bench/runs: drains tiny jobs and prints one line per 100 done. */
import pino from 'pino';
import { createBullmqJobQueue } from '../../src/infra/queue/bullmq-job-queue.js';

const [url, prefix, queueName, concurrency] = process.argv.slice(2) as [string, string, string, string];
const queue = await createBullmqJobQueue({ url, prefix, logger: pino({ level: 'silent' }) });
let done = 0;
let tail: NodeJS.Timeout | undefined;
queue.process<{ n: number }>(
  queueName,
  async (job) => {
    JSON.stringify(job.data);
    done++;
    if (done % 50 === 0) process.stdout.write(`done ${done}\n`);
    else {
      // Report the tail too, so the producer sees the total even when it is not a multiple of 50.
      clearTimeout(tail);
      tail = setTimeout(() => process.stdout.write(`done ${done}\n`), 20);
    }
  },
  { concurrency: Number(concurrency) },
);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void queue.close({ timeoutMs: 1000 }).then(() => process.exit(0)));
