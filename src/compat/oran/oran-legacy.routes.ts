/**
 * The O-RAN TM's legacy (≤ 2024) trainingjobs API. A job is a name with integer versions
 * (oran-legacy-store.ts); starting a version creates a current-API O-RAN job (oran-jobs.ts) for
 * the model id (trainingjob_name, "<version>"), so steps, notifications, the trained model and its
 * `/model/{name}/{version}/Model.zip` download are those of the current API. Errors are the legacy
 * envelope `{"Exception": "<message>"}`.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, conflict, invalid, notFound } from '../../errors.js';
import type { Deps } from '../../deps.js';
import { logIfServerError, toAppError } from '../../http/problem.js';
import type { Services } from '../../modules/index.js';
import type { PipelinesService } from '../../modules/runs/pipelines.js';
import type { OranJobs } from './oran-jobs.js';
import {
  checkName,
  createLegacyStore,
  overallStatus,
  parseLegacyBody,
  parseVersion,
  startable,
  type LegacyRecord,
  type LegacyRow,
} from './oran-legacy-store.js';
import { findOran } from './oran-models.routes.js';

const TJ = '/trainingjobs';
const tags = ['o-ran'];
const Body = Type.Record(Type.String(), Type.Unknown());
const NameParams = Type.Object({ name: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.String() });

interface Opts {
  services: Services;
  deps: Deps;
  jobs: OranJobs;
  pipelines: PipelinesService;
}

/** A bulk answer: the TM's counts (both the code's and the spec's spellings) and why each failed. */
const bulk = (ok: number, failures: Array<Record<string, unknown>>) => ({
  'success count': ok,
  'failure count': failures.length,
  success_count: ok,
  failure_count: failures.length,
  failures,
});

