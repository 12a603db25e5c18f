/** What other modules, compat surfaces and the CLI may use of deployments. */
export {
  createDeploymentsService,
  DEPLOYMENTS_PREFIX,
  REFERRER_KIND,
  type DeploymentsService,
} from './deployments.service.js';
export { GPU_MODES, MAX_REPLICAS } from './deployments-validate.js';
export type { CreateDeploymentInput, DeploymentView, UpdateDeploymentInput } from './deployments.schemas.js';
export type { DeploymentEvent } from './event-log.js';
export {
  createRegistryModelLoader,
  looksLikeRegistryRef,
  registryServiceSource,
  type RegistrySource,
  type RegistryVersionRef,
} from './registry-model-loader.js';
export {
  createPredictJobsService,
  type PredictJobInputFile,
  type PredictJobResult,
  type PredictJobsService,
  type PredictJobView,
  type SubmitPredictJob,
} from './predict-jobs.service.js';
export type { PredictSample } from './predict-samples.js';
export { deploymentsMount } from './deployments-mount.routes.js';
export { deploymentsRoutes } from './deployments.routes.js';
