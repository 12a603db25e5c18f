import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { runUntilSignal } from '../main.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the server on embedded defaults (SQLite + local files in --data-dir)')
    .option('--host <host>', 'interface to listen on (env MODELYARD_HOST)')
    .option('--port <port>', 'port (env MODELYARD_PORT)', (v) => parsePort(v))
    .option('--data-dir <dir>', 'where the SQLite file and blobs live (env MODELYARD_DATA_DIR)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env MODELYARD_LOG_LEVEL)')
    .action(async (o: { host?: string; port?: number; dataDir?: string; logLevel?: string }) => {
      const config = loadConfig({
        host: o.host,
        port: o.port,
        dataDir: o.dataDir,
        logLevel: o.logLevel as never,
      });
      await runUntilSignal(config);
    });
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--port must be an integer from 0 to 65535 (got '${v}')`);
  return n;
}
