/**
 * A real app on a real store for integration tests: SQLite or PostgreSQL, local blobs in a temp dir.
 */
import pino from 'pino';
import { buildApp, type BuiltApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { createLocalBlobStore } from '../../src/infra/blobs/local-blob-store.js';
import type { DbDialect } from '../../src/infra/db/kysely.js';
import { createMemoryJobQueue } from '../../src/infra/queue/memory-job-queue.js';
import { join } from 'node:path';
import { freshStore } from './db.js';

export interface TestApp extends BuiltApp {
  deps: Deps;
  close(): Promise<void>;
}

export async function createTestApp(dialect: DbDialect, overrides: Partial<Config> = {}): Promise<TestApp> {
  const store = await freshStore(dialect);
  const config: Config = {
    ...loadConfig({ dataDir: store.dataDir, logLevel: 'silent' }, {}),
    databaseUrl: store.databaseUrl,
    ...overrides,
  };
  const deps: Deps = {
    config,
    db: store.db,
    dialect: store.dialect,
    blobs: createLocalBlobStore(join(store.dataDir, 'blobs')),
    queue: createMemoryJobQueue(),
    logger: pino({ level: 'silent' }),
    close: store.close,
  };
  const built = await buildApp(deps);
  return {
    ...built,
    deps,
    close: async () => {
      await built.app.close();
      await deps.queue.close();
      await store.close();
    },
  };
}
