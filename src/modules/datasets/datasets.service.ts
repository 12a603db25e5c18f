import type { Deps } from '../../deps.js';

// Placeholder replaced by the datasets implementation (issue 2).
export function createDatasetsService(_deps: Deps) {
  return {};
}
export type DatasetsService = ReturnType<typeof createDatasetsService>;
