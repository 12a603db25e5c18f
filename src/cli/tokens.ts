import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createDeps } from '../deps.js';
import { createTokensService } from '../modules/tokens/tokens.service.js';
import { printObject, printRows } from './output.js';
import pino from 'pino';

/**
 * Token commands work on the metadata store directly (same --data-dir / DATABASE_URL as the
 * server): the first admin token must be creatable before any token exists.
 */
export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('manage API tokens (works on the store directly)');
  const withService = async <T>(
    dataDir: string | undefined,
    fn: (s: ReturnType<typeof createTokensService>) => Promise<T>,
  ) => {
    const deps = await createDeps(loadConfig({ dataDir }), { logger: pino({ level: 'silent' }) });
    try {
      return await fn(createTokensService(deps));
    } finally {
      await deps.close();
    }
  };
  tokens
    .command('create')
    .description('create a token; its secret is printed once')
    .requiredOption('--role <role>', 'viewer | editor | admin')
    .option('--name <name>', 'a label for the token', 'cli')
    .option('--data-dir <dir>', 'data directory (env MODELYARD_DATA_DIR)')
    .option('--json', 'machine-readable output')
    .action(async (o: { role: string; name: string; dataDir?: string; json?: boolean }) => {
      const t = await withService(o.dataDir, (s) => s.create({ name: o.name, role: o.role }));
      if (o.json) printObject({ ...t }, true);
      else
        process.stdout.write(
          `${t.token}\n(role ${t.role}, id ${t.id}; store it now: it is not shown again)\n`,
        );
    });
  tokens
    .command('list')
    .option('--data-dir <dir>', 'data directory (env MODELYARD_DATA_DIR)')
    .option('--json', 'machine-readable output')
    .action(async (o: { dataDir?: string; json?: boolean }) => {
      const items = await withService(o.dataDir, (s) => s.list());
      printRows(items as never, ['id', 'name', 'role', 'prefix', 'createdAt', 'revokedAt'], Boolean(o.json));
    });
  tokens
    .command('revoke <id>')
    .option('--data-dir <dir>', 'data directory (env MODELYARD_DATA_DIR)')
    .action(async (id: string, o: { dataDir?: string }) => {
      await withService(o.dataDir, (s) => s.revoke(id));
      process.stdout.write(`revoked ${id}\n`);
    });
}
