/**
 * Process entry for the server: config → deps → app → listen; closes everything on SIGINT/SIGTERM.
 */
import { buildApp, VERSION } from './app.js';
import type { Config } from './config.js';
import { createDeps, createExecutors, type Deps } from './deps.js';
import { startRunWorker, type RunWorker } from './modules/runs/index.js';
import { isLoopbackHost } from './http/auth.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const started = performance.now();
  const deps = await createDeps(config);
  const { app, services } = await buildApp(deps);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    await app.close();
    await deps.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  // Puts a crashed process left half-written; in the background, as it may walk a large store.
  const sweep = sweepAbandonedWrites(deps);
  // Runs: settle what a previous process left, then execute runs here unless workers do it.
  const recovered = await services.runs.recover();
  let runWorker: RunWorker | null = null;
  if (config.runWorker === 'on') {
    runWorker = startRunWorker({
      deps,
      runs: services.runs,
      datasets: services.datasets,
      registry: services.registry,
      tokens: services.tokens,
      executors: createExecutors(config),
      apiUrl: config.publicUrl || url,
      queues: config.runQueues,
    });
  }
  if (recovered.requeued + recovered.orphaned > 0) deps.logger.info(recovered, 'runs recovered after start');
  const tokenCount = await services.tokens.activeCount();
  const open = config.authMode === 'auto' && isLoopbackHost(config.host) && tokenCount === 0;
  deps.logger.info(
    {
      url,
      version: VERSION,
      db: deps.dialect,
      blobs: deps.blobs.describe(),
      auth: open ? 'open (loopback, no tokens)' : 'token required',
      startupMs: Math.round(performance.now() - started),
    },
    `Modelyard listening on ${url}`,
  );
  if (!open && tokenCount === 0) {
    deps.logger.warn('no API token exists yet: create one with `modelyard tokens create --role admin`');
  }
  let closing: Promise<void> | null = null;
  return {
    url,
    close: () => {
      closing ??= (async () => {
        await runWorker?.close({ timeoutMs: 5000 });
        await sweep;
        services.runs.close();
        await app.close();
        await deps.close();
      })();
      return closing;
    },
  };
}

/** How long a temp blob must sit unwritten before start-up removes it as a crash's leftover. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/** Removes blobs of puts abandoned over an hour ago; never fails start-up, only logs. */
async function sweepAbandonedWrites(deps: Deps): Promise<void> {
  try {
    const removed = await deps.blobs.removeAbandonedWrites(new Date(Date.now() - ABANDONED_AFTER_MS));
    if (removed > 0) deps.logger.info({ removed }, 'removed blobs of puts abandoned by an earlier process');
  } catch (e) {
    deps.logger.warn({ err: e }, 'could not remove abandoned blob writes');
  }
}

/** Runs until a signal arrives, then closes cleanly; a second signal forces exit. */
export async function runUntilSignal(config: Config): Promise<void> {
  const server = await startServer(config);
  process.stdout.write(`Modelyard ${VERSION} is up at ${server.url}  (API docs: ${server.url}/docs)\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write(`received ${signal}, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
