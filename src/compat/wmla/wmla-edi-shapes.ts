/**
 * WMLA EDI shapes over deployment views: IaSParam in, IaSModelDescription and the app profile
 * out, WMLA state names, and the renaming of the deployments service's field names to WMLA's.
 */
import { Type } from '@sinclair/typebox';
import { AppError, invalid } from '../../errors.js';
import type { DeploymentView } from '../../modules/deployments/index.js';

export const IaSParam = Type.Object(
  {
    name: Type.Optional(Type.String()),
    edi_py: Type.Optional(Type.String()),
    modelPath: Type.Optional(Type.String()),
    weightPath: Type.Optional(Type.String()),
    runtime: Type.Optional(Type.String()),
    type: Type.Optional(Type.String()),
    attribute: Type.Optional(Type.Unknown()),
    mcenv: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);
export type IaSParamT = {
  name?: string;
  edi_py?: string;
  modelPath?: string;
  weightPath?: string;
  runtime?: string;
  type?: string;
  attribute?: unknown;
  mcenv?: unknown;
};

/** WMLA state names for our statuses (WMLA never enumerated them; these are what its UI shows). */
export function stateOf(d: DeploymentView): string {
  return (
    { running: 'Started', stopped: 'Stopped', starting: 'Starting', failed: 'Error' }[d.status] ?? d.status
  );
}

export function requireFields(body: IaSParamT, fields: Array<keyof IaSParamT>) {
  for (const f of fields)
    if (typeof body[f] !== 'string' || body[f] === '')
      throw invalid(`${f} is required`, { errors: [{ field: f, message: 'is required' }] });
}

/** WMLA sends numbers as strings at times; anything else becomes NaN and fails validation. */
export const num = (v: unknown): number =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;

/** The deployments service's field names as the WMLA app profile spells them. */
const WMLA_FIELDS: Record<string, string> = {
  replicas: 'policy.kernel_min',
  minInstances: 'policy.kernel_min',
  maxInstances: 'policy.kernel_max',
  scaleDownDelaySeconds: 'policy.kernel_delay_release_time',
  gpu: 'kernel.gpu',
};

/** Runs a deployments call and renames the fields its validation errors name to WMLA's. */
export async function withWmlaFields<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const field = e instanceof AppError ? e.errors[0]?.field : undefined;
    const wmla = field ? WMLA_FIELDS[field] : undefined;
    if (!(e instanceof AppError) || !field || !wmla) throw e;
    const rule = e.errors[0]!.message;
    throw invalid(`${wmla} ${rule}`, { reason: e.reason, errors: [{ field: wmla, message: rule }] });
  }
}

/** IaSModelDescription of a deployment. */
export function describe(d: DeploymentView) {
  const extra = d.profile.extra as { ias?: IaSParamT };
  const ias = extra.ias ?? {};
  const attrs = Array.isArray(ias.attribute) ? (ias.attribute as unknown[]) : [];
  return {
    schema_version: '1',
    name: d.name,
    tag: d.version ? `${d.version.name}/${d.version.version}` : '',
    weight_path: ias.weightPath ?? '',
    model_path: d.model,
    creator: d.createdBy ?? '',
    runtime: ias.runtime ?? 'modelyard',
    kernel_path: ias.edi_py ?? '',
    mk_resource_req: '',
    mk_umask: '',
    attributes: attrs,
    mk_environments: Array.isArray(ias.mcenv) ? ias.mcenv : [],
    service_uri: d.url,
    size: 0,
    mk_instance_min: d.profile.minInstances,
    mk_instance_max: d.profile.maxInstances,
    create_time: d.createdAt,
    last_update_time: d.updatedAt,
    state: stateOf(d),
  };
}

/** What a deployment keeps of an IaSParam (in its profile). */
export const iasExtra = (body: IaSParamT) => ({
  ias: {
    edi_py: body.edi_py,
    weightPath: body.weightPath,
    runtime: body.runtime,
    type: body.type,
    attribute: body.attribute,
    mcenv: body.mcenv,
  },
});

/** The IaSProfileParam of a deployment: its profile as kernel policy. */
export function profileOf(d: DeploymentView) {
  const p = (d.profile.extra as { appprofile?: Record<string, unknown> }).appprofile ?? {};
  const policy = (p.policy ?? {}) as Record<string, unknown>;
  return {
    schema_version: '1',
    type: 'inference',
    ...p,
    name: d.name,
    create_time: d.createdAt,
    update_time: d.updatedAt,
    replica: d.replicas,
    policy: {
      name: 'default',
      schedule_intervel: 1,
      task_execution_timeout: -1,
      task_batch_size: 1,
      stream_number_per_group: 1,
      stream_discard_slow_tasks: false,
      ...policy,
      kernel_min: d.profile.minInstances,
      kernel_max: d.profile.maxInstances,
      kernel_delay_release_time: d.profile.scaleDownDelaySeconds,
    },
    kernel: { ...((p.kernel ?? {}) as object), gpu: d.profile.gpu },
  };
}

/**
 * The classification threshold of an inference's `attributes` (WMLA's `[{key, value}]` list, or a
 * plain object): labels below it are left out of the answer. 0 (every label) when not given.
 */
export function thresholdOf(attributes: unknown): number {
  const raw = Array.isArray(attributes)
    ? (attributes as Array<{ key?: unknown; value?: unknown }>).find((a) => a?.key === 'threshold')?.value
    : attributes && typeof attributes === 'object'
      ? (attributes as Record<string, unknown>).threshold
      : undefined;
  if (raw === undefined || raw === null || raw === '') return 0;
  const n = num(raw);
  if (!(n >= 0 && n <= 1))
    throw invalid(`attributes.threshold must be a number between 0 and 1 (got '${String(raw)}')`, {
      errors: [{ field: 'attributes.threshold', message: 'must be a number between 0 and 1' }],
    });
  return n;
}
