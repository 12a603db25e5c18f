/** Shared setup of the runs suites: a listening app with a run worker, and polling helpers. */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../src/config.js';
import { createExecutors } from '../src/deps.js';
import type { DbDialect } from '../src/infra/db/kysely.js';
import { startRunWorker, type RunView } from '../src/modules/runs/index.js';
import { createTestApp, type TestApp } from './helpers/app.js';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RunsTestApp extends TestApp {
  url: string;
}

export async function createRunsTestApp(
  dialect: DbDialect,
  overrides: Partial<Config> = {},
  options: { freshTaskThreads?: boolean } = {},
): Promise<RunsTestApp> {
  const t = await createTestApp(dialect, overrides);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const worker = startRunWorker({
    deps: t.deps,
    runs: t.services.runs,
    datasets: t.services.datasets,
    registry: t.services.registry,
    tokens: t.services.tokens,
    executors: {
      ...createExecutors(t.deps.config),
      // A new thread per task (no warm pool): its start-up gives a test time to act on a run
      // between "running" and the task's first round.
      ...(options.freshTaskThreads
        ? {
            task: (await import('../src/infra/executor/thread-executor.js')).createThreadExecutor({
              pool: { maxIdle: 0 },
            }),
          }
        : {}),
      process: (await import('../src/infra/executor/process-executor.js')).createProcessExecutor({
        workRoot: `${t.deps.config.dataDir}/work`,
        killGraceMs: 500,
      }),
    },
    apiUrl: url,
    queues: { default: 4, other: 1 },
  });
  return {
    ...t,
    url,
    close: async () => {
      await worker.close({ timeoutMs: 2000 });
      t.services.runs.close();
      await t.close();
    },
  };
}

/** Polls a run until `until` holds (default: a terminal state). */
export async function waitRun(
  t: TestApp,
  id: string,
  until: (r: RunView) => boolean = (r) => ['succeeded', 'failed', 'cancelled'].includes(r.state),
  timeoutMs = 30_000,
): Promise<RunView> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.services.runs.get(id);
    if (until(r)) return r;
    if (Date.now() > end)
      throw new Error(`run ${id} still ${r.state} (${r.reason}: ${r.message}) after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export async function uploadDataset(t: TestApp, name: string, csv: Buffer | string, target: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/datasets?name=${name}&target=${encodeURIComponent(target)}&seed=1`,
    headers: { 'content-type': 'text/csv' },
    payload: csv,
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json() as Json;
}

export async function uploadCode(t: TestApp, fileName: string, body: Buffer | string) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/runs/code?fileName=${encodeURIComponent(fileName)}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: body,
  });
}

export async function submit(t: TestApp, body: Json) {
  return t.app.inject({ method: 'POST', url: '/api/v1/runs', payload: body });
}

/** Submits a shell script as user code; returns the run id. */
export async function submitScript(t: TestApp, script: string, extra: Json = {}): Promise<string> {
  const code = await uploadCode(t, 'job.sh', script);
  if (code.statusCode !== 201) throw new Error(code.body);
  const res = await submit(t, { codeId: (code.json() as Json).id, command: 'sh job.sh', ...extra });
  if (res.statusCode !== 201) throw new Error(res.body);
  return (res.json() as Json).id as string;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
