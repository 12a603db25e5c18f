/**
 * Dialects under test: SQLite always; PostgreSQL when DATABASE_URL is set (CI sets it and sets
 * MODELYARD_REQUIRE_POSTGRES=1 so a missing server fails instead of silently skipping).
 * Each call gets a fresh, migrated, isolated store (a throwaway database on PostgreSQL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { testEnv } from '../../src/config.js';
import { openDb, type DbDialect, type DbHandle } from '../../src/infra/db/kysely.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';

export function dialectsUnderTest(): DbDialect[] {
  const env = testEnv();
  if (env.requirePostgres && env.databaseUrl === '')
    throw new Error('MODELYARD_REQUIRE_POSTGRES=1 but DATABASE_URL is not set');
  return env.databaseUrl === '' ? ['sqlite'] : ['sqlite', 'postgres'];
}

export interface TestStore extends DbHandle {
  /** SQLite path or PostgreSQL URL of this store, to hand to a server under test. */
  databaseUrl: string;
  dataDir: string;
}

/** A fresh, migrated store of the given dialect; close() drops it. */
export async function freshStore(dialect: DbDialect): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-test-'));
  if (dialect === 'sqlite') {
    const handle = await openDb({ databaseUrl: '', sqlitePath: join(dataDir, 'modelyard.db') });
    await migrateToLatest(handle.db);
    return {
      ...handle,
      databaseUrl: '',
      dataDir,
      close: async () => {
        await handle.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const { default: pg } = await import('pg');
  const adminUrl = testEnv().databaseUrl;
  const name = `modelyard_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // The throwaway database is dropped WITH (FORCE) at close; its idle connections may see that.
  const handle = await openDb({ databaseUrl: url.toString(), sqlitePath: '', onIdleError: () => {} });
  await migrateToLatest(handle.db);
  return {
    ...handle,
    databaseUrl: url.toString(),
    dataDir,
    close: async () => {
      await handle.close();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
