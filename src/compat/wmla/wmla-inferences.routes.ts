/**
 * IBM WMLA (DLI) batch inferences on the batch prediction jobs of the deployments module:
 * `/platform/rest/deeplearning/v1/inferences`. A prediction (`predictname`) scores uploaded files
 * with a model: `modelname` is a WMLA model (its latest version in project `wmla`), any registry
 * model name, or a registry reference (`name@alias`, `name/3`). Models here are tabular, so the
 * files are CSV tables with a header; images answer 400. This file translates shapes only.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { AppError, invalid } from '../../errors.js';
import { installWmlaAuth } from './wmla-auth.js';
import { readMultipartForm } from '../../http/multipart-form.js';
import type {
  PredictJobInputFile,
  PredictJobView,
  SubmitPredictJob,
} from '../../modules/deployments/index.js';
import type { CompatSurface } from '../index.js';
import { installWmlaErrors } from './wmla-errors.js';
import { createInferenceModel, isInferenceCreateParam } from './wmla-inference-models.js';

const BASE = '/platform/rest/deeplearning/v1';
const WMLA_PROJECT = 'wmla';
const tags = ['wmla'];
/** Form fields of startpredict that are parameters, not input files. */
const KEPT = ['masterUrl', 'sigid', 'signame'] as const;
const CSV_TYPES = new Set(['text:csv', 'csv', 'table:csv']);

/** WMLA never enumerated prediction states; these are the ones its other jobs (execs) use. */
const STATE: Record<PredictJobView['state'], string> = {
  queued: 'SUBMITTED',
  running: 'RUNNING',
  succeeded: 'FINISHED',
  failed: 'FAILED',
  cancelled: 'KILLED',
};

/** The service's field names as WMLA spells them. */
const WMLA_FIELDS: Record<string, string> = { name: 'predictname', model: 'modelname' };

const detail = (j: PredictJobView) => ({
  name: j.name,
  predictname: j.name,
  modelname: j.model,
  modelVersionId: j.versionId,
  state: STATE[j.state],
  // InferenceDetail's names for the state, the inputs and the user.
  status: STATE[j.state],
  threshold: j.threshold,
  inputs: j.inputs.map((i) => i.fileName),
  inputfiles: j.inputs.map((i) => i.fileName).join(','),
  user: j.createdBy ?? '',
  samples: j.samples,
  reason: j.error ?? '',
  signame: j.labels.signame ?? '',
  sigid: j.labels.sigid ?? '',
  creator: j.createdBy ?? '',
  createTime: j.createdAt,
  startTime: j.startedAt ?? '',
  endTime: j.endedAt ?? '',
});

/** Renames the field a validation error names to WMLA's (predictname, modelname). */
function wmlaError(e: unknown): unknown {
  if (!(e instanceof AppError)) return e;
  const first = e.errors[0];
  const wmla = first ? WMLA_FIELDS[first.field] : undefined;
  if (!first || !wmla) return e;
  return new AppError(e.code, `${wmla}: ${first.message}`, {
    reason: e.reason,
    errors: [{ field: wmla, message: first.message }],
  });
}

/** WMLA sends numbers as strings; an empty value means "not given". */
function threshold(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n))
    throw invalid(`threshold must be a number between 0 and 1 (got '${String(v)}')`, {
      errors: [{ field: 'threshold', message: 'must be a number between 0 and 1' }],
    });
  return n;
}

function required(name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '')
    throw invalid(`${name} is required`, { errors: [{ field: name, message: 'is required' }] });
  return v;
}

