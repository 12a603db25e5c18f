/**
 * What other modules and compat surfaces may use of the registry: the service factory and its
 * types. Callers go through the service, never the repository or the blob keys.
 */
export {
  createRegistryService,
  modelNotFound,
  DEFAULT_PROJECT,
  REF_KIND,
  type RegistryService,
} from './registry.service.js';
export type {
  ArtifactView,
  BatchReport,
  CreateVersionInput,
  EditInput,
  MetricView,
  ModelVersionView,
  ProjectView,
  SearchInput,
  Signature,
} from './registry.schemas.js';
export type { SearchOptions, SearchPage } from './registry-search.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './registry-search.js';
export type { EditOptions } from './registry-edit.js';
export type { PutArtifactOptions } from './registry-artifacts.js';
export { md5 as metricKeyHash } from './registry.repository.js';
export { zipStream } from './zip-writer.js';
