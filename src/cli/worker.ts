/**
 * `modelyard worker`: a process that executes runs from the shared Redis queue, apart from the
 * server.
 */
import type { Command } from 'commander';
import { loadClientConfig, loadConfig } from '../config.js';
import { CliError, type GlobalOptions } from './client.js';

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const collect = (v: string, acc: string[] = []) => [...acc, v];

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'execute runs from the shared Redis queue (needs REDIS_URL and the shared DATABASE_URL / S3 settings)',
    )
    .option(
      '--queue <name=concurrency>',
      'queue to consume (repeatable; default MODELYARD_RUN_QUEUES)',
      collect,
      [],
    )
    .option('--api-url <url>', 'API URL handed to user code (default MODELYARD_PUBLIC_URL, then --url)')
    .action(async (o: { queue: string[]; apiUrl?: string }, cmd: Command) => {
      const config = loadConfig();
      if (config.queueBackend !== 'redis')
        throw new CliError(
          'a separate worker needs the Redis queue: set REDIS_URL (and the same DATABASE_URL as the server)',
          2,
        );
      const { parseRunQueues } = await import('../config.js');
      const queues = o.queue.length ? parseRunQueues(o.queue.join(',')) : config.runQueues;
      const { createDeps, createExecutors } = await import('../deps.js');
      const { createServices } = await import('../modules/index.js');
      const { startRunWorker } = await import('../modules/runs/index.js');
      const deps = await createDeps(config);
      const services = createServices(deps);
      const worker = startRunWorker({
        deps,
        runs: services.runs,
        datasets: services.datasets,
        registry: services.registry,
        tokens: services.tokens,
        executors: createExecutors(config),
        apiUrl: o.apiUrl ?? (config.publicUrl || loadClientConfig({ url: globals(cmd).url }).url),
        queues,
      });
      process.stdout.write(
        `worker ${worker.id} consuming ${Object.entries(queues)
          .map(([q, n]) => `${q}×${n}`)
          .join(', ')}\n`,
      );
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await worker.close({ timeoutMs: 10_000 });
      services.runs.close();
      await deps.close();
    });
}
