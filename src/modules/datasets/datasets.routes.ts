import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AppError, invalid } from '../../errors.js';
import type { Services } from '../index.js';
import {
  DatasetDetailSchema,
  DatasetPageSchema,
  DatasetSchema,
  DatasetVersionSchema,
  DownloadQuery,
  ListQuery,
  NameParams,
  PatchBody,
  RegisterBody,
  RowsQuery,
  RowsSchema,
  UploadQuery,
  VersionParams,
} from './datasets.schemas.js';
import type { CreateVersionInput } from './datasets.service.js';

const RAW_TYPES = ['text/csv', 'application/octet-stream', 'application/zip'];
const tags = ['datasets'];

type UploadParams = Static<typeof UploadQuery> & { format?: 'csv' | 'zip' };

const UploadQueryWithFormat = Type.Composite([
  UploadQuery,
  Type.Object({
    format: Type.Optional(
      Type.Union([Type.Literal('csv'), Type.Literal('zip')], {
        description: 'Overrides the format implied by the content type (application/octet-stream is csv)',
      }),
    ),
  }),
]);

const versionOf = (v: string): number | 'latest' => (v === 'latest' ? 'latest' : Number(v));

/** Multipart form fields (strings) → typed upload parameters, 400 naming the field when one is wrong. */
function formFields(fields: Record<string, unknown>): UploadParams {
  const flat: Record<string, unknown> = {};
  for (const [k, part] of Object.entries(fields)) {
    const p = Array.isArray(part) ? part[0] : part;
    if (p && typeof p === 'object' && (p as { type?: string }).type === 'field')
      flat[k] = (p as { value: unknown }).value;
  }
  const converted = Value.Convert(UploadQueryWithFormat, flat);
  const first = [...Value.Errors(UploadQueryWithFormat, converted)][0];
  if (first) {
    const field = first.path.replace(/^\//, '') || 'form';
    throw invalid(`${field} ${first.message}`, {
      reason: 'validation_failed',
      errors: [{ field, message: first.message }],
    });
  }
  return converted as UploadParams;
}

function toInput(
  p: UploadParams,
  req: FastifyRequest,
  body: Readable,
  format: 'csv' | 'zip',
): CreateVersionInput {
  if (!p.name) {
    throw invalid('name is required', {
      reason: 'validation_failed',
      errors: [{ field: 'name', message: 'is required' }],
    });
  }
  return {
    name: p.name,
    body,
    format: p.format ?? format,
    target: p.target ?? null,
    split: { train: p.train, validation: p.validation, test: p.test, seed: p.seed, stratify: p.stratify },
    source: 'upload',
    description: p.description,
    tags: p.tags
      ? p.tags
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== '')
      : [],
    createdBy: req.principal?.name ?? null,
  };
}

