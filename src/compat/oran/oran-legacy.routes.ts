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
import { conflict, invalid, notFound } from '../../errors.js';
import { logIfServerError, toAppError } from '../../http/problem.js';
import {
  checkName,
  overallStatus,
  parseLegacyBody,
  parseVersion,
  type LegacyRecord,
} from './oran-legacy-store.js';
import { createLegacyService, type LegacyDeps } from './oran-legacy-service.js';

const TJ = '/trainingjobs';
const tags = ['o-ran'];
const Body = Type.Record(Type.String(), Type.Unknown());
const NameParams = Type.Object({ name: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.String() });

/** A bulk answer: the TM's counts (both the code's and the spec's spellings) and why each failed. */
const bulk = (ok: number, failures: Array<Record<string, unknown>>) => ({
  'success count': ok,
  'failure count': failures.length,
  success_count: ok,
  failure_count: failures.length,
  failures,
});

export const oranLegacyRoutes: FastifyPluginAsync<LegacyDeps> = async (plain, opts) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { deps } = opts;
  const legacy = createLegacyService(opts);
  const { store, checkRefs, insert, start, dropJob, editable, nextVersion, render, modelUrl, deleteModel } =
    legacy;
  const baseUrl = (req: FastifyRequest) => deps.config.publicUrl || `${req.protocol}://${req.host}`;

  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const err = toAppError(error);
    logIfServerError(request, err, error);
    const message =
      err.code === 'internal' ? 'internal error; see the server log for the request id' : err.message;
    return reply.status(err.status).type('application/json').send({ Exception: message });
  });

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
    return { trainingjob: await render(r, baseUrl(req)) };
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
        out.push({ accuracy: await store.accuracy(r), version: r.version, url: modelUrl(baseUrl(req), r) });
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
};
