import { runJobQueueContract } from './job-queue.contract.js';
import { createMemoryJobQueue } from './memory-job-queue.js';

runJobQueueContract('memory', async () => {
  const queue = createMemoryJobQueue();
  return { queue, close: () => queue.close({ timeoutMs: 100 }) };
});
