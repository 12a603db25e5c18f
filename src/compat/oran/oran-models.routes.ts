/**
 * O-RAN SC AI/ML Framework model pieces on the registry service: the Training Manager's
 * `Model.zip` download and the Model Management Service's model registrations and uploads.
 * Translation only: an O-RAN (modelName, modelVersion) is a registered model version whose
 * metadata `modelVersion` holds the O-RAN version string (or, failing that, our version number).
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AppError, invalid } from '../../errors.js';
import { installAuth } from '../../http/auth.js';
import { MAX_PAGE_SIZE, type ModelVersionView, type RegistryService } from '../../modules/registry/index.js';
import type { CompatSurface } from '../index.js';
import { installOranProblemHandler } from './oran-problem.js';

const MME = '/ai-ml-model-registration/v1';
export const ORAN_PROJECT = 'oran';
const PROJECT = ORAN_PROJECT;
const tags = ['o-ran'];

const ModelRegistration = Type.Object({
  modelId: Type.Object({
    modelName: Type.String({ minLength: 1 }),
    modelVersion: Type.String({ minLength: 1 }),
  }),
  description: Type.Optional(Type.String()),
  modelInformation: Type.Optional(
    Type.Object({
      metadata: Type.Optional(Type.Object({ author: Type.Optional(Type.String()) })),
      inputDataType: Type.Optional(Type.String()),
      outputDataType: Type.Optional(Type.String()),
    }),
  ),
  modelLocation: Type.Optional(Type.String()),
});
type ModelRegistration = Static<typeof ModelRegistration>;

const escapeRegex = (s: string) => s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
const metaValue = (v: ModelVersionView, key: string) => v.metadata.find((m) => m.key === key)?.value ?? '';

/** The version registered as (name, O-RAN version), or undefined. */
export async function findOran(
  reg: RegistryService,
  name: string,
  version: string,
): Promise<ModelVersionView | undefined> {
  const byMeta = await reg.search({
    filter: { name: `^${escapeRegex(name)}$`, 'metadata.modelVersion': [version] },
    orderBy: ['-created'],
    pageSize: 1,
  });
  const hit = byMeta.items[0];
  if (hit) return reg.get(hit.id);
  if (!/^\d+$/.test(version)) return undefined;
  try {
    return await reg.resolve(`${name}/${version}`);
  } catch (e) {
    if (e instanceof AppError && (e.code === 'not_found' || e.reason === 'ambiguous_model_name'))
      return undefined;
    throw e;
  }
}

/** Every registration matching `filter`, oldest first: the MME lists have no paging, so neither do we. */
async function searchAll(reg: RegistryService, filter: Record<string, unknown>) {
  const out: ModelVersionView[] = [];
  for (let page = 0; ; page++) {
    const res = await reg.search({ filter, orderBy: ['created'], page, pageSize: MAX_PAGE_SIZE });
    out.push(...(await reg.getMany(res.items.map((i) => i.id))));
    if (!res.hasMore) return out;
  }
}

function toRegistration(v: ModelVersionView) {
  const csv = (s: string) => (s === '' ? undefined : s);
  return {
    id: v.id,
    modelId: {
      modelName: v.name,
      modelVersion: metaValue(v, 'modelVersion') || String(v.version),
      artifactVersion: v.artifactVersion,
    },
    description: v.comment,
    modelInformation: {
      metadata: { author: v.createdBy ?? '' },
      inputDataType: csv(metaValue(v, 'inputDataType')) ?? '',
      outputDataType: csv(metaValue(v, 'outputDataType')) ?? '',
    },
    modelLocation: v.uri,
  };
}

