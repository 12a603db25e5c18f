/** The API view of a deployment row plus what its live router is doing. */
import type { DeploymentRouter } from './deployment-router.js';
import type { DeploymentRow } from './deployments.repository.js';
import type { DeploymentView } from './deployments.schemas.js';

/** Default seconds an idle instance is kept before scaling down (WMLA's kernel_delay_release_time). */
export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 60;

/** Keys of the profile column that hold validated settings; the rest is free-form `extra`. */
const SETTINGS = ['scaleDownDelaySeconds', 'gpu'] as const;
type Settings = { scaleDownDelaySeconds?: number; gpu?: string };

function splitProfile(json: string): { settings: Settings; extra: Record<string, unknown> } {
  const all = JSON.parse(json) as Record<string, unknown>;
  const settings: Settings = {};
  if (typeof all.scaleDownDelaySeconds === 'number')
    settings.scaleDownDelaySeconds = all.scaleDownDelaySeconds;
  if (typeof all.gpu === 'string') settings.gpu = all.gpu;
  const extra = { ...all };
  for (const k of SETTINGS) delete extra[k];
  return { settings, extra };
}

/** The validated settings of a profile column. */
export function profileSettings(json: string): Settings {
  return splitProfile(json).settings;
}

/**
 * The profile column: validated settings merged over the current ones, and `extra` (replaced when
 * given, else kept).
 */
export function profileJson(
  extra: Record<string, unknown> | undefined,
  settings: Settings,
  current = '{}',
): string {
  const cur = splitProfile(current);
  const clean = { ...(extra ?? cur.extra) };
  for (const k of SETTINGS) delete clean[k];
  return JSON.stringify({ ...clean, ...cur.settings, ...settings });
}

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
    profile: profileView(row),
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
          replicas: router.primary.size,
          mode: router.primary.mode,
        }
      : null,
    url: `/deployments/${row.name}/`,
    options: JSON.parse(row.options) as Record<string, unknown>,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function profileView(row: DeploymentRow): DeploymentView['profile'] {
  const { settings, extra } = splitProfile(row.profile);
  return {
    minInstances: row.min_instances,
    maxInstances: row.max_instances,
    scaleDownDelaySeconds: settings.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS,
    gpu: settings.gpu ?? 'no',
    extra,
  };
}
