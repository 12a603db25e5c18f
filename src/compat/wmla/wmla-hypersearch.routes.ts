/**
 * IBM WMLA hyperparameter search (`/hypersearch`) on tuning jobs: an HPO task is a user-code
 * tuning job whose code is the uploaded `file` (stored as the BYOF execs store theirs), whose
 * command comes from `modelSpec.args`, and whose trials read `config.json` and write
 * `val_dict_list.json` under `$RESULT_DIR`. Every tuning job shows as an HPO task; the hpoName is
 * the job name. What is not served here (user plugin algorithms, restart) stays 501 in the fallback.
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError, invalid } from '../../errors.js';
import type { TrialView, TuningJobDetail } from '../../modules/tuning/index.js';
import type { CompatSurface } from '../index.js';
import { installWmlaAuth } from './wmla-auth.js';
import { WMLA_BASE } from './wmla-common.js';
import { installWmlaErrors } from './wmla-errors.js';
import {
  HPO_ALGORITHMS,
  hpoToTuningJob,
  parseHpoData,
  toHpoTaskState,
  WMLA_FIELD,
  type MetricSummary,
} from './wmla-hypersearch-shapes.js';

const BASE = `${WMLA_BASE}/hypersearch`;
const tags = ['wmla'];
const ENDED = ['succeeded', 'failed', 'cancelled'];
/** Jobs read per page while listing every task. */
const PAGE = 500;

