import { installWmlaErrors } from './wmla-errors.js';
/**
 * IBM WMLA deep-learning REST `models` and `modeltemplates` on the registry service. Names are the
 * ids: a WMLA model is the registered model of that name in project `wmla`, a template the one in
 * `wmla-templates`; their files are artifacts. A model records that it uses its template (the
 * shared references table), so deleting a template in use is 409, as WMLA answers; likewise a
 * model uses the dataset its `dataset` field names (see wmlaDatasetUse).
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, invalid } from '../../errors.js';
import { installWmlaAuth } from './wmla-auth.js';
import type { ModelVersionView } from '../../modules/registry/index.js';
import type { CompatSurface } from '../index.js';
import {
  findWmla,
  mustFindWmla,
  WMLA_BASE,
  WMLA_MODELS_PROJECT,
  WMLA_RUN_STATE,
  WMLA_TEMPLATES_PROJECT,
} from './wmla-common.js';
import { wmlaDatasetUse } from './wmla-datasets.routes.js';
import {
  FileBody,
  latestOf,
  ModelBody,
  ModelUpdate,
  TemplateBody,
  toModel,
  toTemplate,
} from './wmla-model-shapes.js';
import { forgetTraining, TRAINING_LABELS, trainingsOf } from './wmla-trainings.routes.js';

const BASE = WMLA_BASE;
const MODELS = WMLA_MODELS_PROJECT;
const TEMPLATES = WMLA_TEMPLATES_PROJECT;
const REFERRER = 'wmla_model';
const tags = ['wmla'];
const FRAMEWORKS = ['Caffe', 'TensorFlow', 'PyTorch'];
/** WMLA's spelling of a framework name sent in any case (its samples send `tensorflow`). */
const canonical = (f: string) => FRAMEWORKS.find((x) => x.toLowerCase() === f.toLowerCase());
function mustFramework(f: unknown): string {
  const c = typeof f === 'string' ? canonical(f) : undefined;
  if (!c)
    throw invalid(`framework must be one of ${FRAMEWORKS.join(', ')}`, {
      errors: [{ field: 'framework', message: `must be one of ${FRAMEWORKS.join(', ')}` }],
    });
  return c;
}

const find = findWmla;
const mustFind = mustFindWmla;

