import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../index.js';
import {
  BatchResult,
  CreateVersionBody,
  EditBody,
  MetadataEntry,
  ModelVersionView,
  ProjectView,
  SearchBody,
  SearchResult,
} from './registry.schemas.js';
import { registryArtifactRoutes } from './registry-artifacts.routes.js';

const tags = ['models'];
const IdParams = Type.Object({
  id: Type.String({ description: 'Version id, or `name@alias` / `name/3` URL-encoded' }),
});
const Ids = Type.Array(Type.String(), { minItems: 1 });

const ListQuery = Type.Object({
  name: Type.Optional(Type.String({ description: 'Regex on the model name (case-sensitive substring)' })),
  comment: Type.Optional(Type.String()),
  project: Type.Optional(Type.String({ description: 'Project name' })),
  tags: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Tag list (comma-separated or repeated); operators as in the filter language',
    }),
  ),
  systemTags: Type.Optional(Type.Array(Type.String())),
  framework: Type.Optional(Type.Array(Type.String())),
  ready: Type.Optional(Type.Boolean()),
  archived: Type.Optional(Type.Boolean()),
  search: Type.Optional(Type.String()),
  orderBy: Type.Optional(
    Type.String({ description: 'Comma-separated keys, `-` for descending, e.g. `-created,name`' }),
  ),
  onlyFields: Type.Optional(Type.String({ description: 'Comma-separated view fields' })),
  page: Type.Optional(Type.Integer({ minimum: 0 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1 })),
  scrollId: Type.Optional(Type.String()),
  includeTotal: Type.Optional(Type.Boolean()),
});

const splitList = (v: string[] | undefined) =>
  v
    ?.flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** Native registry API: versions, search, publishing, batches, metadata, tags, aliases, projects. */