export const wmlaHypersearchRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { runs, tuning } = services;
  installWmlaAuth(app, services, deps);
  await app.register(multipart, { limits: { files: 1, fields: 8, fileSize: deps.config.uploadLimitBytes } });
  installWmlaErrors(app);

  /** The job as HpoTaskState, with each finished trial's objective min/max/latest from its run. */
  async function state(j: TuningJobDetail) {
    const summaries = new Map<number, MetricSummary[]>();
    for (const t of j.trials) {
      if (!t.runId || t.state === 'running') continue;
      const points = await runs.metrics(t.runId, j.metric).catch(() => []);
      if (points.length === 0) continue;
      const values = points.map((p) => p.value);
      summaries.set(t.number, [
        { name: j.metric, min: Math.min(...values), max: Math.max(...values), latest: values.at(-1)! },
      ]);
    }
    return toHpoTaskState(j, (t: TrialView) => summaries.get(t.number) ?? []);
  }

  /** Every tuning job, page by page (WMLA's listing has no paging, so none is cut off). */
  async function all(): Promise<TuningJobDetail[]> {
    const out: TuningJobDetail[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await tuning.list({ limit: PAGE, offset });
      for (const j of page) out.push(await tuning.get(j.name));
      if (page.length < PAGE) return out;
    }
  }

  app.post(
    `${BASE}`,
    { schema: { tags, summary: 'Start an HPO task (multipart file + data)' } },
    async (req, reply) => {
      if (!req.isMultipart())
        throw invalid('send the model as multipart form field "file" and the task as "data"');
      let data: string | undefined;
      let file: { name: string; bytes: Buffer } | null = null;
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          if (part.fieldname === 'data') data = (await part.toBuffer()).toString('utf8');
          else file = { name: part.filename, bytes: await part.toBuffer() };
        } else if (part.fieldname === 'data') data = String(part.value);
      }
      const job = hpoToTuningJob(parseHpoData(data), req.principal.name);
      if (!file) throw invalid('file: the multipart field "file" (the model code) is missing');
      if (await tuning.get(job.name).catch(() => null))
        throw new AppError('conflict', `hpo task '${job.name}' already exists`, { reason: 'name_taken' });
      // WMLA names a model directory upload `<dir>.modelDir.tar`: it is a plain tar.
      const code = await runs.uploadCode(
        file.name.replace(/\.modelDir\.tar$/, '.tar'),
        new Uint8Array(file.bytes),
      );
      try {
        await tuning.create({ ...job, codeId: code.id }, req.principal.name);
      } catch (e) {
        throw inWmlaTerms(e);
      }
      // WMLA's samples read the new task's name as `r.json()`: a JSON string.
      return reply.type('application/json').send(JSON.stringify(job.name));
    },
  );

  app.get(`${BASE}`, { schema: { tags, summary: 'All HPO tasks (HpoTaskState[])' } }, async () =>
    Promise.all((await all()).map(state)),
  );

  app.delete(
    `${BASE}`,
    { schema: { tags, summary: 'Delete every ended HPO task of the caller' } },
    async (req, reply) => {
      for (const j of await all())
        if (j.createdBy === req.principal.name && ENDED.includes(j.state)) await tuning.remove(j.name);
      void reply.status(204);
    },
  );

  const AlgoQuery = Type.Object({ type: Type.Optional(Type.String()) });
  app.get(`${BASE}/algorithm`, { schema: { tags, querystring: AlgoQuery } }, async (req) => {
    const type = (req.query.type ?? 'BUILD_IN').toUpperCase();
    if (type !== 'BUILD_IN' && type !== 'USER_PLUGIN')
      throw invalid(`type: must be BUILD_IN or USER_PLUGIN (got '${req.query.type}')`);
    if (type === 'USER_PLUGIN') return [];
    return Object.entries(HPO_ALGORITHMS).map(([name, ours]) => ({
      name,
      type: 'BUILD_IN',
      desc: `tuning-job algorithm ${ours}`,
    }));
  });

  const NameParams = Type.Object({ hpoName: Type.String({ minLength: 1, maxLength: 100 }) });
  const one = async (name: string) => {
    try {
      return await tuning.get(name);
    } catch (e) {
      throw e instanceof AppError && e.code === 'not_found' ? notFoundTask(name) : e;
    }
  };

  app.get(`${BASE}/:hpoName`, { schema: { tags, params: NameParams } }, async (req) =>
    state(await one(req.params.hpoName)),
  );

  /** Stop: the job is cancelled with its running trials (SIGTERM, then SIGKILL after the grace). */
  app.put(`${BASE}/:hpoName`, { schema: { tags, params: NameParams } }, async (req, reply) => {
    await one(req.params.hpoName);
    await tuning.cancel(req.params.hpoName);
    void reply.status(204);
  });

  /** Force stop: as stop, and a task already ended (the service's 409) is not an error. */
  app.put(`${BASE}/:hpoName/force`, { schema: { tags, params: NameParams } }, async (req, reply) => {
    const j = await one(req.params.hpoName);
    await tuning.cancel(j.name).catch((e: unknown) => {
      if (!(e instanceof AppError && e.code === 'conflict')) throw e;
    });
    void reply.status(204);
  });

  /** Delete: the tuning service refuses (409) a task still queued or running. */
  app.delete(`${BASE}/:hpoName`, { schema: { tags, params: NameParams } }, async (req, reply) => {
    const j = await one(req.params.hpoName);
    await tuning.remove(j.name).catch((e: unknown) => {
      throw inWmlaTerms(e);
    });
    void reply.status(204);
  });
};

const notFoundTask = (name: string) =>
  new AppError('not_found', `hpo task '${name}' was not found`, { reason: 'hpo_task_not_found' });

/** A tuning-service error with the native field renamed to the WMLA one it came from. */
function inWmlaTerms(e: unknown): unknown {
  if (!(e instanceof AppError)) return e;
  if (e.code === 'conflict') return new AppError('conflict', e.message.replace(/^tuning job/, 'hpo task'));
  const first = e.errors[0];
  if (!first) return e;
  const native = first.field.split('.')[0]!;
  const field = first.field.startsWith('space.')
    ? `hyperParams.${first.field.slice('space.'.length)}`
    : (WMLA_FIELD[native] ?? first.field);
  return new AppError(e.code, `${field}: ${first.message}`, {
    reason: e.reason,
    errors: [{ field, message: first.message }],
  });
}