export const wmlaModelRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const reg = services.registry;
  installWmlaAuth(app, services, deps);
  await app.register(multipart, { limits: { files: 1, fields: 8, fileSize: deps.config.uploadLimitBytes } });
  installWmlaErrors(app);
  const datasetUse = wmlaDatasetUse(services.datasets);

  const listOf = (project: string, extra: Record<string, unknown> = {}) => latestOf(reg, project, extra);

  const files = async (v: ModelVersionView) => (await reg.listArtifacts(v.id)).map((a) => a.path);
  const content = async (v: ModelVersionView, filename: string, reply: FastifyReply) => {
    const { artifact, stream } = await reg.openArtifact(v.id, filename);
    return reply.type(artifact.contentType).send(stream);
  };
  const saveFile = (v: ModelVersionView, filename: string, body: string) =>
    reg.putArtifact(v.id, filename, body, { contentType: 'text/plain', force: true });
  const NameParams = Type.Object({ name: Type.String() });
  const FileParams = Type.Object({ name: Type.String(), '*': Type.String() });

  // ---- models
  app.get(`${BASE}/models`, { schema: { tags } }, async () => (await listOf(MODELS)).map(toModel));

  app.post(`${BASE}/models`, { schema: { tags, body: ModelBody } }, async (req, reply) => {
    const { name, templatename, description, ...rest } = req.body;
    if (await find(reg, MODELS, name)) throw new AppError('conflict', `model '${name}' already exists`);
    const template = await find(reg, TEMPLATES, templatename);
    if (!template) throw invalid(`template '${templatename}' was not found`);
    const datasetVersions = await datasetUse.check(rest.dataset);
    const v = await reg.create(
      {
        name,
        project: MODELS,
        comment: description ?? '',
        framework: template.framework,
        design: { templatename, ...rest },
      },
      req.principal.name,
    );
    await reg.addReference(template.id, { kind: REFERRER, id: v.id });
    await datasetUse.add(datasetVersions, v.id);
    void reply.status(201);
    return toModel(v);
  });

  app.get(`${BASE}/models/:name`, { schema: { tags, params: NameParams } }, async (req) =>
    toModel(await mustFind(reg, MODELS, req.params.name, 'model')),
  );

  app.put(
    `${BASE}/models/:name`,
    { schema: { tags, params: NameParams, body: ModelUpdate } },
    async (req) => {
      const v = await mustFind(reg, MODELS, req.params.name, 'model');
      const { name: _n, description, templatename: _t, ...rest } = req.body;
      const before = (v.design as { dataset?: unknown } | null)?.dataset;
      const moved = 'dataset' in rest && rest.dataset !== before;
      const datasetVersions = moved ? await datasetUse.check(rest.dataset) : [];
      const out = await reg.edit(
        v.id,
        { design: rest, ...(typeof description === 'string' ? { comment: description } : {}) },
        { force: true, mergeObjects: true, user: req.principal.name },
      );
      if (moved) {
        await datasetUse.release(before, v.id);
        await datasetUse.add(datasetVersions, v.id);
      }
      return toModel(out.model);
    },
  );

  app.delete(`${BASE}/models/:name`, { schema: { tags, params: NameParams } }, async (req) => {
    const v = await mustFind(reg, MODELS, req.params.name, 'model');
    // WMLA's "in use": a training still queued or running uses the model's version (the registry
    // refuses the delete); the message names the training as WMLA does.
    await reg.delete(v.id).catch(async (e: unknown) => {
      const runRef = (e as AppError).details?.referrers as Array<{ kind: string; id: string }> | undefined;
      const use = runRef?.find((u) => u.kind === 'run');
      if (!(e instanceof AppError) || e.code !== 'conflict' || !use) throw e;
      const r = await services.runs.get(use.id);
      throw new AppError(
        'conflict',
        `model '${v.name}' is in use by training '${r.labels[TRAINING_LABELS.training] ?? r.name}' (${WMLA_RUN_STATE[r.state]}); stop it first`,
      );
    });
    const trainings = await trainingsOf(services.runs, v.name);
    // Its trainings (and their validations) go with it, so a new model of that name starts empty.
    for (const r of trainings) await forgetTraining(services.runs, r);
    const template = await find(
      reg,
      TEMPLATES,
      String((v.design as { templatename?: string } | null)?.templatename ?? ''),
    );
    if (template) await reg.removeReference(template.id, { kind: REFERRER, id: v.id });
    await datasetUse.release((v.design as { dataset?: unknown } | null)?.dataset, v.id);
    return { message: `model '${v.name}' deleted` };
  });

  app.get(`${BASE}/models/:name/files`, { schema: { tags, params: NameParams } }, async (req) =>
    files(await mustFind(reg, MODELS, req.params.name, 'model')),
  );
  app.put(
    `${BASE}/models/:name/files`,
    { schema: { tags, params: NameParams, body: FileBody } },
    async (req) => {
      await saveFile(
        await mustFind(reg, MODELS, req.params.name, 'model'),
        req.body.filename,
        req.body.content,
      );
      return { message: `file '${req.body.filename}' saved` };
    },
  );
  app.get(`${BASE}/models/:name/files/*`, { schema: { tags, params: FileParams } }, async (req, reply) =>
    content(await mustFind(reg, MODELS, req.params.name, 'model'), req.params['*'], reply),
  );
  app.get(
    `${BASE}/models/files/:filename`,
    {
      schema: {
        tags,
        params: Type.Object({ filename: Type.String() }),
        querystring: Type.Object({ modelname: Type.String() }),
      },
    },
    async (req, reply) =>
      content(await mustFind(reg, MODELS, req.query.modelname, 'model'), req.params.filename, reply),
  );

  /** Weight file upload: multipart `file` with a `modelname` field (or query); 409 if it exists. */
  app.post(
    `${BASE}/models/weightfile`,
    { schema: { tags, querystring: Type.Object({ modelname: Type.Optional(Type.String()) }) } },
    async (req, reply) => {
      if (!req.isMultipart()) throw invalid('send the weight file as multipart form field "file"');
      let modelName = req.query.modelname;
      for await (const part of req.parts()) {
        if (part.type === 'field' && part.fieldname === 'modelname') modelName = String(part.value);
        else if (part.type === 'file') {
          if (!modelName) throw invalid('modelname is required (form field before the file, or query)');
          const v = await mustFind(reg, MODELS, modelName, 'model');
          const out = await reg.putArtifact(v.id, `weights/${part.filename}`, part.file, {
            noReplace: true,
            force: true,
          });
          void reply.status(201);
          return { name: out.artifact.path, size: out.artifact.sizeBytes };
        }
      }
      throw invalid('multipart field "file" is missing');
    },
  );

  // ---- model templates
  app.get(
    `${BASE}/modeltemplates`,
    { schema: { tags, querystring: Type.Object({ framework: Type.Optional(Type.String()) }) } },
    async (req) =>
      (
        await listOf(
          TEMPLATES,
          req.query.framework ? { framework: [canonical(req.query.framework) ?? req.query.framework] } : {},
        )
      ).map(toTemplate),
  );

  app.post(`${BASE}/modeltemplates`, { schema: { tags, body: TemplateBody } }, async (req, reply) => {
    const { name, path, framework: sent, description, ...rest } = req.body;
    const framework = mustFramework(sent);
    if (await find(reg, TEMPLATES, name))
      throw new AppError('conflict', `model template '${name}' already exists`);
    const v = await reg.create(
      { name, project: TEMPLATES, uri: path, framework, comment: description ?? '', design: rest },
      req.principal.name,
    );
    void reply.status(201);
    return toTemplate(v);
  });

  app.get(`${BASE}/modeltemplates/:name`, { schema: { tags, params: NameParams } }, async (req) =>
    toTemplate(await mustFind(reg, TEMPLATES, req.params.name, 'model template')),
  );

  app.put(
    `${BASE}/modeltemplates/:name`,
    { schema: { tags, params: NameParams, body: Type.Record(Type.String(), Type.Unknown()) } },
    async (req) => {
      const v = await mustFind(reg, TEMPLATES, req.params.name, 'model template');
      const { name: _n, path, framework, description, ...rest } = req.body;
      const out = await reg.edit(
        v.id,
        {
          design: rest,
          ...(typeof path === 'string' ? { uri: path } : {}),
          ...(framework !== undefined ? { framework: mustFramework(framework) } : {}),
          ...(typeof description === 'string' ? { comment: description } : {}),
        },
        { force: true, mergeObjects: true, user: req.principal.name },
      );
      return toTemplate(out.model);
    },
  );

  app.delete(`${BASE}/modeltemplates/:name`, { schema: { tags, params: NameParams } }, async (req) => {
    const v = await mustFind(reg, TEMPLATES, req.params.name, 'model template');
    await reg.delete(v.id);
    return { message: `model template '${v.name}' deleted` };
  });

  app.get(`${BASE}/modeltemplates/:name/files`, { schema: { tags, params: NameParams } }, async (req) =>
    files(await mustFind(reg, TEMPLATES, req.params.name, 'model template')),
  );
  app.put(
    `${BASE}/modeltemplates/:name/files`,
    { schema: { tags, params: NameParams, body: FileBody } },
    async (req) => {
      await saveFile(
        await mustFind(reg, TEMPLATES, req.params.name, 'model template'),
        req.body.filename,
        req.body.content,
      );
      return { message: `file '${req.body.filename}' saved` };
    },
  );
  app.get(
    `${BASE}/modeltemplates/:name/files/*`,
    { schema: { tags, params: FileParams } },
    async (req, reply) =>
      content(await mustFind(reg, TEMPLATES, req.params.name, 'model template'), req.params['*'], reply),
  );
  app.get(
    `${BASE}/modeltemplates/files/:filename`,
    {
      schema: {
        tags,
        params: Type.Object({ filename: Type.String() }),
        querystring: Type.Object({ templatename: Type.String() }),
      },
    },
    async (req, reply) =>
      content(
        await mustFind(reg, TEMPLATES, req.query.templatename, 'model template'),
        req.params.filename,
        reply,
      ),
  );
};
