import { installWmlaErrors } from './wmla-errors.js';
/**
 * IBM WMLA elastic distributed inference (EDI) on the deployments service:
 * `/platform/rest/deeplearning/v1/edimodels` and `/inferences`. An EDI model (inference service)
 * is a deployment of the same name; `modelPath` is a registry reference (`name@alias`, `name/3`)
 * and publish serves the WMLA model of that name (project `wmla`). Kernels map to replicas:
 * kernel_min/kernel_max are the profile's instances, and the service starts kernel_min replicas.
 * Inputs are tabular here: `data_type` `text:csv` (or `csv`), each `data_value` item a CSV with
 * a header; image data types answer 400. WMLA answers `{message}` on errors.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, conflict, invalid } from '../../errors.js';
import { installAuth } from '../../http/auth.js';
import { MAX_REPLICAS, type DeploymentView } from '../../modules/deployments/index.js';
import { parseCsvTable } from '../../modules/serving/csv-payload.js';
import type { CompatSurface } from '../index.js';

const BASE = '/platform/rest/deeplearning/v1';
const WMLA_PROJECT = 'wmla';
const tags = ['wmla'];
const CSV_TYPES = new Set(['text:csv', 'csv', 'table:csv']);

const IaSParam = Type.Object(
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
type IaSParamT = {
  name?: string;
  edi_py?: string;
  modelPath?: string;
  weightPath?: string;
  runtime?: string;
  type?: string;
  attribute?: unknown;
  mcenv?: unknown;
};
const NameParams = Type.Object({ modelname: Type.String() });

/** WMLA state names for our statuses (WMLA never enumerated them; these are what its UI shows). */
function stateOf(d: DeploymentView): string {
  return (
    { running: 'Started', stopped: 'Stopped', starting: 'Starting', failed: 'Error' }[d.status] ?? d.status
  );
}

function requireFields(body: IaSParamT, fields: Array<keyof IaSParamT>) {
  for (const f of fields)
    if (typeof body[f] !== 'string' || body[f] === '')
      throw invalid(`${f} is required`, { errors: [{ field: f, message: 'is required' }] });
}

