/**
 * IBM WMLA elastic distributed inference (EDI) on the deployments service:
 * `/platform/rest/deeplearning/v1/edimodels`. An EDI model (inference service)
 * is a deployment of the same name; `modelPath` is a registry reference (`name@alias`, `name/3`)
 * and publish serves the WMLA model of that name (project `wmla`). Kernels map to replicas:
 * kernel_min/kernel_max are the profile's instances, and the service starts kernel_min replicas.
 * Inputs are tabular here: `data_type` `text:csv` (or `csv`), each `data_value` item a CSV with
 * a header; image data types answer 400. WMLA answers `{message}` on errors. The rules (profile
 * bounds, edits only while stopped, no delete while started) are the deployments service's; this
 * file renames fields and shapes.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, invalid } from '../../errors.js';
import { installWmlaAuth } from './wmla-auth.js';
import { parseCsvTable } from '../../modules/serving/csv-payload.js';
import type { CompatSurface } from '../index.js';
import { installWmlaErrors } from './wmla-errors.js';
import {
  describe,
  IaSParam,
  iasExtra,
  profileOf,
  num,
  requireFields,
  stateOf,
  thresholdOf,
  withWmlaFields,
  type IaSParamT,
} from './wmla-edi-shapes.js';

const BASE = '/platform/rest/deeplearning/v1';
const WMLA_PROJECT = 'wmla';
const tags = ['wmla'];
const CSV_TYPES = new Set(['text:csv', 'csv', 'table:csv']);

const NameParams = Type.Object({ modelname: Type.String() });

export const wmlaEdiRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const dep = services.deployments;
  installWmlaAuth(app, services, deps);
  installWmlaErrors(app);

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
    {
      schema: { tags, params: NameParams, body: IaSParam },
      // Every IaSParam field is optional when publishing: no body at all means all defaults.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req, reply) => {
      const body = req.body;
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
    const { name } = await dep.delete(req.params.modelname, { refuseWhileRunning: true });
    return { message: `inference service '${name}' deleted` };
  });

  app.get(`${BASE}/edimodels/:modelname/appprofile`, { schema: { tags, params: NameParams } }, async (req) =>
    profileOf(await dep.get(req.params.modelname)),
  );

  app.put(
    `${BASE}/edimodels/:modelname/appprofile`,
    { schema: { tags, params: NameParams, body: Type.Record(Type.String(), Type.Unknown()) } },
    async (req) => {
      const d = await dep.get(req.params.modelname);
      const policy = (req.body.policy ?? {}) as Record<string, unknown>;
      const kernel = (req.body.kernel ?? {}) as Record<string, unknown>;
      const curPolicy = profileOf(d).policy;
      const kmin = num(policy.kernel_min ?? curPolicy.kernel_min);
      const { name: _n, create_time: _c, update_time: _u, ...kept } = req.body;
      // kernel_min kernels are started: the profile's least instances is also the replica count.
      const updated = await withWmlaFields(() =>
        dep.update(
          d.name,
          {
            minInstances: kmin,
            maxInstances: num(policy.kernel_max ?? curPolicy.kernel_max),
            replicas: kmin,
            scaleDownDelaySeconds: num(
              policy.kernel_delay_release_time ?? curPolicy.kernel_delay_release_time,
            ),
            ...(kernel.gpu !== undefined ? { gpu: String(kernel.gpu) } : {}),
            profile: { ...d.profile.extra, appprofile: { ...kept, policy: { ...curPolicy, ...policy } } },
          },
          { requireStopped: true },
        ),
      );
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
      const threshold = thresholdOf(req.body.attributes);
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
            results:
              action === 'Classification'
                ? row.filter((x) => x.prob >= threshold).sort((a, b) => b.prob - a.prob)
                : row,
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
