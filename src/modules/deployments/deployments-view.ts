/** The API view of a deployment row plus what its live router is doing. */
import type { DeploymentRouter } from './deployment-router.js';
import type { DeploymentRow } from './deployments.repository.js';
import type { DeploymentView } from './deployments.schemas.js';

type Label = { id: string; name: string | null; version: number | null } | null;

export function deploymentView(
  row: DeploymentRow,
  version: Label,
  canaryVersion: Label,
  router: DeploymentRouter | null,
): DeploymentView {
  return {
    id: row.id,
    name: row.name,
    model: row.model_ref,
    followsAlias: row.model_ref.includes('@'),
    version,
    canary: row.canary_ref
      ? {
          model: row.canary_ref,
          followsAlias: row.canary_ref.includes('@'),
          version: canaryVersion,
          weight: row.canary_weight,
        }
      : null,
    replicas: row.replicas,
    profile: {
      minInstances: row.min_instances,
      maxInstances: row.max_instances,
      extra: JSON.parse(row.profile) as Record<string, unknown>,
    },
    desiredState: row.desired_state,
    status: row.status,
    lastError: row.last_error,
    readme: row.readme,
    targetType: router?.primary.targetType ?? null,
    predictor: router?.primary.predictor ?? null,
    serving: router
      ? {
          primary: router.primary.label,
          canary: router.canary?.label ?? null,
          routed: router.routed(),
          replicaRequests: router.primary.counts(),
        }
      : null,
    url: `/deployments/${row.name}/`,
    options: JSON.parse(row.options) as Record<string, unknown>,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
