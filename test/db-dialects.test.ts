/**
 * The metadata store behaves the same on every dialect: migrations, column types, constraint
 * errors and transactions. Runs on SQLite always and on PostgreSQL when DATABASE_URL is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Migrator, NO_MIGRATIONS, sql, type Kysely, type Migration } from 'kysely';
import { isUniqueViolation, type DbDialect } from '../src/infra/db/kysely.js';
import { migrateToLatest } from '../src/infra/db/migrate.js';
import { migrations } from '../src/infra/db/migrations/index.js';
import { dialectsUnderTest, freshStore, type TestStore } from './helpers/db.js';

/** The store seen without the compile-time schema, to walk every table generically. */
type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

interface ColumnInfo {
  name: string;
  kind: 'text' | 'int' | 'bigint' | 'real';
  nullable: boolean;
}
interface ForeignKey {
  column: string;
  refTable: string;
  refColumn: string;
}

const KIND_BY_TYPE: Record<string, ColumnInfo['kind']> = {
  text: 'text',
  varchar: 'text',
  integer: 'int',
  int4: 'int',
  bigint: 'bigint',
  int8: 'bigint',
  real: 'real',
  float8: 'real',
  'double precision': 'real',
};

/** Primary-key columns SQLite would let hold NULL (it does unless they are declared NOT NULL). */
async function nullablePrimaryKeys(db: AnyDb, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select name from pragma_table_info(${table}) where pk > 0 and "notnull" = 0`.execute(db);
  return rows.map((r) => r.name);
}

async function tablesOf(db: AnyDb, dialect: DbDialect): Promise<Map<string, ColumnInfo[]>> {
  const out = new Map<string, ColumnInfo[]>();
  for (const t of await db.introspection.getTables()) {
    const keys = dialect === 'sqlite' ? await nullablePrimaryKeys(db, t.name) : [];
    const columns = t.columns.map((c) => {
      const kind = KIND_BY_TYPE[c.dataType.toLowerCase()];
      assert.ok(kind, `${t.name}.${c.name} has type ${c.dataType}: teach this test a value for it`);
      return { name: c.name, kind, nullable: c.isNullable && !keys.includes(c.name) };
    });
    out.set(t.name, columns);
  }
  return out;
}

async function foreignKeysOf(db: AnyDb, dialect: DbDialect, table: string): Promise<ForeignKey[]> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{ from: string; table: string; to: string }>`
      select "from", "table", "to" from pragma_foreign_key_list(${table})`.execute(db);
    return rows.map((r) => ({ column: r.from, refTable: r.table, refColumn: r.to }));
  }
  const { rows } = await sql<ForeignKey>`
    select kcu.column_name as "column", ccu.table_name as "refTable", ccu.column_name as "refColumn"
    from information_schema.table_constraints tc
    join information_schema.key_column_usage kcu
      on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
    join information_schema.constraint_column_usage ccu
      on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
    where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = current_schema() and tc.table_name = ${table}`.execute(
    db,
  );
  return rows;
}

/** Values that would expose a lossy driver: unicode and quotes in JSON text, integers at the edge. */
function valueFor(table: string, column: ColumnInfo): unknown {
  switch (column.kind) {
    case 'text':
      return JSON.stringify({
        at: `${table}.${column.name}`,
        s: `é'"\\\n☃ 🙂`,
        n: [1, 2.5, null],
        o: { t: true },
      });
    case 'int':
      return 2_147_483_000;
    case 'bigint':
      return Number.MAX_SAFE_INTEGER;
    case 'real':
      return 2 / 3;
  }
}

