/**
 * What other modules may use of datasets: the service factory and its types. Other modules call
 * the service's createVersionFromStream, getVersion, openVersionData, readSplitAssignment and
 * addReference / removeReference / referrersOf, never the repository or blobs directly.
 */
export {
  createDatasetsService,
  checkName,
  type DatasetsService,
  type CreateVersionInput,
  type RegisterPathInput,
  type DatasetVersionView,
  type DatasetView,
} from './datasets.service.js';
export type { ColumnProfile, ColumnType, TaskKind } from './csv-profile.js';
export { SPLIT_NAMES, type SplitName, type SplitSpec, type SplitCounts, type SplitInput } from './splits.js';
export type { Referrer } from './datasets.repository.js';
export { readCsvRecords, toCsvLine } from './csv-reader.js';
export { registerSplitFiles, type SplitPaths, type SplitFile } from './split-files.js';
