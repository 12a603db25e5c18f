/**
 * Finding versions: the simple query-string list, the full filter-language search, the framework
 * list and reference resolution. Split from registry.routes.ts because these read many versions
 * and own the list query schema; the single-version routes do not need it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../index.js';
import { ModelVersionView, SearchBody, SearchResult } from './registry.schemas.js';

const tags = ['models'];

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

/** List, search, frameworks and resolve over model versions. */
export const registrySearchRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const reg = services.registry;

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
};
