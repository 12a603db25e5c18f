/**
 * Native registry API. This plugin holds the single-version routes (register, read, edit, delete,
 * publish, metadata, metrics, referrers, aliases) and projects; finding versions, changes to many
 * versions and artifact files are plugins of their own, registered here where their routes sat.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../index.js';
import {
  CreateVersionBody,
  EditBody,
  MetadataEntry,
  ModelVersionView,
  ProjectView,
} from './registry.schemas.js';
import { registryArtifactRoutes } from './registry-artifacts.routes.js';
import { registryBulkRoutes } from './registry-bulk.routes.js';
import { registrySearchRoutes } from './registry-search.routes.js';

const tags = ['models'];
const IdParams = Type.Object({
  id: Type.String({ description: 'Version id, or `name@alias` / `name/3` URL-encoded' }),
});

/** Single-version routes, aliases and projects; mounts the search, bulk and artifact plugins. */
export const registryRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const reg = services.registry;
  const user = (req: { principal?: { name: string } }) => req.principal?.name ?? null;

  await app.register(registrySearchRoutes, { services });

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

  await app.register(registryBulkRoutes, { services });

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
