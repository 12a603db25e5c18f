import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../errors.js';
import type { Services } from '../index.js';
import {
  CreateFeatureGroupBody,
  ExtractBody,
  ExtractedVersion,
  FeatureGroupPage,
  FeatureGroupView,
  ListFeatureGroupsQuery,
  NameParams,
  PatchFeatureGroupBody,
  ReplaceFeatureGroupBody,
} from './feature-groups.schemas.js';

const tags = ['feature-groups'];

function refuseRename(pathName: string, bodyName: string | undefined): void {
  if (bodyName !== undefined && bodyName !== pathName)
    throw invalid(`a feature group cannot be renamed (path '${pathName}', body name '${bodyName}')`, {
      reason: 'rename_not_supported',
      errors: [{ field: 'body/name', message: 'must equal the name in the path' }],
    });
}

/** Native feature-group API: CRUD plus extract into a dataset version. */
export const featureGroupsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const fg = services.featureGroups;

  app.get(
    '/feature-groups',
    { schema: { tags, querystring: ListFeatureGroupsQuery, response: { 200: FeatureGroupPage } } },
    async (req) => fg.list(req.query),
  );

  app.post(
    '/feature-groups',
    { schema: { tags, body: CreateFeatureGroupBody, response: { 201: FeatureGroupView } } },
    async (req, reply) => {
      const view = await fg.create(req.body);
      void reply.status(201).header('location', `/api/v1/feature-groups/${view.name}`);
      return view;
    },
  );

  app.get(
    '/feature-groups/:name',
    { schema: { tags, params: NameParams, response: { 200: FeatureGroupView } } },
    async (req) => fg.get(req.params.name),
  );

  app.put(
    '/feature-groups/:name',
    {
      schema: {
        tags,
        params: NameParams,
        body: ReplaceFeatureGroupBody,
        response: { 200: FeatureGroupView },
      },
    },
    async (req) => {
      const { name, ...input } = req.body;
      refuseRename(req.params.name, name);
      return fg.replace(req.params.name, input);
    },
  );

  app.patch(
    '/feature-groups/:name',
    {
      schema: { tags, params: NameParams, body: PatchFeatureGroupBody, response: { 200: FeatureGroupView } },
    },
    async (req) => {
      const { name, ...changes } = req.body;
      refuseRename(req.params.name, name);
      return fg.patch(req.params.name, changes);
    },
  );

  app.delete('/feature-groups/:name', { schema: { tags, params: NameParams } }, async (req, reply) => {
    await fg.remove(req.params.name);
    void reply.status(204);
  });

  app.post(
    '/feature-groups/:name/extract',
    {
      // Every field is optional, so a bare POST (no body) means "all defaults".
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
      },
      schema: {
        tags,
        summary: 'Materialise the features as a new dataset version',
        params: NameParams,
        body: ExtractBody,
        response: { 201: ExtractedVersion },
      },
    },
    async (req, reply) => {
      const version = await fg.extract(req.params.name, req.body, req.principal?.name);
      void reply.status(201);
      return version;
    },
  );
};
