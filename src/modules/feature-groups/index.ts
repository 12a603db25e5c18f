/** Public face of the feature-groups module for other modules and compat surfaces. */
export { createFeatureGroupsService } from './feature-groups.service.js';
export type { ExtractInput, FeatureGroupsService, FeatureGroupView } from './feature-groups.service.js';
export { DATALAKE_SOURCES, NAME_PATTERN, TOKEN_MASK } from './feature-group-input.js';
export type { FeatureGroupInput } from './feature-group-input.js';
