import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './kysely.js';
import { migrations } from './migrations/index.js';

/** Applies every pending migration in name order; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () => migrations as Record<string, Migration>,
  };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
