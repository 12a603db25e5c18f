import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type DbDialect = 'sqlite' | 'postgres';

/** An open metadata store. `close` ends every connection. */
export interface DbHandle {
  db: Db;
  dialect: DbDialect;
  close(): Promise<void>;
}

export interface DbOptions {
  /** `postgres://…` for PostgreSQL; empty for SQLite at `sqlitePath`. */
  databaseUrl: string;
  /** SQLite file, or `:memory:`. */
  sqlitePath: string;
  /** Told when PostgreSQL drops an idle pooled connection (the pool recovers by itself). */
  onIdleError?: (error: Error) => void;
}

/** Opens SQLite (default) or PostgreSQL. Drivers load lazily so an embedded start never pays for pg. */
export async function openDb(options: DbOptions): Promise<DbHandle> {
  if (options.databaseUrl !== '') {
    const { default: pg } = await import('pg');
    // COUNT(*) and BIGINT come back as strings by default; our counts fit in a double.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    // SUM over integers and AVG answer NUMERIC, also a string by default; SQLite answers numbers.
    pg.types.setTypeParser(1700, (v: string) => Number(v));
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    // An idle connection dropped by the server (restart, failover, admin kill) must not crash the
    // process: the pool discards it and the next query opens a new one.
    pool.on('error', (e) => options.onIdleError?.(e));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  const { default: SQLite } = await import('better-sqlite3');
  if (options.sqlitePath !== ':memory:') mkdirSync(join(options.sqlitePath, '..'), { recursive: true });
  const database = new SQLite(options.sqlitePath);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // 64 MiB page cache (default 2 MiB): registry searches at 100k versions walk indexes that no longer fit in 2 MiB.
  database.pragma('cache_size = -65536');
  registerRegexp(database);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

const REGEX_CACHE_SIZE = 256;

/**
 * SQLite has no regex operator of its own: `x REGEXP p` calls `regexp(p, x)`. We register it
 * (case-sensitive) and `regexp_i(p, x)` (case-insensitive) with JS semantics, so registry filters
 * run in SQL on both dialects (PostgreSQL uses `~` / `~*`). Compiled patterns are cached because
 * the function runs once per row. A null value never matches.
 */
function registerRegexp(database: {
  function: (name: string, opts: object, fn: (...a: unknown[]) => unknown) => unknown;
}) {
  const cache = new Map<string, RegExp>();
  const compile = (pattern: string, flags: string): RegExp => {
    const key = flags + pattern;
    let re = cache.get(key);
    if (!re) {
      re = new RegExp(pattern, flags);
      if (cache.size >= REGEX_CACHE_SIZE) cache.clear();
      cache.set(key, re);
    }
    return re;
  };
  const opts = { deterministic: true, varargs: false };
  database.function('regexp', opts, (pattern, value) =>
    value === null || value === undefined ? 0 : compile(String(pattern), '').test(String(value)) ? 1 : 0,
  );
  database.function('regexp_i', opts, (pattern, value) =>
    value === null || value === undefined ? 0 : compile(String(pattern), 'i').test(String(value)) ? 1 : 0,
  );
}

/** Current time as stored: ISO-8601 UTC text. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Readiness probe: one round trip. */
export async function pingDb(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** True when a driver error is a unique-constraint violation (both dialects). */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err?.code === '23505' ||
    err?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
