/** What other modules may use of tuning jobs: the service factory and its types. */
export { createTuningService, type TuningService, type TuningServiceDeps } from './tuning.service.js';
export type { TrialView, TuningJobDetail, TuningJobView } from './tuning.schemas.js';