const InferenceCreateParam = Type.Object(
  {
    modelname: Type.Optional(Type.String()),
    predictname: Type.Optional(Type.String()),
    threshold: Type.Optional(Type.Union([Type.Number(), Type.String()])),
    data_type: Type.Optional(Type.String()),
    data_value: Type.Optional(Type.Array(Type.Object({ key: Type.String(), value: Type.String() }))),
    signame: Type.Optional(Type.String()),
    sigid: Type.Optional(Type.String()),
    masterUrl: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const NameParams = Type.Object({ predictName: Type.String() });

export const wmlaInferenceRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const jobs = services.predictJobs;
  installWmlaAuth(app, services, deps);
  await app.register(multipart, {
    limits: { files: 1000, fields: 20, fileSize: jobs.maxFileBytes },
  });
  installWmlaErrors(app);

  const submit = async (input: Omit<SubmitPredictJob, 'project'>, user?: string) =>
    jobs.submit({ ...input, project: WMLA_PROJECT }, user).catch((e: unknown) => {
      throw wmlaError(e);
    });

  const ListQuery = Type.Object({
    modelname: Type.Optional(Type.String()),
    flag: Type.Optional(Type.String()),
  });
  app.get(`${BASE}/inferences`, { schema: { tags, querystring: ListQuery } }, async (req) => {
    if (req.query.flag !== undefined && req.query.flag !== '' && req.query.flag !== 'false')
      throw invalid(
        'flag (save the list to a file on the server) is not supported here; omit it and save the response yourself',
        { reason: 'unsupported', errors: [{ field: 'flag', message: 'is not supported' }] },
      );
    return (await jobs.list({ model: req.query.modelname })).map(detail);
  });

  // WMLA's InferenceCreateParam makes an inference model; any other body is our JSON variant of
  // startpredict, each data_value item one CSV input named by its key.
  app.post(`${BASE}/inferences`, { schema: { tags, body: InferenceCreateParam } }, async (req, reply) => {
    const b = req.body;
    if (isInferenceCreateParam(b))
      return reply.status(201).send(await createInferenceModel(services, b, req.principal.name));
    const type = b.data_type ?? 'text:csv';
    if (!CSV_TYPES.has(type))
      throw invalid(`data_type '${type}' is not supported: models here score tabular data (text:csv)`, {
        errors: [{ field: 'data_type', message: 'must be text:csv' }],
      });
    const files: PredictJobInputFile[] = (b.data_value ?? []).map((d) => ({
      field: `data_value.${d.key}`,
      fileName: d.key,
      bytes: Buffer.from(d.value),
    }));
    const labels = Object.fromEntries(KEPT.flatMap((k) => (typeof b[k] === 'string' ? [[k, b[k]]] : [])));
    const j = await submit(
      {
        name: required('predictname', b.predictname),
        model: required('modelname', b.modelname),
        threshold: threshold(b.threshold),
        files,
        labels,
      },
      req.principal?.name,
    );
    return reply.status(201).send(detail(j));
  });

  app.post(`${BASE}/inferences/startpredict`, { schema: { tags } }, async (req) => {
    const { fields, files } = await readMultipartForm(
      req,
      'send multipart/form-data: modelname, predictname, threshold and files image0..N',
    );
    const labels = Object.fromEntries(KEPT.flatMap((k) => (fields[k] ? [[k, fields[k]]] : [])));
    const j = await submit(
      {
        name: required('predictname', fields.predictname),
        model: required('modelname', fields.modelname),
        threshold: threshold(fields.threshold),
        files,
        labels,
      },
      req.principal?.name,
    );
    return detail(j);
  });

  app.get(`${BASE}/inferences/:predictName`, { schema: { tags, params: NameParams } }, async (req) =>
    detail(await jobs.get(req.params.predictName)),
  );

  app.delete(`${BASE}/inferences/:predictName`, { schema: { tags, params: NameParams } }, async (req) => {
    await jobs.delete(req.params.predictName);
    return { message: `prediction '${req.params.predictName}' deleted` };
  });

  // Results in the shape of WMLA's inference answers (IaSTestResultParam.results); start/length
  // page the samples, as WMLA's other listings (dataset csvs) do.
  const PageQuery = Type.Object({
    start: Type.Optional(Type.Integer({ minimum: 0 })),
    length: Type.Optional(Type.Integer({ minimum: 1 })),
  });
  app.get(
    `${BASE}/inferences/:predictName/predicts`,
    { schema: { tags, params: NameParams, querystring: PageQuery } },
    async (req) => {
      const { job, result, total } = await jobs.results(req.params.predictName, {
        offset: req.query.start,
        limit: req.query.length,
      });
      const classification = result ? ['binary', 'multiclass'].includes(result.targetType) : false;
      const samples = (result?.samples ?? []).map((s) => ({
        sampleId: s.sampleId,
        inputPath: s.input,
        isImage: false,
        results: s.predictions.map((p) => ({ label: p.label, prob: p.score })),
      }));
      return {
        name: job.name,
        modelname: job.model,
        state: STATE[job.state],
        reason: job.error ?? '',
        model: result?.model ?? '',
        total,
        results: result
          ? [
              classification
                ? { type: 'Classification', classificationResults: samples }
                : { type: 'Regression', regressionResults: samples },
            ]
          : [],
      };
    },
  );

  app.put(`${BASE}/inferences/:predictName/stop`, { schema: { tags, params: NameParams } }, async (req) =>
    detail(await jobs.stop(req.params.predictName)),
  );
};
