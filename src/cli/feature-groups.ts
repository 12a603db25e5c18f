import type { Command } from 'commander';

export function registerFeatureGroups(_program: Command): void {}
