/**
 * Registry search benchmark. Creates 100k model versions with tags and metrics on SQLite and on
 * PostgreSQL (bulk inserts), then times ClearML get_all-style queries (regex + tags + order +
 * page) through the HTTP API (app.inject: routing, validation, query, child rows, JSON) and the
 * very same SQL run directly, and prints p50/p99 and the API/SQL ratio.
 *
 *   npm run bench:registry                      # SQLite, plus PostgreSQL at DATABASE_URL
 *   BENCH_ROWS=20000 npm run bench:registry     # smaller run
 *
 * Writes bench/results/registry.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { createLocalBlobStore } from '../../src/infra/blobs/local-blob-store.js';
import { openDb, type DbDialect } from '../../src/infra/db/kysely.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { QUERIES, seed } from './seed.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 60);
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function openStore(dialect: DbDialect) {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-bench-'));
  if (dialect === 'sqlite') {
    const h = await openDb({ databaseUrl: '', sqlitePath: join(dataDir, 'modelyard.db') });
    return { ...h, dataDir, url: '', drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const { default: pg } = await import('pg');
  const name = `modelyard_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  const h = await openDb({ databaseUrl: u.toString(), sqlitePath: '' });
  return {
    ...h,
    dataDir,
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: PG_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number) => Math.round(x * 1000) / 1000;

async function benchDialect(dialect: DbDialect) {
  const store = await openStore(dialect);
  try {
    await migrateToLatest(store.db);
    const seedMs = await seed(store.db, dialect, ROWS);
    const config = {
      ...loadConfig({ dataDir: store.dataDir, logLevel: 'silent' }, {}),
      databaseUrl: store.url,
    };
    const deps = {
      config,
      db: store.db,
      dialect,
      blobs: createLocalBlobStore(join(store.dataDir, 'blobs')),
      logger: pino({ level: 'silent' }),
      close: store.close,
    } as unknown as Deps;
    const { app, services } = await buildApp(deps);
    await app.ready();
    const api: number[] = [];
    const raw: number[] = [];
    const matches: number[] = [];
    for (const q of QUERIES) {
      const compiled = services.registry.compileSearch(q, q.pageSize + 1, (q.page ?? 0) * q.pageSize);
      for (let i = 0; i < 5; i++) {
        await app.inject({ method: 'POST', url: '/api/v1/models/search', payload: q });
        await store.db.executeQuery(compiled);
      }
      for (let i = 0; i < ITERATIONS; i++) {
        let t = performance.now();
        const r = await app.inject({ method: 'POST', url: '/api/v1/models/search', payload: q });
        api.push(performance.now() - t);
        if (r.statusCode !== 200) throw new Error(`search answered ${r.statusCode}: ${r.body}`);
        if (i === 0) matches.push((r.json() as { items: unknown[] }).items.length);
        t = performance.now();
        await store.db.executeQuery(compiled);
        raw.push(performance.now() - t);
      }
    }
    await app.close();
    const result = {
      api_p50_ms: round(pct(api, 50)),
      api_p99_ms: round(pct(api, 99)),
      sql_p50_ms: round(pct(raw, 50)),
      sql_p99_ms: round(pct(raw, 99)),
      ratio: round(pct(api, 50) / pct(raw, 50)),
      seed_ms: Math.round(seedMs),
      rows_per_query: matches,
    };
    return result;
  } finally {
    await store.close();
    await store.drop();
  }
}

async function postgresReachable(): Promise<boolean> {
  try {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const results: Record<string, unknown> = {};
results.sqlite = await benchDialect('sqlite');
if (await postgresReachable()) results.postgres = await benchDialect('postgres');
else process.stderr.write(`PostgreSQL not reachable at ${PG_URL}: skipped\n`);

const out = {
  benchmark: 'registry search (get_all-style: regex + tags + order + page), API vs the same SQL',
  rows: ROWS,
  iterations_per_query: ITERATIONS,
  queries: QUERIES,
  ...results,
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  goal: 'API p50 <= 2x raw SQL p50; SQLite API p50 < 20 ms at 100k versions',
  date: new Date().toISOString(),
};
mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, '..', 'results', 'registry.json'),
  JSON.stringify(out, null, 2) + '\n',
);
process.stdout.write(
  `registry search at ${ROWS} versions (${ITERATIONS} runs x ${QUERIES.length} queries)\n`,
);
process.stdout.write('dialect    api p50  api p99  sql p50  ratio  seed\n');
for (const d of ['sqlite', 'postgres']) {
  const r = results[d] as
    | { api_p50_ms: number; api_p99_ms: number; sql_p50_ms: number; ratio: number; seed_ms: number }
    | undefined;
  if (!r) continue;
  process.stdout.write(
    `${d.padEnd(9)} ${r.api_p50_ms.toFixed(2).padStart(7)}  ${r.api_p99_ms.toFixed(2).padStart(7)}  ${r.sql_p50_ms.toFixed(2).padStart(7)}  ${r.ratio.toFixed(2).padStart(5)}  ${(r.seed_ms / 1000).toFixed(1)} s\n`,
  );
}
