/**
 * bench/runs/wmla-trainings-list: what listing one WMLA model's trainings costs when many other
 * runs exist. Builds the app on a fresh SQLite store (and on PostgreSQL when DATABASE_URL is set),
 * parks OTHER runs labelled as trainings of other models and MINE running trainings of model
 * `crowd` with metric points, then times GET /models/crowd/trainings and counts the SQL statements
 * it sends (a Kysely plugin on the app's db). Prints one JSON line per dialect; run it on two trees
 * (before/after) in alternation to compare. Usage: npx tsx bench/runs/wmla-trainings-list.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KyselyPlugin } from 'kysely';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { createLocalBlobStore } from '../../src/infra/blobs/local-blob-store.js';
import { openDb } from '../../src/infra/db/kysely.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { createMemoryJobQueue } from '../../src/infra/queue/memory-job-queue.js';

const OTHER = Number(process.env.BENCH_OTHER_RUNS ?? 2000);
const MINE = Number(process.env.BENCH_MINE_RUNS ?? 20);
const POINTS = Number(process.env.BENCH_POINTS ?? 50);
const REPS = Number(process.env.BENCH_REPS ?? 15);
const BASE = '/platform/rest/deeplearning/v1';

async function store(dialect: 'sqlite' | 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wmla-list-'));
  if (dialect === 'sqlite') {
    const h = await openDb({ databaseUrl: '', sqlitePath: join(dir, 'modelyard.db') });
    return { h, dir, url: '', drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const { default: pg } = await import('pg');
  const admin = process.env.DATABASE_URL!;
  const name = `bench_wmla_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const h = await openDb({ databaseUrl: url.toString(), sqlitePath: '', onIdleError: () => {} });
  return {
    h,
    dir,
    url: url.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: admin });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function bench(dialect: 'sqlite' | 'postgres') {
  const s = await store(dialect);
  await migrateToLatest(s.h.db);
  const counter = { n: 0 };
  const plugin: KyselyPlugin = {
    transformQuery: (a) => (counter.n++, a.node),
    transformResult: async (a) => a.result,
  };
  const deps: Deps = {
    config: { ...loadConfig({ dataDir: s.dir, logLevel: 'silent' }, {}), databaseUrl: s.url },
    db: s.h.db.withPlugin(plugin),
    dialect,
    blobs: createLocalBlobStore(join(s.dir, 'blobs')),
    queue: createMemoryJobQueue(),
    logger: pino({ level: 'silent' }),
    close: () => s.h.close(),
  };
  const { app, services } = await buildApp(deps);
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url: BASE + url, payload });
  if ((await post('/modeltemplates', { name: 'tpl', path: '/t', framework: 'PyTorch' })).statusCode !== 201)
    throw new Error('template');
  const m = await post('/models', {
    name: 'crowd',
    templatename: 'tpl',
    hyperparameter: { maxiteration: 1000 },
  });
  if (m.statusCode !== 201) throw new Error(m.body);
  const runs = services.runs;
  const code = await runs.uploadCode('job.sh', new TextEncoder().encode('true\n'));
  const park = (model: string, name: string) =>
    runs.submit(
      {
        codeId: code.id,
        command: 'true',
        queue: 'parked',
        params: { maxiteration: 1000 },
        labels: { wmla_model: model, wmla_training: name, wmla_training_settings: '{"clusterSize":1}' },
      },
      'bench',
    );
  for (let i = 0; i < OTHER; i++) await park(`other${i % 50}`, `t${i}`);
  for (let i = 0; i < MINE; i++) {
    const r = await park('crowd', `mine${i}`);
    await runs.internal.transition(r.id, ['queued'], 'running');
    await runs.reportMetrics(
      r.id,
      Array.from({ length: POINTS }, (_, step) => ({ name: 'loss', value: 1 / (step + 1), step })),
      'bench',
    );
  }
  const times: number[] = [];
  let queries = 0;
  let body = '';
  for (let i = 0; i < REPS; i++) {
    counter.n = 0;
    const t0 = performance.now();
    const res = await app.inject({ url: `${BASE}/models/crowd/trainings` });
    times.push(performance.now() - t0);
    queries = counter.n;
    body = res.body;
    if (res.statusCode !== 200) throw new Error(res.body);
  }
  const list = JSON.parse(body) as Array<{ progress: string }>;
  counter.n = 0;
  await app.inject({ url: `${BASE}/models/crowd/trainings/mine0` });
  const oneQueries = counter.n;
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      dialect,
      otherRuns: OTHER,
      trainings: list.length,
      progress: [...new Set(list.map((x) => x.progress))],
      listQueries: queries,
      getOneQueries: oneQueries,
      listMedianMs: Number(times[Math.floor(times.length / 2)]!.toFixed(2)),
    }),
  );
  await app.close();
  await deps.queue.close();
  await s.h.close();
  await s.drop();
}

await bench('sqlite');
if (process.env.DATABASE_URL) await bench('postgres');