/** Native datasets API. Uploads stream: raw CSV / zip bodies are handed to the service unread. */
export const datasetsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const { datasets } = services;
  app.addContentTypeParser(RAW_TYPES, (_req, payload, done) => done(null, payload));
  // The upload limit is enforced while streaming to the blob store (MODELYARD_UPLOAD_LIMIT_BYTES).
  await app.register(multipart, { limits: { fileSize: Number.MAX_SAFE_INTEGER, files: 1, fields: 32 } });

  app.post(
    '/datasets',
    {
      schema: {
        tags,
        summary:
          'Upload a CSV or image zip (raw body or multipart `file`), or register a server path (JSON, admin)',
        description:
          'Raw body: `Content-Type: text/csv` (or `application/zip`) with parameters in the query. ' +
          'Multipart: a `file` field, other fields before it. JSON: `{name, path, target, …}` registers a server-side file (admin only).',
        querystring: UploadQueryWithFormat,
        response: { 201: DatasetVersionSchema },
      },
    },
    async (req, reply) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let created;
      if (type === 'application/json') {
        if (req.principal.role !== 'admin') {
          throw new AppError('forbidden', 'registering a server-side path needs the admin role', {
            reason: 'role_too_low',
          });
        }
        const body = req.body;
        const first = [...Value.Errors(RegisterBody, body)][0];
        if (first) {
          const field = first.path.replace(/^\//, '') || 'body';
          throw invalid(`${field} ${first.message}`, {
            reason: 'validation_failed',
            errors: [{ field, message: first.message }],
          });
        }
        const b = body as Static<typeof RegisterBody>;
        created = await datasets.registerPath({
          name: b.name,
          path: b.path,
          target: b.target ?? null,
          split: {
            train: b.train,
            validation: b.validation,
            test: b.test,
            seed: b.seed,
            stratify: b.stratify,
          },
          description: b.description,
          tags: b.tags ?? [],
          createdBy: req.principal.name,
        });
      } else if (type === 'multipart/form-data') {
        const file = await req.file();
        if (!file) {
          throw invalid('the form has no file part', {
            reason: 'validation_failed',
            errors: [{ field: 'file', message: 'is required' }],
          });
        }
        let input;
        try {
          const p = { ...req.query, ...formFields(file.fields as Record<string, unknown>) };
          const zip = /\.zip$/i.test(file.filename) || file.mimetype === 'application/zip';
          input = toInput(p, req, file.file, zip ? 'zip' : 'csv');
        } catch (e) {
          file.file.resume();
          throw e;
        }
        created = await datasets.createVersionFromStream(input);
      } else {
        const body = req.body as Readable;
        let input;
        try {
          input = toInput(req.query, req, body, type === 'application/zip' ? 'zip' : 'csv');
        } catch (e) {
          body.resume();
          throw e;
        }
        created = await datasets.createVersionFromStream(input);
      }
      void reply.status(201);
      return created;
    },
  );

  app.get(
    '/datasets',
    {
      schema: {
        tags,
        summary: 'List datasets',
        querystring: ListQuery,
        response: { 200: DatasetPageSchema },
      },
    },
    async (req) => datasets.list(req.query),
  );

  app.get(
    '/datasets/:name',
    { schema: { tags, params: NameParams, response: { 200: DatasetDetailSchema } } },
    async (req) => datasets.get(req.params.name),
  );

  app.patch(
    '/datasets/:name',
    {
      schema: {
        tags,
        summary: 'Change description, add or remove tags',
        params: NameParams,
        body: PatchBody,
        response: { 200: DatasetSchema },
      },
    },
    async (req) => datasets.update(req.params.name, req.body),
  );

  app.delete(
    '/datasets/:name',
    {
      schema: {
        tags,
        summary: 'Delete a dataset and all its versions (409 while referenced)',
        params: NameParams,
      },
    },
    async (req, reply) => {
      await datasets.deleteDataset(req.params.name);
      void reply.status(204);
    },
  );

  app.get(
    '/datasets/:name/versions',
    {
      schema: {
        tags,
        params: NameParams,
        response: { 200: Type.Object({ items: Type.Array(DatasetVersionSchema) }) },
      },
    },
    async (req) => ({ items: await datasets.listVersions(req.params.name) }),
  );

  app.get(
    '/datasets/:name/versions/:version',
    { schema: { tags, params: VersionParams, response: { 200: DatasetVersionSchema } } },
    async (req) => datasets.getVersion(req.params.name, versionOf(req.params.version)),
  );

  app.delete(
    '/datasets/:name/versions/:version',
    { schema: { tags, summary: 'Delete a version (409 while referenced)', params: VersionParams } },
    async (req, reply) => {
      await datasets.deleteVersion(req.params.name, versionOf(req.params.version));
      void reply.status(204);
    },
  );

  app.get(
    '/datasets/:name/versions/:version/rows',
    {
      schema: {
        tags,
        summary: 'Paged rows of a split',
        params: VersionParams,
        querystring: RowsQuery,
        response: { 200: RowsSchema },
      },
    },
    async (req) => datasets.rows(req.params.name, versionOf(req.params.version), req.query),
  );

  app.get(
    '/datasets/:name/versions/:version/download',
    {
      schema: {
        tags,
        summary: 'The stored file, or one split as CSV',
        params: VersionParams,
        querystring: DownloadQuery,
      },
    },
    async (req, reply) => {
      const d = await datasets.download(req.params.name, versionOf(req.params.version), req.query.split);
      void reply.type(d.contentType).header('content-disposition', `attachment; filename="${d.fileName}"`);
      if (d.sizeBytes !== null) void reply.header('content-length', d.sizeBytes);
      return reply.send(d.stream);
    },
  );
};
