/**
 * Changes to many versions at once: batch publish/archive/unarchive/delete, visibility, move and
 * tags, each taking a list of ids. Split from registry.routes.ts because they share the id-list
 * schema and the per-item batch report, not the single-version `:id` lookup.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../index.js';
import { BatchResult } from './registry.schemas.js';

const tags = ['models'];
const Ids = Type.Array(Type.String(), { minItems: 1 });

/** Batch actions, visibility, move and tags over a list of version ids. */
export const registryBulkRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const reg = services.registry;
  const user = (req: { principal?: { name: string } }) => req.principal?.name ?? null;

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
};
