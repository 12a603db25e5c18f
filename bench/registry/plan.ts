/**
 * Prints the SQL, SQLite query plan and time of each benchmark query on a kept 100k-version
 * SQLite file (/tmp/modelyard-registry-plan.db, seeded on first use): the tool for index work.
 *   npx tsx bench/registry/plan.ts
 */
import { sql } from 'kysely';
import pino from 'pino';
import { openDb } from '../../src/infra/db/kysely.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { createRegistryService } from '../../src/modules/registry/registry.service.js';
import { createLocalBlobStore } from '../../src/infra/blobs/local-blob-store.js';
const h = await openDb({ databaseUrl: '', sqlitePath: '/tmp/modelyard-registry-plan.db' });
await migrateToLatest(h.db);
const reg = createRegistryService({
  db: h.db,
  dialect: 'sqlite',
  blobs: createLocalBlobStore('/tmp/modelyard-registry-plan-blobs'),
  logger: pino({ level: 'silent' }),
});
const n = (await sql<{ n: number }>`select count(*) as n from model_versions`.execute(h.db)).rows[0]!.n;
console.log('rows', n);
const { QUERIES, seed } = await import('./seed.js');
if (n === 0) console.log('seed ms', await seed(h.db, 'sqlite', 100000));
for (const q of QUERIES) {
  const c = reg.compileSearch(q, 51, (q.page ?? 0) * 50);
  console.log(c.sql);
  const plan = await h.db.executeQuery({ ...c, sql: 'explain query plan ' + c.sql } as never);
  console.log((plan.rows as Array<{ detail: string }>).map((r) => r.detail).join('\n'));
  const t = performance.now();
  for (let i = 0; i < 5; i++) await h.db.executeQuery(c);
  console.log('ms', (performance.now() - t) / 5);
}
await h.close();
