import type { Command } from 'commander';

export function registerDatasets(_program: Command): void {}
