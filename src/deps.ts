/**
 * Composition root: the only file that picks adapters. Everything else receives `Deps`.
 */
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import type { BlobStore } from './infra/blobs/blob-store.js';
import { createLocalBlobStore } from './infra/blobs/local-blob-store.js';
import { openDb, type Db, type DbDialect } from './infra/db/kysely.js';
import { migrateToLatest } from './infra/db/migrate.js';
import type { JobQueue } from './infra/queue/job-queue.js';
import { createMemoryJobQueue } from './infra/queue/memory-job-queue.js';
import type { ProcessExecutor, TaskExecutor } from './infra/executor/executor.js';
import { createProcessExecutor } from './infra/executor/process-executor.js';
import { createThreadExecutor } from './infra/executor/thread-executor.js';

export interface Deps {
  config: Config;
  db: Db;
  dialect: DbDialect;
  blobs: BlobStore;
  /** In-process by default; BullMQ on Redis when config.queueBackend is `redis`. */
  queue: JobQueue;
  logger: Logger;
  /** Releases every connection the deps hold. */
  close(): Promise<void>;
}

export interface CreateDepsOptions {
  /** Use this logger instead of creating one (tests pass a silent one). */
  logger?: Logger;
  /** Skip applying migrations (only for tools that must not touch the schema). */
  skipMigrations?: boolean;
}

export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<Deps> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: undefined });
  const handle = await openDb({
    databaseUrl: config.databaseUrl,
    sqlitePath: join(config.dataDir, 'modelyard.db'),
    onIdleError: (err) => logger.warn({ err }, 'PostgreSQL dropped an idle connection'),
  });
  try {
    if (!options.skipMigrations) await migrateToLatest(handle.db);
    const blobs = config.s3 ? await createS3(config) : createLocalBlobStore(join(config.dataDir, 'blobs'));
    const queue =
      config.queueBackend === 'redis' ? await createBullmq(config, logger) : createMemoryJobQueue({ logger });
    const close = async () => {
      await queue.close();
      await handle.close();
    };
    return { config, db: handle.db, dialect: handle.dialect, blobs, queue, logger, close };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

async function createS3(config: Config): Promise<BlobStore> {
  // Loaded only when configured: the AWS SDK costs start-up time an embedded server should not pay.
  const { createS3BlobStore } = await import('./infra/blobs/s3-blob-store.js');
  return createS3BlobStore(config.s3!);
}

async function createBullmq(config: Config, logger: Logger): Promise<JobQueue> {
  // Loaded only when configured, like the S3 SDK.
  const { createBullmqJobQueue } = await import('./infra/queue/bullmq-job-queue.js');
  return createBullmqJobQueue({
    url: config.redisUrl,
    prefix: config.queuePrefix,
    lockDurationMs: config.queueLockDurationMs,
    stalledIntervalMs: config.queueStalledIntervalMs,
    logger,
  });
}

/** Executors for run workers: user code as local processes (work dirs under dataDir), built-in work on threads. */
export function createExecutors(config: Config): { process: ProcessExecutor; task: TaskExecutor } {
  return {
    process: createProcessExecutor({ workRoot: join(config.dataDir, 'work') }),
    task: createThreadExecutor(),
  };
}

/** The executor model instances run training and batch prediction on: threads of the shared pool. */
export function createInstanceExecutor(): TaskExecutor {
  return createThreadExecutor();
}
