/**
 * How tests start the real `modelyard` command: the bundled CLI that `npm test` builds first
 * (scripts/run-tests.mjs), exactly what users run, and ~10× quicker to start than tsx.
 */
import { join } from 'node:path';

export const CLI_BIN = join(import.meta.dirname, '..', '..', 'bin', 'modelyard.js');

/** Arguments for `spawn(process.execPath, cliArgs(...))`. */
export function cliArgs(...args: string[]): string[] {
  return [CLI_BIN, ...args];
}