export const wmlaEdiRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const dep = services.deployments;
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
  installWmlaErrors(app);

  const describe = (d: DeploymentView) => {
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
  };

  const iasExtra = (body: IaSParamT) => ({
    ias: {
      edi_py: body.edi_py,
      weightPath: body.weightPath,
      runtime: body.runtime,
      type: body.type,
      attribute: body.attribute,
      mcenv: body.mcenv,
    },
  });
  const user = (req: FastifyRequest) => req.principal?.name;

  app.get(`${BASE}/edimodels`, { schema: { tags } }, async () => (await dep.list()).map(describe));

  app.post(`${BASE}/edimodels/new`, { schema: { tags, body: IaSParam } }, async (req, reply) => {
    requireFields(req.body, ['name', 'edi_py', 'modelPath', 'weightPath', 'runtime']);
    const d = await dep.create(
      { name: req.body.name!, model: req.body.modelPath!, start: false, profile: iasExtra(req.body) },
      user(req),
    );
    return reply.status(201).send(describe(d));
  });

  // Publish an EDI service from a WMLA (DLI) inference model: the latest version of that model.
  app.post(
    `${BASE}/edimodels/:modelname`,
    { schema: { tags, params: NameParams, body: Type.Optional(IaSParam) } },
    async (req, reply) => {
      const body = req.body ?? {};
      const v = await services.registry
        .resolve(`${req.params.modelname}/latest`, { project: WMLA_PROJECT })
        .catch((e: unknown) => {
          if (e instanceof AppError && e.code === 'not_found')
            throw new AppError('not_found', `model '${req.params.modelname}' was not found`);
          throw e;
        });
      const d = await dep.create(
        { name: body.name ?? req.params.modelname, model: v.id, start: false, profile: iasExtra(body) },
        user(req),
      );
      return reply.status(201).send(describe(d));
    },
  );

  app.get(`${BASE}/edimodels/:modelname`, { schema: { tags, params: NameParams } }, async (req) =>
    describe(await dep.get(req.params.modelname)),
  );

  app.put(
    `${BASE}/edimodels/:modelname`,
    { schema: { tags, params: NameParams, body: IaSParam } },
    async (req) => {
      const cur = await dep.get(req.params.modelname);
      const prev = ((cur.profile.extra as { ias?: IaSParamT }).ias ?? {}) as IaSParamT;
      const merged = { ...prev, ...req.body };
      return describe(
        await dep.update(req.params.modelname, {
          ...(req.body.modelPath ? { model: req.body.modelPath } : {}),
          profile: { ...cur.profile.extra, ...iasExtra(merged) },
        }),
      );
    },
  );

  app.delete(`${BASE}/edimodels/:modelname`, { schema: { tags, params: NameParams } }, async (req) => {
    const d = await dep.get(req.params.modelname);
    if (d.status === 'running' || d.status === 'starting')
      throw conflict(`inference service '${d.name}' is in use (${stateOf(d)}); stop it before deleting`);
    await dep.delete(d.name);
    return { message: `inference service '${d.name}' deleted` };
  });

  const profileOf = (d: DeploymentView) => {
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
        kernel_delay_release_time: 60,
        task_execution_timeout: -1,
        task_batch_size: 1,
        stream_number_per_group: 1,
        stream_discard_slow_tasks: false,
        ...policy,
        kernel_min: d.profile.minInstances,
        kernel_max: d.profile.maxInstances,
      },
      kernel: { gpu: 'no', ...((p.kernel ?? {}) as object) },
    };
  };

  app.get(`${BASE}/edimodels/:modelname/appprofile`, { schema: { tags, params: NameParams } }, async (req) =>
    profileOf(await dep.get(req.params.modelname)),
  );

  app.put(
    `${BASE}/edimodels/:modelname/appprofile`,
    { schema: { tags, params: NameParams, body: Type.Record(Type.String(), Type.Unknown()) } },
    async (req) => {
      const d = await dep.get(req.params.modelname);
      if (d.status === 'running' || d.status === 'starting')
        throw invalid(`stop inference service '${d.name}' before editing its profile`, {
          reason: 'service_running',
        });
      const policy = (req.body.policy ?? {}) as Record<string, unknown>;
      const curPolicy = profileOf(d).policy;
      const kmin = policy.kernel_min ?? curPolicy.kernel_min;
      const kmax = policy.kernel_max ?? curPolicy.kernel_max;
      const delay = policy.kernel_delay_release_time ?? curPolicy.kernel_delay_release_time;
      const field = (name: string, rule: string) =>
        invalid(`policy.${name} ${rule}`, { errors: [{ field: `policy.${name}`, message: rule }] });
      if (typeof delay !== 'number' || !(delay > 0)) throw field('kernel_delay_release_time', 'must be > 0');
      if (!Number.isInteger(kmin) || (kmin as number) <= 0 || (kmin as number) > MAX_REPLICAS)
        throw field('kernel_min', `must be an integer > 0 and ≤ the ${MAX_REPLICAS} available slots`);
      if (!Number.isInteger(kmax) || ((kmax as number) !== -1 && (kmax as number) < (kmin as number)))
        throw field('kernel_max', 'must be -1 (unlimited) or ≥ kernel_min');
      const gpu = (req.body.kernel as { gpu?: unknown } | undefined)?.gpu;
      if (gpu !== undefined && !['no', 'shared', 'exclusive'].includes(String(gpu)))
        throw field('kernel.gpu', "must be 'no', 'shared' or 'exclusive'");
      const { name: _n, create_time: _c, update_time: _u, ...kept } = req.body;
      const updated = await dep.update(d.name, {
        minInstances: kmin as number,
        maxInstances: kmax as number,
        replicas: kmin as number,
        profile: { ...d.profile.extra, appprofile: { ...kept, policy: { ...curPolicy, ...policy } } },
      });
      return profileOf(updated);
    },
  );

  for (const op of ['start', 'stop'] as const)
    app.put(
      `${BASE}/edimodels/:modelname/operation/${op}`,
      { schema: { tags, params: NameParams } },
      async (req) => describe(await dep[op](req.params.modelname)),
    );

  app.get(`${BASE}/edimodels/:modelname/instance`, { schema: { tags, params: NameParams } }, async (req) => {
    const d = await dep.get(req.params.modelname);
    const counts = d.serving?.replicaRequests ?? [];
    return {
      name: d.name,
      state: stateOf(d),
      instance: {
        name: d.name,
        state: stateOf(d),
        instances: d.serving
          ? [
              {
                isd_uid: `${d.name}-isd-0`,
                client_number: 0,
                pending_number: 0,
                request_per_sec: 0,
                data_size_per_sec: 0,
                isd_container: counts.map((n, i) => ({
                  container_uid: `${d.name}-kernel-${i}`,
                  host: deps.config.host,
                  status: 'Running',
                  total_task: n,
                  running_task: 0,
                  finish_task: n,
                  failed_task: 0,
                })),
              },
            ]
          : [],
      },
    };
  });

  app.get(`${BASE}/edimodels/:modelname/readme`, { schema: { tags, params: NameParams } }, async (req) => {
    const d = await dep.get(req.params.modelname);
    return { name: d.name, readme: d.readme };
  });
  app.put(
    `${BASE}/edimodels/:modelname/readme`,
    { schema: { tags, params: NameParams, body: Type.Object({ readme: Type.String() }) } },
    async (req) => {
      const d = await dep.update(req.params.modelname, { readme: req.body.readme });
      return { name: d.name, readme: d.readme };
    },
  );

  app.get(`${BASE}/edimodels/:modelname/streaming`, { schema: { tags, params: NameParams } }, async (req) => {
    const d = await dep.get(req.params.modelname);
    return JSON.stringify(`${req.protocol}://${req.host}${d.url}`);
  });

  const InferenceBody = Type.Object(
    {
      action_type: Type.String(),
      data_type: Type.String(),
      data_value: Type.Array(Type.Object({ key: Type.String(), value: Type.String() }), { minItems: 1 }),
      attributes: Type.Optional(Type.Unknown()),
      user: Type.Optional(Type.String()),
    },
    { additionalProperties: true },
  );

  app.post(
    `${BASE}/edimodels/:modelname/inference`,
    { schema: { tags, params: NameParams, body: InferenceBody } },
    async (req) => {
      const { action_type: action, data_type: dataType, data_value: items } = req.body;
      if (!['Classification', 'Regression'].includes(action))
        throw invalid(`action_type '${action}' is not supported here; use Classification or Regression`, {
          errors: [{ field: 'action_type', message: 'must be Classification or Regression' }],
        });
      if (!CSV_TYPES.has(dataType))
        throw invalid(
          `data_type '${dataType}' is not supported: this service scores tabular data (text:csv)`,
          {
            errors: [{ field: 'data_type', message: 'must be text:csv' }],
          },
        );
      const results = [];
      let model = '';
      for (const item of items) {
        const out = await services.deployments.score(
          req.params.modelname,
          parseCsvTable(Buffer.from(item.value)),
        );
        model = out.model;
        const { scores, labels } = out;
        const k = scores.columns.length;
        for (let r = 0; r < scores.nRows; r++) {
          const row = scores.columns.map((c, j) => ({
            label: labels?.[j] ?? c,
            prob: scores.values[r * k + j]!,
          }));
          results.push({
            sampleId: scores.nRows === 1 ? item.key : `${item.key}-${r}`,
            inputPath: '',
            isImage: false,
            results: action === 'Classification' ? row.sort((a, b) => b.prob - a.prob) : row,
          });
        }
      }
      return {
        modelName: req.params.modelname,
        reslove: true,
        other: model,
        results: [
          action === 'Classification'
            ? { type: action, classificationResults: results }
            : { type: action, regressionResults: results },
        ],
      };
    },
  );
};