export const oranModelRoutes: CompatSurface = async (plain, { services, deps }) => {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const reg = services.registry;
  installAuth(app, { tokens: services.tokens, host: deps.config.host, authMode: deps.config.authMode });
  await app.register(multipart, { limits: { files: 1, fields: 8, fileSize: deps.config.uploadLimitBytes } });
  installOranProblemHandler(app);

  const sendZip = async (reply: FastifyReply, name: string, version: string, artifactVersion?: string) => {
    const v = await findOran(reg, name, version);
    if (!v) throw new AppError('not_found', `model ${name} version ${version} is not registered`);
    if (artifactVersion !== undefined && artifactVersion !== v.artifactVersion)
      throw new AppError(
        'not_found',
        `model ${name} version ${version} has no artifact version ${artifactVersion}`,
      );
    // A model uploaded through MME is one Model.zip: serve it as is; otherwise zip the files.
    const files = await reg.listArtifacts(v.id);
    const stream = files.some((f) => f.path === 'Model.zip')
      ? (await reg.openArtifact(v.id, 'Model.zip')).stream
      : (await reg.openZip(v.id)).stream;
    return reply
      .type('application/zip')
      .header('content-disposition', 'attachment; filename="Model.zip"')
      .send(stream);
  };

  const ZipParams = Type.Object({
    name: Type.String(),
    version: Type.String(),
    artifactVersion: Type.String(),
  });
  app.get(
    '/model/:name/:version/:artifactVersion/Model.zip',
    { schema: { tags, params: ZipParams } },
    async (req, reply) => sendZip(reply, req.params.name, req.params.version, req.params.artifactVersion),
  );
  // Legacy TM path (no artifact version): the current files.
  app.get(
    '/model/:name/:version/Model.zip',
    { schema: { tags, params: Type.Object({ name: Type.String(), version: Type.String() }) } },
    async (req, reply) => sendZip(reply, req.params.name, req.params.version),
  );
  app.get(
    `${MME}/downloadModel/:name/:version/:artifactVersion/model.zip`,
    { schema: { tags, params: ZipParams } },
    async (req, reply) => sendZip(reply, req.params.name, req.params.version, req.params.artifactVersion),
  );

  app.post(
    `${MME}/model-registrations`,
    { schema: { tags, body: ModelRegistration } },
    async (req, reply) => {
      const b: ModelRegistration = req.body;
      if (await findOran(reg, b.modelId.modelName, b.modelId.modelVersion))
        throw new AppError('conflict', 'model name and version combination already present');
      const info = b.modelInformation ?? {};
      const v = await reg.create(
        {
          name: b.modelId.modelName,
          project: PROJECT,
          comment: b.description ?? '',
          uri: b.modelLocation ?? '',
          metadata: [
            { key: 'modelVersion', type: 'str', value: b.modelId.modelVersion },
            { key: 'inputDataType', type: 'str', value: info.inputDataType ?? '' },
            { key: 'outputDataType', type: 'str', value: info.outputDataType ?? '' },
          ],
        },
        info.metadata?.author ?? req.principal.name,
      );
      // As the MME: Location without a leading slash, and the registration wrapped as `modelInfo`.
      void reply.status(201).header('location', `${MME.slice(1)}/model-registrations/${v.id}`);
      return { modelInfo: toRegistration(v) };
    },
  );

  app.get(`${MME}/model-registrations`, { schema: { tags } }, async () => {
    return (await searchAll(reg, { projectName: PROJECT })).map(toRegistration);
  });

  const IdParams = Type.Object({ id: Type.String() });
  app.get(`${MME}/model-registrations/:id`, { schema: { tags, params: IdParams } }, async (req) =>
    toRegistration(await reg.get(req.params.id)),
  );

  // As the MME: the body is a whole registration whose model id must be the stored one (400),
  // and the answer wraps it as `modelinfo`. The artifact version is the registry's own.
  app.put(
    `${MME}/model-registrations/:id`,
    { schema: { tags, params: IdParams, body: ModelRegistration } },
    async (req) => {
      const b: ModelRegistration = req.body;
      const v = await reg.get(req.params.id);
      const stored = toRegistration(v).modelId;
      if (stored.modelName !== b.modelId.modelName || stored.modelVersion !== b.modelId.modelVersion)
        throw invalid(
          `model with id: ${req.params.id} has different modelName and modelVersion than provided`,
        );
      const info = b.modelInformation ?? {};
      const keep = v.metadata.filter((m) => !['inputDataType', 'outputDataType'].includes(m.key));
      const { model } = await reg.edit(
        v.id,
        {
          comment: b.description ?? '',
          uri: b.modelLocation ?? '',
          metadata: [
            ...keep,
            { key: 'inputDataType', type: 'str', value: info.inputDataType ?? '' },
            { key: 'outputDataType', type: 'str', value: info.outputDataType ?? '' },
          ],
        },
        { force: true, user: req.principal.name },
      );
      return { modelinfo: toRegistration(model) };
    },
  );

  app.delete(`${MME}/model-registrations/:id`, { schema: { tags, params: IdParams } }, async (req, reply) => {
    await reg.delete(req.params.id);
    void reply.status(204);
  });

  app.get(
    `${MME}/getModelInfo/:name`,
    { schema: { tags, params: Type.Object({ name: Type.String() }) } },
    async (req) => {
      return (await searchAll(reg, { name: `^${escapeRegex(req.params.name)}$` })).map(toRegistration);
    },
  );

  // R1AP model discovery. The MME rejects any query parameter but these two, so a misspelt
  // filter is a 400 rather than a silent "everything".
  const DISCOVERY_PARAMS = ['model-name', 'model-version'];
  app.get('/ai-ml-model-discovery/v1/models', { schema: { tags } }, async (req) => {
    const q = req.query as Record<string, unknown>;
    const unknown = Object.keys(q).filter((k) => !DISCOVERY_PARAMS.includes(k));
    if (unknown.length > 0)
      throw invalid(`Only allowed params are model-name and model-version (got ${unknown.join(', ')})`);
    const name = typeof q['model-name'] === 'string' ? q['model-name'] : '';
    const version = typeof q['model-version'] === 'string' ? q['model-version'] : '';
    if (name && version) {
      const v = await findOran(reg, name, version);
      if (!v)
        throw new AppError(
          'not_found',
          `Record not found with modelName: ${name} and modelVersion: ${version}`,
        );
      return [toRegistration(v)];
    }
    const filter: Record<string, unknown> = name
      ? { name: `^${escapeRegex(name)}$` }
      : { projectName: PROJECT };
    if (version) filter['metadata.modelVersion'] = [version];
    return (await searchAll(reg, filter)).map(toRegistration);
  });

  /** Stores the uploaded zip as the version's `Model.zip` artifact: 0.0.0 → 1.0.0 → 1.1.0 … */
  app.post(
    `${MME}/uploadModel/:name/:version`,
    { schema: { tags, params: Type.Object({ name: Type.String(), version: Type.String() }) } },
    async (req) => {
      const v = await findOran(reg, req.params.name, req.params.version);
      if (!v)
        throw new AppError(
          'not_found',
          `model ${req.params.name} version ${req.params.version} is not registered`,
        );
      if (!req.isMultipart()) throw invalid('send the model as multipart form field "file"');
      const file = await req.file();
      if (!file) throw invalid('multipart field "file" is missing');
      // As the MME, only a .zip is accepted: whatever is stored is served back as Model.zip.
      if (!file.filename.toLowerCase().endsWith('.zip'))
        throw invalid(`invalid file type: ${file.filename}, Only .zip files are allowed`);
      const out = await reg.putArtifact(v.id, 'Model.zip', file.file, {
        contentType: 'application/zip',
        force: true,
      });
      // The MME's answer (`code`, `message`, `modelinfo` with the new artifact version), plus the
      // artifact version at the top for clients that only want that.
      return {
        code: 200,
        message: 'Model uploaded successfully',
        modelinfo: toRegistration(await reg.get(v.id)),
        artifactVersion: out.artifactVersion,
      };
    },
  );
};
