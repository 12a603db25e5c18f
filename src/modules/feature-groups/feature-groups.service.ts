import type { Deps } from '../../deps.js';
import type { DatasetsService } from '../datasets/datasets.service.js';

// Placeholder replaced by the feature-groups implementation (issue 2).
export function createFeatureGroupsService(_deps: Deps & { datasets: DatasetsService }) {
  return {};
}
