/**
 * MISTK tests over real HTTP: an app on a given store listening on a port, a caller for one
 * instance's MISTK base path, polling until a state, and the breast-cancer data split into
 * train/test CSV files (as a MISTK harness would lay them out).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { buildApp, type BuiltApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Deps } from '../src/deps.js';
import { createLocalBlobStore } from '../src/infra/blobs/local-blob-store.js';
import { createMemoryJobQueue } from '../src/infra/queue/memory-job-queue.js';
import { freshStore, type TestStore } from './helpers/db.js';
import type { DbDialect } from '../src/infra/db/kysely.js';

export type Json = Record<string, unknown>;

export interface MistkServer extends BuiltApp {
  url: string;
  close(): Promise<void>;
}

/** What a server on `store` is built from (each call: its own queue and logger). */
export function storeDeps(store: TestStore): Deps {
  const config = {
    ...loadConfig({ dataDir: store.dataDir, logLevel: 'silent' }, {}),
    databaseUrl: store.databaseUrl,
  };
  return {
    config,
    db: store.db,
    dialect: store.dialect,
    blobs: createLocalBlobStore(join(store.dataDir, 'blobs')),
    queue: createMemoryJobQueue(),
    logger: pino({ level: 'silent' }),
    close: async () => {},
  };
}

/** A server on `store` (not closed with it: a test can start another one on the same data). */
export async function startMistkServer(store: TestStore): Promise<MistkServer> {
  const deps = storeDeps(store);
  const built = await buildApp(deps);
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const address = built.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    ...built,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await built.app.close();
      await deps.queue.close();
    },
  };
}

export interface Answer {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
  json: any;
  type: string;
}

export async function http(url: string, method = 'GET', body?: unknown): Promise<Answer> {
  const res = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, type: res.headers.get('content-type') ?? '' };
}

/** A MISTK caller on one base path (`…/v1/mistk`). */
export function mistk(base: string) {
  const call = (method: string, path: string, body?: unknown) => http(base + path, method, body);
  /** Calls and asserts MISTK's "task submitted": 200, empty body. */
  async function ok(path: string, body?: unknown) {
    const r = await call('POST', path, body);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    assert.equal(r.text, '');
  }
  /** Calls and asserts a ServiceError with this code; returns its message. */
  async function fails(method: string, path: string, code: number, body?: unknown): Promise<string> {
    const r = await call(method, path, body);
    assert.equal(r.status, code, `${path}: ${r.text}`);
    assert.equal(r.json.code, code);
    assert.equal(typeof r.json.message, 'string');
    return r.json.message as string;
  }
  async function status(): Promise<Json> {
    const r = await call('GET', '/status');
    assert.equal(r.status, 200, r.text);
    return r.json as Json;
  }
  /** Polls /status (up to 120 s: the machine may be loaded) until the state is one of `states`. */
  async function until(...states: string[]): Promise<Json> {
    const end = Date.now() + 120_000;
    for (;;) {
      const s = await status();
      if (states.includes(s.state as string)) return s;
      if (s.state === 'failed' && !states.includes('failed'))
        throw new Error(`instance failed: ${JSON.stringify(s.payload)}`);
      if (Date.now() > end) throw new Error(`still ${String(s.state)} after 120 s`);
      await sleep(25);
    }
  }
  return { call, ok, fails, status, until };
}

export type Mistk = ReturnType<typeof mistk>;

/** The JSON lines of a streaming response (keep-alive spaces skipped), as they arrive. */
export async function* jsonLines(res: Response): AsyncGenerator<Json> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      pending += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== '') yield JSON.parse(line) as Json;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** breast_cancer.csv as dir/train.csv (4 rows in 5) and dir/test/test.csv (the 5th, with an id column). */
export function writeBreastCancer(dir: string): { train: string; test: string; testRows: string[] } {
  const lines = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'), 'utf8')
    .trim()
    .split('\n');
  const [header, ...rows] = lines;
  const train = rows.filter((_, i) => i % 5 !== 0);
  const test = rows.filter((_, i) => i % 5 === 0);
  mkdirSync(join(dir, 'test'), { recursive: true });
  writeFileSync(join(dir, 'train.csv'), [header, ...train].join('\n') + '\n');
  writeFileSync(
    join(dir, 'test', 'test.csv'),
    [`id,${header}`, ...test.map((r, i) => `row${i},${r}`)].join('\n') + '\n',
  );
  return { train: join(dir, 'train.csv'), test: join(dir, 'test'), testRows: test };
}

/** The usual first steps: initialize, build a fresh model, load train and test data; ends `ready`. */
export async function prepare(m: Mistk, data: { train: string; test: string }, init: Json = {}) {
  await m.ok('/initialize', { objectives: ['training', 'prediction'], ...init });
  await m.until('initialized');
  await m.ok('/buildModel');
  await m.until('ready');
  await m.ok('/loadData', {
    train: { objectInfo: { kind: 'MistkDataset', name: 'bc-train' }, dataPath: data.train },
    test: { objectInfo: { kind: 'MistkDataset', name: 'bc-test' }, dataPath: data.test },
  });
  await m.until('ready');
}

/** What a MISTK suite works on; `server` may be replaced by a test (a restart) and is closed at the end. */
export interface MistkSuite {
  store: TestStore;
  server: MistkServer;
  dir: string;
  data: ReturnType<typeof writeBreastCancer>;
}

/**
 * Registers the describe's before/after: a fresh store of `dialect`, a server on it and the
 * breast-cancer files in a temp dir named `prefix…`; filled in by `before`.
 */
export function mistkSuite(dialect: DbDialect, prefix: string): MistkSuite {
  const fx = {} as MistkSuite;
  before(async () => {
    fx.store = await freshStore(dialect);
    fx.server = await startMistkServer(fx.store);
    fx.dir = mkdtempSync(join(tmpdir(), prefix));
    fx.data = writeBreastCancer(fx.dir);
  });
  after(async () => {
    await fx.server.close();
    await fx.store.close();
    rmSync(fx.dir, { recursive: true, force: true });
  });
  return fx;
}
