/** Input rules of deployments, each failure naming its field. */
import { invalid } from '../../errors.js';
import { TARGET_TYPES } from '../serving/serving.types.js';
import type { ServeOptions } from './replica-pool.js';

/** Upper bound of replicas one deployment may ask for (WMLA's "available slots"). */
export const MAX_REPLICAS = 64;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

function fieldError(field: string, message: string, reason = 'validation_failed') {
  return invalid(`${field}: ${message}`, { reason, errors: [{ field, message }] });
}

export function checkName(name: string): string {
  if (!NAME.test(name))
    throw fieldError(
      'name',
      'must be 1–100 characters of letters, digits, "_", "." or "-", starting with a letter or digit',
    );
  return name;
}

export interface Scaling {
  replicas: number;
  minInstances: number;
  maxInstances: number;
}

/** replicas ≥ 1 and ≤ MAX_REPLICAS; minInstances ≥ 1; maxInstances -1 (unlimited) or ≥ minInstances; min ≤ replicas ≤ max. */
export function checkScaling(s: Scaling): Scaling {
  const int = (field: string, v: number) => {
    if (!Number.isInteger(v)) throw fieldError(field, `must be an integer (got ${v})`);
  };
  int('replicas', s.replicas);
  int('minInstances', s.minInstances);
  int('maxInstances', s.maxInstances);
  if (s.replicas < 1 || s.replicas > MAX_REPLICAS)
    throw fieldError('replicas', `must be between 1 and ${MAX_REPLICAS} (got ${s.replicas})`);
  if (s.minInstances < 1 || s.minInstances > MAX_REPLICAS)
    throw fieldError('minInstances', `must be between 1 and ${MAX_REPLICAS} (got ${s.minInstances})`);
  if (s.maxInstances !== -1 && s.maxInstances < s.minInstances)
    throw fieldError(
      'maxInstances',
      `must be -1 (unlimited) or at least minInstances ${s.minInstances} (got ${s.maxInstances})`,
    );
  if (s.replicas < s.minInstances || (s.maxInstances !== -1 && s.replicas > s.maxInstances))
    throw fieldError(
      'replicas',
      `must lie within the profile's instances ${s.minInstances}..${s.maxInstances === -1 ? 'unlimited' : s.maxInstances} (got ${s.replicas})`,
    );
  return s;
}

/** GPU modes a profile may ask for (WMLA's CPU / GPU exclusive / GPU packing). */
export const GPU_MODES = ['no', 'shared', 'exclusive'] as const;
export type GpuMode = (typeof GPU_MODES)[number];

/** Profile settings beyond the instance bounds; each optional, absent keeps the current value. */
export interface ProfileSettings {
  scaleDownDelaySeconds?: number;
  gpu?: string;
}

/** scaleDownDelaySeconds > 0 (seconds an idle instance is kept); gpu one of GPU_MODES. */
export function checkProfileSettings(s: ProfileSettings): { scaleDownDelaySeconds?: number; gpu?: GpuMode } {
  const out: { scaleDownDelaySeconds?: number; gpu?: GpuMode } = {};
  if (s.scaleDownDelaySeconds !== undefined) {
    if (!Number.isFinite(s.scaleDownDelaySeconds) || !(s.scaleDownDelaySeconds > 0))
      throw fieldError('scaleDownDelaySeconds', `must be a number > 0 (got ${s.scaleDownDelaySeconds})`);
    out.scaleDownDelaySeconds = s.scaleDownDelaySeconds;
  }
  if (s.gpu !== undefined) {
    if (!(GPU_MODES as readonly string[]).includes(s.gpu))
      throw fieldError('gpu', `must be one of ${GPU_MODES.join(', ')} (got '${s.gpu}')`);
    out.gpu = s.gpu as GpuMode;
  }
  return out;
}

export function checkCanaryWeight(weight: number): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100)
    throw fieldError('canary.weight', `must be an integer percent between 0 and 100 (got ${weight})`);
  return weight;
}

export function checkServeOptions(o: ServeOptions): ServeOptions {
  if (o.targetType !== undefined && !(TARGET_TYPES as readonly string[]).includes(o.targetType))
    throw fieldError('targetType', `must be one of ${TARGET_TYPES.join(', ')}`);
  return {
    ...(o.targetType ? { targetType: o.targetType } : {}),
    ...(o.positiveClassLabel !== undefined ? { positiveClassLabel: o.positiveClassLabel } : {}),
    ...(o.negativeClassLabel !== undefined ? { negativeClassLabel: o.negativeClassLabel } : {}),
    ...(o.classLabels !== undefined ? { classLabels: o.classLabels } : {}),
  };
}