for (const dialect of dialectsUnderTest()) {
  describe(`metadata store on ${dialect}`, () => {
    let store: TestStore;
    let db: AnyDb;
    before(async () => {
      store = await freshStore(dialect);
      db = store.db as unknown as AnyDb;
    });
    after(async () => {
      await store?.close();
    });

    it('applies every migration on a fresh store, re-runs as a no-op, and migrates down and up again', async () => {
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        db,
      );
      assert.deepEqual(
        applied.rows.map((r) => r.name),
        Object.keys(migrations).sort(),
      );
      assert.deepEqual(await migrateToLatest(store.db), []);

      const migrator = new Migrator({
        db: store.db,
        provider: { getMigrations: async () => migrations as Record<string, Migration> },
      });
      const down = await migrator.migrateTo(NO_MIGRATIONS);
      assert.equal(down.error, undefined, `down migrations failed: ${String(down.error)}`);
      assert.deepEqual([...(await tablesOf(db, dialect)).keys()], []);
      assert.deepEqual(await migrateToLatest(store.db), Object.keys(migrations).sort());
    });

    it('round-trips every column of every table with its type intact', async () => {
      const tables = await tablesOf(db, dialect);
      const fks = new Map<string, ForeignKey[]>();
      for (const t of tables.keys()) fks.set(t, await foreignKeysOf(db, dialect, t));
      // Parents first, so each foreign key can point at the parent's row.
      const order: string[] = [];
      const pending = [...tables.keys()];
      while (pending.length > 0) {
        const ready = pending.findIndex((t) =>
          fks.get(t)!.every((fk) => fk.refTable === t || order.includes(fk.refTable)),
        );
        assert.ok(ready >= 0, `foreign keys form a cycle among ${pending.join(', ')}`);
        order.push(pending.splice(ready, 1)[0]!);
      }
      // Migrations may seed rows (a default project); start from empty tables, children first.
      for (const table of [...order].reverse()) await db.deleteFrom(table).execute();
      const rows = new Map<string, Record<string, unknown>>();
      for (const table of order) {
        const row: Record<string, unknown> = {};
        for (const c of tables.get(table)!) row[c.name] = valueFor(table, c);
        for (const fk of fks.get(table)!) {
          row[fk.column] = fk.refTable === table ? row[fk.refColumn] : rows.get(fk.refTable)![fk.refColumn];
        }
        await db.insertInto(table).values(row).execute();
        rows.set(table, row);
      }
      for (const [table, row] of rows) {
        const back = await db.selectFrom(table).selectAll().execute();
        assert.equal(back.length, 1, table);
        assert.deepEqual(back[0], row, `${table} reads back what was written`);
        for (const c of tables.get(table)!) {
          if (c.kind === 'text') assert.doesNotThrow(() => JSON.parse(back[0]![c.name] as string));
        }
      }
      // Nullable columns hold null too.
      for (const [table, columns] of tables) {
        const nulls = Object.fromEntries(columns.filter((c) => c.nullable).map((c) => [c.name, null]));
        if (Object.keys(nulls).length === 0) continue;
        await db.updateTable(table).set(nulls).execute();
        const back = (await db.selectFrom(table).selectAll().executeTakeFirstOrThrow()) as Record<
          string,
          unknown
        >;
        for (const name of Object.keys(nulls)) assert.equal(back[name], null, `${table}.${name}`);
      }
      for (const table of [...order].reverse()) await db.deleteFrom(table).execute();
    });

    it(
      'declares every primary-key column NOT NULL',
      {
        skip: dialect === 'postgres' && 'PostgreSQL makes primary keys NOT NULL by itself',
      },
      async () => {
        const offenders: string[] = [];
        for (const t of await db.introspection.getTables()) {
          for (const c of await nullablePrimaryKeys(db, t.name)) offenders.push(`${t.name}.${c}`);
        }
        assert.deepEqual(offenders, []);
      },
    );

    it('returns counts and bigint aggregates as numbers', async () => {
      const typed = store.db;
      const now = new Date().toISOString();
      await typed
        .insertInto('datasets')
        .values({
          id: 'agg',
          name: 'agg',
          description: '',
          tags: '[]',
          kind: 'tabular',
          created_at: now,
          updated_at: now,
        })
        .execute();
      const sizes = [3_000_000_000, 5_000_000_000];
      for (const [i, size_bytes] of sizes.entries()) {
        await sql`insert into dataset_versions (id, dataset_id, version, source, format, size_bytes, sha256,
            row_count, columns, split_spec, split_counts, split_blob_key, created_at)
          values (${`agg-${i}`}, 'agg', ${i + 1}, 'upload', 'csv', ${size_bytes}, 'x', 10, '[]', '{}', '{}', 'k', ${now})`.execute(
          typed,
        );
      }
      const agg = await typed
        .selectFrom('dataset_versions')
        .where('dataset_id', '=', 'agg')
        .select((eb) => [
          eb.fn.countAll().as('n'),
          eb.fn.max('size_bytes').as('largest'),
          eb.fn.sum('size_bytes').as('total'),
          eb.fn.sum('row_count').as('rows'),
        ])
        .executeTakeFirstOrThrow();
      assert.deepEqual(agg, { n: 2, largest: 5_000_000_000, total: 8_000_000_000, rows: 20 });
    });

    it('detects unique violations of primary keys, unique columns and composite keys, and nothing else', async () => {
      const typed = store.db;
      const now = new Date().toISOString();
      const dataset = {
        id: 'u1',
        name: 'unique-name',
        description: '',
        tags: '[]',
        kind: 'tabular' as const,
      };
      await typed
        .insertInto('datasets')
        .values({ ...dataset, created_at: now, updated_at: now })
        .execute();
      const errorOf = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (e) {
          return e;
        }
        assert.fail('expected the statement to fail');
      };
      const dupPk = await errorOf(
        typed
          .insertInto('datasets')
          .values({ ...dataset, name: 'other', created_at: now, updated_at: now })
          .execute(),
      );
      const dupName = await errorOf(
        typed
          .insertInto('datasets')
          .values({ ...dataset, id: 'u2', created_at: now, updated_at: now })
          .execute(),
      );
      const version = (id: string, datasetId: string) =>
        sql`insert into dataset_versions (id, dataset_id, version, source, format, size_bytes, sha256, row_count,
            columns, split_spec, split_counts, split_blob_key, created_at)
          values (${id}, ${datasetId}, 1, 'upload', 'csv', 1, 'x', 1, '[]', '{}', '{}', 'k', ${now})`.execute(
          typed,
        );
      await version('v1', 'u1');
      const dupComposite = await errorOf(version('v2', 'u1'));
      const badForeignKey = await errorOf(version('v3', 'no-such-dataset'));
      const notNull = await errorOf(sql`insert into datasets (id) values ('u3')`.execute(typed));
      assert.ok(isUniqueViolation(dupPk), `primary key: ${String(dupPk)}`);
      assert.ok(isUniqueViolation(dupName), `unique column: ${String(dupName)}`);
      assert.ok(isUniqueViolation(dupComposite), `composite unique: ${String(dupComposite)}`);
      assert.equal(isUniqueViolation(badForeignKey), false, String(badForeignKey));
      assert.equal(isUniqueViolation(notNull), false, String(notNull));
      assert.equal(isUniqueViolation(new Error('plain')), false);
      assert.equal(isUniqueViolation(undefined), false);
    });

    it('rolls a transaction back when its callback throws, including after a constraint error', async () => {
      const typed = store.db;
      const now = new Date().toISOString();
      const token = (id: string, hash: string) =>
        typed
          .insertInto('api_tokens')
          .values({ id, name: id, role: 'viewer', token_hash: hash, token_prefix: 'p', created_at: now })
          .execute();
      const boom = new Error('boom');
      await assert.rejects(
        typed.transaction().execute(async (trx) => {
          await trx
            .insertInto('api_tokens')
            .values({
              id: 't1',
              name: 't1',
              role: 'admin',
              token_hash: 'h1',
              token_prefix: 'p',
              created_at: now,
            })
            .execute();
          throw boom;
        }),
        (e) => e === boom,
      );
      await token('t0', 'h0');
      await assert.rejects(
        typed.transaction().execute(async (trx) => {
          await trx
            .insertInto('api_tokens')
            .values({
              id: 't2',
              name: 't2',
              role: 'editor',
              token_hash: 'h2',
              token_prefix: 'p',
              created_at: now,
            })
            .execute();
          await trx
            .insertInto('api_tokens')
            .values({
              id: 't3',
              name: 't3',
              role: 'editor',
              token_hash: 'h0',
              token_prefix: 'p',
              created_at: now,
            })
            .execute();
        }),
        (e) => isUniqueViolation(e),
      );
      const ids = await typed.selectFrom('api_tokens').select('id').orderBy('id').execute();
      assert.deepEqual(
        ids.map((r) => r.id),
        ['t0'],
      );
      // The connection is usable after the rollbacks.
      await typed.transaction().execute(async (trx) => {
        await trx.updateTable('api_tokens').set({ name: 'renamed' }).where('id', '=', 't0').execute();
      });
      const row = await typed
        .selectFrom('api_tokens')
        .select('name')
        .where('id', '=', 't0')
        .executeTakeFirstOrThrow();
      assert.equal(row.name, 'renamed');
    });
  });
}