export const oranLegacyRoutes: FastifyPluginAsync<Opts> = async (
  plain,
  { services, deps, jobs, pipelines },
) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { runs, registry: reg, featureGroups } = services;
  const store = createLegacyStore(deps.db, runs);
  const baseUrl = (req: FastifyRequest) => deps.config.publicUrl || `${req.protocol}://${req.host}`;

  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const err = toAppError(error);
    logIfServerError(request, err, error);
    const message =
      err.code === 'internal' ? 'internal error; see the server log for the request id' : err.message;
    return reply.status(err.status).type('application/json').send({ Exception: message });
  });

  /** 404 for a missing feature group or pipeline, before anything is stored. */
  async function checkRefs(rec: LegacyRecord) {
    await featureGroups.get(rec.featuregroup_name);
    const builtin = rec.pipeline_name.startsWith('builtin.');
    await pipelines.get(rec.pipeline_name, builtin ? undefined : rec.pipeline_version || undefined);
  }

  async function insert(name: string, version: number, rec: LegacyRecord) {
    try {
      await store.insert(name, version, rec);
    } catch (e) {
      if (e instanceof AppError) throw e;
      if ((await store.versions(name)).some((r) => r.version === version))
        throw conflict(`trainingjob name(${name}) version ${version} is already present in database`);
      throw e;
    }
  }

  /** Starts a version: a current-API job for model id (name, "<version>"). */
  async function start(r: LegacyRow, principal: string): Promise<void> {
    if (r.deletion_in_progress) throw invalid(`Trainingjob(${r.name}) version ${r.version} is being deleted`);
    if (!startable(r) || !(await store.claim(r)))
      throw invalid(
        `Trainingjob(${r.name}) version ${r.version} is already started; edit it (PUT) or retrain it when it is FINISHED or FAILED`,
      );
    const rec = JSON.parse(r.record) as LegacyRecord;
    const builtin = rec.pipeline_name.startsWith('builtin.');
    // User code also gets the legacy job's name and version, as the TM passed them to the pipeline.
    const args = builtin
      ? rec.arguments
      : { ...rec.arguments, trainingjob_name: r.name, version: String(r.version) };
    const body = {
      model_id: { modelname: r.name, modelversion: String(r.version) },
      training_config: {
        description: rec.description,
        dataPipeline: {
          feature_group_name: rec.featuregroup_name,
          query_filter: rec.query_filter,
          arguments: args,
        },
        trainingPipeline: {
          training_pipeline_name: rec.pipeline_name,
          training_pipeline_version: rec.pipeline_version,
          retraining_pipeline_name: rec.pipeline_name,
          retraining_pipeline_version: rec.pipeline_version,
        },
      },
      notification_url: rec.notification_url,
    };
    try {
      const job = await jobs.create(body, principal);
      await store.setStarted(r, job.id, job.run_id);
    } catch (e) {
      await store.setStarted(r, null, null);
      throw e;
    }
  }

  /** Drops the current-API job a version points at (stopping its run if still going). */
  async function dropJob(r: LegacyRow) {
    if (r.job_id === null) return;
    const job = await jobs.get(r.job_id).catch(() => null);
    if (job) await jobs.remove(job);
  }

  /** The latest version if it may be edited or retrained: not running, not being deleted. */
  async function editable(name: string): Promise<LegacyRow> {
    const r = await store.latest(name);
    if (r.deletion_in_progress) throw invalid(`Trainingjob(${name}) is being deleted`);
    const status = overallStatus(await store.steps(r));
    if (status === 'IN_PROGRESS')
      throw invalid(
        `Trainingjob(${name}) version ${r.version} is IN_PROGRESS, not in finished or failed status`,
      );
    return r;
  }

  /** A new version (enable_versioning) or the latest one edited in place and reset. */
  async function nextVersion(r: LegacyRow, rec: LegacyRecord): Promise<LegacyRow> {
    if (rec.enable_versioning) {
      await insert(r.name, r.version + 1, rec);
      return store.get(r.name, r.version + 1);
    }
    await dropJob(r);
    await store.overwrite(r, rec);
    return store.get(r.name, r.version);
  }

  async function render(r: LegacyRow, req: FastifyRequest) {
    const rec = JSON.parse(r.record) as LegacyRecord;
    const steps = await store.steps(r);
    const started = r.run_id !== null && !r.run_id.startsWith('starting:');
    return {
      trainingjob_name: r.name,
      description: rec.description,
      featuregroup_name: rec.featuregroup_name,
      feature_list: rec.featuregroup_name,
      pipeline_name: rec.pipeline_name,
      pipeline_version: rec.pipeline_version,
      experiment_name: rec.experiment_name,
      arguments: rec.arguments,
      query_filter: rec.query_filter,
      creation_time: r.created_at,
      updation_time: r.updated_at,
      run_id: started ? r.run_id : '',
      training_job_id: r.job_id,
      steps_state: steps,
      overall_status: overallStatus(steps),
      version: r.version,
      accuracy: await store.accuracy(r),
      enable_versioning: rec.enable_versioning,
      datalake_source: rec.datalake_source,
      model_url: steps.TRAINED_MODEL === 'FINISHED' ? modelUrl(req, r) : '',
      notification_url: rec.notification_url,
      _measurement: rec._measurement,
      bucket: rec.bucket,
      is_mme: rec.is_mme,
      model_name: rec.model_name,
      deletion_in_progress: r.deletion_in_progress === 1,
    };
  }
  const modelUrl = (req: FastifyRequest, r: LegacyRow) =>
    `${baseUrl(req)}/model/${encodeURIComponent(r.name)}/${r.version}/Model.zip`;

  // ---- routes (static segments win over parameters: `latest`, `retraining`, `metadata`) ----
  app.get(`${TJ}/latest`, { schema: { tags } }, async () => ({
    trainingjobs: await Promise.all(
      (await store.allLatest()).map(async (r) => ({
        trainingjob_name: r.name,
        version: r.version,
        overall_status: overallStatus(await store.steps(r)),
      })),
    ),
  }));

  app.post(`${TJ}/:name`, { schema: { tags, params: NameParams, body: Body } }, async (req, reply) => {
    const { name } = req.params;
    checkName(name);
    const rec = parseLegacyBody(req.body);
    if ((await store.versions(name)).length > 0)
      throw conflict(`trainingjob name(${name}) is already present in database`);
    await checkRefs(rec);
    await insert(name, 1, rec);
    void reply.status(201);
    return { result: 'Information stored in database.' };
  });

  app.put(`${TJ}/:name`, { schema: { tags, params: NameParams, body: Body } }, async (req) => {
    const { name } = req.params;
    checkName(name);
    const rec = parseLegacyBody(req.body);
    const r = await editable(name);
    await checkRefs(rec);
    await nextVersion(r, rec);
    return { result: 'Information updated in database.' };
  });

  app.post(`${TJ}/:name/training`, { schema: { tags, params: NameParams } }, async (req) => {
    const { name } = req.params;
    checkName(name);
    await start(await store.latest(name), req.principal.name);
    return { trainingjob_name: name, result: 'Training started' };
  });

  app.get(`${TJ}/:name/:version`, { schema: { tags, params: VersionParams } }, async (req) => {
    checkName(req.params.name);
    const r = await store.get(req.params.name, parseVersion(req.params.version));
    return { trainingjob: await render(r, req) };
  });

  app.get(`${TJ}/:name/:version/steps_state`, { schema: { tags, params: VersionParams } }, async (req) => {
    checkName(req.params.name);
    return store.steps(await store.get(req.params.name, parseVersion(req.params.version)));
  });

  app.get(`${TJ}/metadata/:name`, { schema: { tags, params: NameParams } }, async (req) => {
    const { name } = req.params;
    checkName(name);
    const rows = (await store.versions(name)).filter((r) => !r.deletion_in_progress);
    if (rows.length === 0) throw notFound('trainingjob', name);
    const out = [];
    for (const r of rows)
      if (overallStatus(await store.steps(r)) === 'FINISHED')
        out.push({ accuracy: await store.accuracy(r), version: r.version, url: modelUrl(req, r) });
    return { Successed_metadata: out };
  });

  app.post(`${TJ}/retraining`, { schema: { tags, body: Body } }, async (req) => {
    const list = req.body.trainingjobs_list;
    if (!Array.isArray(list)) throw invalid('trainingjobs_list is required and must be an array');
    let ok = 0;
    const failures: Array<Record<string, unknown>> = [];
    for (const item of list as unknown[]) {
      const name =
        typeof item === 'object' && item !== null ? (item as Record<string, unknown>).trainingjob_name : '';
      try {
        if (typeof name !== 'string') throw invalid('trainingjob_name must be a string');
        checkName(name);
        const it = item as Record<string, unknown>;
        const r = await editable(name);
        const rec = JSON.parse(r.record) as LegacyRecord;
        const next = parseLegacyBody({
          ...rec,
          ...(it.notification_url !== undefined ? { notification_url: it.notification_url } : {}),
          ...(it.feature_filter !== undefined ? { query_filter: it.feature_filter } : {}),
        });
        await start(await nextVersion(r, next), req.principal.name);
        ok++;
      } catch (e) {
        failures.push({ trainingjob_name: name, reason: toAppError(e).message });
      }
    }
    return bulk(ok, failures);
  });

  app.delete(TJ, { schema: { tags, body: Body } }, async (req) => {
    const list = req.body.list;
    if (!Array.isArray(list))
      throw invalid('list is required and must be an array of {trainingjob_name, version}');
    let ok = 0;
    const failures: Array<Record<string, unknown>> = [];
    for (const item of list as unknown[]) {
      const it = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
      try {
        if (typeof it.trainingjob_name !== 'string') throw invalid('trainingjob_name must be a string');
        checkName(it.trainingjob_name);
        const r = await store.get(it.trainingjob_name, parseVersion(String(it.version ?? '')));
        // A version already marked (a delete cut short by a restart) is finished off.
        if (!r.deletion_in_progress) {
          const status = overallStatus(await store.steps(r));
          if (status === 'IN_PROGRESS') throw invalid(`version ${r.version} is IN_PROGRESS`);
          await store.markDeleting(r);
        }
        await dropJob(r);
        await deleteModel(r);
        await store.remove(r);
        ok++;
      } catch (e) {
        failures.push({
          trainingjob_name: it.trainingjob_name,
          version: it.version,
          reason: toAppError(e).message,
        });
      }
    }
    return bulk(ok, failures);
  });

  /** The MME registration this version trained, as the TM deleted the model from its store. */
  async function deleteModel(r: LegacyRow) {
    if (r.run_id === null) return;
    const v = await findOran(reg, r.name, String(r.version));
    if (!v || v.metadata.find((m) => m.key === 'modelVersion')?.value !== String(r.version)) return;
    await reg
      .delete(v.id)
      .catch((err: unknown) => deps.logger.warn({ err, model: v.id }, 'legacy O-RAN job: registration kept'));
  }
};