export const registryRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const reg = services.registry;
  const user = (req: { principal?: { name: string } }) => req.principal?.name ?? null;

  app.get(
    '/models',
    {
      schema: {
        tags,
        summary: 'List / filter model versions (simple query form of search)',
        querystring: ListQuery,
        response: { 200: SearchResult },
      },
    },
    async (req) => {
      const q = req.query;
      const filter: Record<string, unknown> = {
        name: q.name,
        comment: q.comment,
        projectName: q.project,
        tags: splitList(q.tags),
        systemTags: splitList(q.systemTags),
        framework: splitList(q.framework),
        ready: q.ready,
        archived: q.archived,
      };
      return reg.search({
        filter,
        search: q.search,
        orderBy: q.orderBy,
        onlyFields: q.onlyFields?.split(',').map((s) => s.trim()),
        page: q.page,
        pageSize: q.pageSize,
        scrollId: q.scrollId,
        includeTotal: q.includeTotal,
      });
    },
  );

  app.post(
    '/models/search',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        summary: 'Search with the full filter language (JSON body, with $or)',
        body: SearchBody,
        response: { 200: SearchResult },
      },
    },
    async (req) => reg.search(req.body),
  );

  app.post(
    '/models',
    {
      schema: {
        tags,
        summary: 'Register a model version (the next version of `name` in the project)',
        body: CreateVersionBody,
        response: { 201: ModelVersionView },
      },
    },
    async (req, reply) => {
      void reply.status(201);
      return reg.create(req.body, user(req));
    },
  );

  app.get(
    '/models/frameworks',
    {
      schema: {
        tags,
        querystring: Type.Object({ project: Type.Optional(Type.Array(Type.String())) }),
        response: { 200: Type.Object({ frameworks: Type.Array(Type.String()) }) },
      },
    },
    async (req) => {
      const ids = await Promise.all((req.query.project ?? []).map(async (p) => (await reg.getProject(p)).id));
      return { frameworks: await reg.frameworks(ids) };
    },
  );

  app.get(
    '/models/resolve',
    {
      schema: {
        tags,
        summary: 'Find a version by `name@alias`, `name/3`, `name/latest`, `project/name/3`',
        querystring: Type.Object({ ref: Type.String(), project: Type.Optional(Type.String()) }),
        response: { 200: ModelVersionView },
      },
    },
    async (req) => reg.resolve(req.query.ref, { project: req.query.project }),
  );

  app.get(
    '/models/:id',
    { schema: { tags, params: IdParams, response: { 200: ModelVersionView } } },
    async (req) => reg.resolve(req.params.id),
  );

  app.patch(
    '/models/:id',
    {
      schema: {
        tags,
        summary: 'Edit; content fields of a ready version need force',
        params: IdParams,
        body: EditBody,
        response: {
          200: Type.Object({
            updated: Type.Boolean(),
            fields: Type.Array(Type.String()),
            model: ModelVersionView,
          }),
        },
      },
    },
    async (req) => {
      const { force, mergeObjects, ...patch } = req.body;
      const id = (await reg.resolve(req.params.id)).id;
      return reg.edit(id, patch, { force, mergeObjects, user: user(req) });
    },
  );

  app.delete(
    '/models/:id',
    {
      schema: {
        tags,
        summary: 'Delete a version and its artifact files; 409 while in use unless force',
        params: IdParams,
        querystring: Type.Object({ force: Type.Optional(Type.Boolean()) }),
      },
    },
    async (req) => {
      const id = (await reg.resolve(req.params.id)).id;
      return reg.delete(id, { force: req.query.force });
    },
  );

  app.post(
    '/models/:id/ready',
    {
      schema: {
        tags,
        summary: 'Publish (set ready); 409 already_ready',
        params: IdParams,
        response: { 200: ModelVersionView },
      },
    },
    async (req) => reg.setReady((await reg.resolve(req.params.id)).id, user(req)),
  );

  for (const action of ['publish', 'archive', 'unarchive', 'delete'] as const) {
    app.post(
      `/models/batch/${action}`,
      {
        schema: {
          tags,
          summary: `${action} many versions; reports per-item success/failure`,
          body: Type.Object({ ids: Ids, force: Type.Optional(Type.Boolean()) }),
          response: { 200: BatchResult },
        },
      },
      async (req) => {
        const { ids, force } = req.body;
        const report =
          action === 'publish'
            ? await reg.publishMany(ids, user(req))
            : action === 'archive'
              ? await reg.archiveMany(ids)
              : action === 'unarchive'
                ? await reg.unarchiveMany(ids)
                : await reg.deleteMany(ids, { force });
        return {
          ...report,
          succeeded: report.succeeded.map(({ model: _m, ...rest }: Record<string, unknown>) => rest),
        };
      },
    );
  }

  app.post(
    '/models/visibility',
    {
      schema: {
        tags,
        body: Type.Object({ ids: Ids, public: Type.Boolean() }),
        response: { 200: Type.Object({ updated: Type.Integer() }) },
      },
    },
    async (req) => reg.setPublic(req.body.ids, req.body.public),
  );

  app.post(
    '/models/move',
    {
      schema: {
        tags,
        summary: 'Move versions to a project (by id, or by name: created if missing)',
        body: Type.Object({
          ids: Ids,
          projectId: Type.Optional(Type.String()),
          projectName: Type.Optional(Type.String()),
        }),
        response: { 200: Type.Object({ projectId: Type.String() }) },
      },
    },
    async (req) => reg.move(req.body.ids, req.body),
  );

  app.post(
    '/models/tags',
    {
      schema: {
        tags,
        summary: 'Add / remove tags on many versions',
        body: Type.Object({
          ids: Ids,
          add: Type.Optional(Type.Array(Type.String())),
          remove: Type.Optional(Type.Array(Type.String())),
          system: Type.Optional(Type.Boolean()),
        }),
        response: { 200: Type.Object({ updated: Type.Integer() }) },
      },
    },
    async (req) => reg.updateTags(req.body.ids, req.body),
  );

  app.post(
    '/models/:id/metadata',
    {
      schema: {
        tags,
        params: IdParams,
        body: Type.Object({ metadata: Type.Array(MetadataEntry), replace: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ updated: Type.Integer() }) },
      },
    },
    async (req) =>
      reg.addOrUpdateMetadata((await reg.resolve(req.params.id)).id, req.body.metadata, {
        replace: req.body.replace,
      }),
  );

  app.delete(
    '/models/:id/metadata/:key',
    {
      schema: {
        tags,
        params: Type.Object({ id: Type.String(), key: Type.String() }),
        response: { 200: Type.Object({ updated: Type.Integer() }) },
      },
    },
    async (req) => reg.deleteMetadata((await reg.resolve(req.params.id)).id, [req.params.key]),
  );

  app.post(
    '/models/:id/metrics',
    {
      schema: {
        tags,
        summary: 'Report per-iteration metric points (folded into last/min/max)',
        params: IdParams,
        body: Type.Object({
          points: Type.Array(
            Type.Object({
              metric: Type.String(),
              variant: Type.Optional(Type.String()),
              value: Type.Number(),
              iteration: Type.Integer({ minimum: 0 }),
            }),
            { minItems: 1 },
          ),
        }),
        response: { 200: ModelVersionView },
      },
    },
    async (req) => reg.reportMetrics((await reg.resolve(req.params.id)).id, req.body.points),
  );

  app.get(
    '/models/:id/referrers',
    {
      schema: {
        tags,
        params: IdParams,
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ kind: Type.String(), id: Type.String() })) }),
        },
      },
    },
    async (req) => ({
      items: await reg.referrers((await reg.resolve(req.params.id)).id),
    }),
  );

  app.put(
    '/models/:id/aliases/:alias',
    {
      schema: {
        tags,
        summary: 'Point an alias of the registered model at this version (moves it if set)',
        params: Type.Object({ id: Type.String(), alias: Type.String() }),
        response: { 200: ModelVersionView },
      },
    },
    async (req) => reg.setAlias(req.params.id, req.params.alias),
  );

  app.get(
    '/registered-models/:name/aliases',
    {
      schema: {
        tags,
        params: Type.Object({ name: Type.String() }),
        querystring: Type.Object({ project: Type.Optional(Type.String()) }),
      },
    },
    async (req) => ({
      items: await reg.listAliases(req.params.name, { project: req.query.project }),
    }),
  );

  app.delete(
    '/registered-models/:name/aliases/:alias',
    {
      schema: {
        tags,
        params: Type.Object({ name: Type.String(), alias: Type.String() }),
        querystring: Type.Object({ project: Type.Optional(Type.String()) }),
      },
    },
    async (req, reply) => {
      await reg.deleteAlias(req.params.name, req.params.alias, { project: req.query.project });
      void reply.status(204);
    },
  );

  app.get(
    '/projects',
    { schema: { tags: ['projects'], response: { 200: Type.Object({ items: Type.Array(ProjectView) }) } } },
    async () => ({ items: await reg.listProjects() }),
  );
  app.post(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: ProjectView },
      },
    },
    async (req) => reg.ensureProject(req.body.name),
  );

  await app.register(registryArtifactRoutes, { services });
};
