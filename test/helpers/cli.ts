/**
 * How tests start the real `modelyard` command: the bundled CLI that `npm test` builds first
 * (scripts/run-tests.mjs), exactly what users run, and ~10× quicker to start than tsx.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const CLI_BIN = join(import.meta.dirname, '..', '..', 'bin', 'modelyard.js');

/** Arguments for `spawn(process.execPath, cliArgs(...))`. */
export function cliArgs(...args: string[]): string[] {
  return [CLI_BIN, ...args];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `modelyard --url <url> …args` with a clean environment (no token, no server env). */
export function runCli(url: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      cliArgs('--url', url, ...args),
      { env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
