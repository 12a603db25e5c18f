/**
 * The explicit list of modules: their services (built from deps) and their native routes.
 * No autoloading: adding a module means adding it here.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../deps.js';
import { createTokensService } from './tokens/tokens.service.js';
import { tokensRoutes } from './tokens/tokens.routes.js';
import { createDatasetsService } from './datasets/datasets.service.js';
import { datasetsRoutes } from './datasets/datasets.routes.js';
import { createFeatureGroupsService } from './feature-groups/feature-groups.service.js';
import { featureGroupsRoutes } from './feature-groups/feature-groups.routes.js';
import { createRegistryService } from './registry/registry.service.js';
import { registryRoutes } from './registry/registry.routes.js';
import { createDeploymentsService } from './deployments/deployments.service.js';
import { deploymentsRoutes } from './deployments/deployments.routes.js';
import { createPredictJobsService } from './deployments/predict-jobs.service.js';
import { createRunsService } from './runs/runs.service.js';
import { runsRoutes } from './runs/runs.routes.js';
import { createModelInstancesService } from './model-instances/model-instances.service.js';
import { modelInstancesRoutes } from './model-instances/model-instances.routes.js';
import { createTuningService } from './tuning/tuning.service.js';
import { tuningRoutes } from './tuning/tuning.routes.js';
import { createInstanceExecutor } from '../deps.js';

export function createServices(deps: Deps) {
  const tokens = createTokensService(deps);
  const datasets = createDatasetsService(deps);
  const featureGroups = createFeatureGroupsService({ ...deps, datasets });
  const registry = createRegistryService(deps);
  const deployments = createDeploymentsService({ ...deps, registry });
  const predictJobs = createPredictJobsService({ ...deps, registry });
  const runs = createRunsService({
    ...deps,
    datasets,
    registry,
    tokens,
    extractFeatureGroup: (name) => featureGroups.extract(name),
  });
  const modelInstances = createModelInstancesService({
    ...deps,
    datasets,
    executor: createInstanceExecutor(),
  });
  const tuning = createTuningService({ ...deps, datasets, runs });
  return {
    tokens,
    datasets,
    featureGroups,
    registry,
    deployments,
    predictJobs,
    runs,
    modelInstances,
    tuning,
  };
}

export type Services = ReturnType<typeof createServices>;

/** Native API plugins, mounted under /api/v1 in this order. */
export const nativeRoutes: Array<FastifyPluginAsync<{ services: Services }>> = [
  tokensRoutes,
  datasetsRoutes,
  featureGroupsRoutes,
  registryRoutes,
  deploymentsRoutes,
  runsRoutes as FastifyPluginAsync<{ services: Services }>,
  modelInstancesRoutes,
  tuningRoutes,
];
