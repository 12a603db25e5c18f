/**
 * A server of tuning-jobs tests on a store that outlives it: stop one and start another on the
 * same database and blobs to see a restart, as `modelyard up` does (run recovery, then a worker).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createExecutors, type Deps } from '../src/deps.js';
import { createLocalBlobStore } from '../src/infra/blobs/local-blob-store.js';
import { createMemoryJobQueue } from '../src/infra/queue/memory-job-queue.js';
import { startRunWorker } from '../src/modules/runs/index.js';
import type { TestStore } from './helpers/db.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TuningServer extends BuiltApp {
  /** Closes the server; runs still going after `graceMs` are aborted, as when a server dies. */
  stop(graceMs?: number): Promise<void>;
}

export async function startServer(store: TestStore): Promise<TuningServer> {
  const config = {
    ...loadConfig({ dataDir: store.dataDir, logLevel: 'silent' }, {}),
    databaseUrl: store.databaseUrl,
  };
  const deps: Deps = {
    config,
    db: store.db,
    dialect: store.dialect,
    blobs: createLocalBlobStore(join(store.dataDir, 'blobs')),
    queue: createMemoryJobQueue(),
    logger: pino({ level: 'silent' }),
    close: async () => {},
  };
  const built = await buildApp(deps);
  await built.services.runs.recover();
  const worker = startRunWorker({
    deps,
    runs: built.services.runs,
    datasets: built.services.datasets,
    registry: built.services.registry,
    tokens: built.services.tokens,
    executors: createExecutors(config),
    apiUrl: 'http://127.0.0.1:1',
    queues: { default: 2 },
  });
  await built.app.ready();
  return {
    ...built,
    stop: async (graceMs = 2000) => {
      await built.app.close();
      await worker.close({ timeoutMs: graceMs });
      built.services.runs.close();
      await deps.queue.close();
    },
  };
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export async function getJob(s: BuiltApp, name: string): Promise<Json> {
  const res = await s.app.inject({ method: 'GET', url: `/api/v1/tuning-jobs/${name}` });
  if (res.statusCode !== 200) throw new Error(res.body);
  return res.json() as Json;
}

export const ended = (j: Json) => ['succeeded', 'failed', 'cancelled'].includes(j.state as string);

/** Uploads `source` as train.cjs through the runs code endpoint; returns the code id. */
export async function uploadProgram(s: BuiltApp, source: string): Promise<string> {
  const res = await s.app.inject({
    method: 'POST',
    url: '/api/v1/runs/code?fileName=train.cjs',
    headers: { 'content-type': 'application/octet-stream' },
    payload: source,
  });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as Json).id as string;
}

/** Uploads the breast-cancer fixture as dataset `bc` (target `target`, seed 1). */
export async function uploadBreastCancer(s: BuiltApp): Promise<void> {
  const up = await s.app.inject({
    method: 'POST',
    url: '/api/v1/datasets?name=bc&target=target&seed=1',
    headers: { 'content-type': 'text/csv' },
    payload: readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv')),
  });
  assert.equal(up.statusCode, 201, up.body);
}

export const createJob = (s: BuiltApp, body: Json) =>
  s.app.inject({ method: 'POST', url: '/api/v1/tuning-jobs', payload: body });

/** Waits for tuning job `name` to end; returns it. */
export const finished = (s: BuiltApp, name: string): Promise<Json> =>
  until(`job ${name} to end`, async () => {
    const j = await getJob(s, name);
    return ended(j) && j;
  });
