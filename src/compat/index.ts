/**
 * Compat surfaces (MISTK, ClearML, WMLA, O-RAN, DRUM, KServe): each a Fastify plugin that
 * translates its system's shapes onto module services, with its own error envelope and auth scope.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../deps.js';
import type { Services } from '../modules/index.js';
import { clearmlRoutes } from './clearml/clearml.routes.js';
import { oranFeatureGroupRoutes } from './oran/oran-feature-groups.routes.js';
import { oranModelRoutes } from './oran/oran-models.routes.js';
import { oranTrainingJobRoutes } from './oran/oran-training-jobs.routes.js';
import { wmlaModelRoutes } from './wmla/wmla-models.routes.js';
import { wmlaEdiRoutes } from './wmla/wmla-edi.routes.js';
import { wmlaExecRoutes } from './wmla/wmla-execs.routes.js';
import { wmlaInferenceRoutes } from './wmla/wmla-inferences.routes.js';
import { wmlaTrainingRoutes } from './wmla/wmla-trainings.routes.js';
import { wmlaValidationRoutes } from './wmla/wmla-validations.routes.js';
import { wmlaDatasetRoutes } from './wmla/wmla-datasets.routes.js';
import { wmlaFallbackRoutes } from './wmla/wmla-fallback.routes.js';
import { wmlaSchedulerRoutes } from './wmla/wmla-scheduler.routes.js';
import { wmlaHypersearchRoutes } from './wmla/wmla-hypersearch.routes.js';
import { deploymentsMount } from '../modules/deployments/deployments-mount.routes.js';
import { mistkRoutes } from './mistk/mistk.routes.js';

export type CompatSurface = FastifyPluginAsync<{ services: Services; deps: Deps }>;

export const compatSurfaces: CompatSurface[] = [
  clearmlRoutes,
  oranFeatureGroupRoutes,
  oranModelRoutes,
  oranTrainingJobRoutes,
  wmlaModelRoutes,
  wmlaEdiRoutes,
  wmlaExecRoutes,
  wmlaInferenceRoutes,
  wmlaTrainingRoutes,
  wmlaValidationRoutes,
  wmlaDatasetRoutes,
  wmlaSchedulerRoutes,
  wmlaHypersearchRoutes,
  wmlaFallbackRoutes,
  deploymentsMount,
  mistkRoutes,
];
