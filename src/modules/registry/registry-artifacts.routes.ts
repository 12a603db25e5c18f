import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import type { Services } from '../index.js';
import { ArtifactView } from './registry.schemas.js';

const tags = ['models'];
const FileParams = Type.Object({ id: Type.String(), '*': Type.String() });

/** Content-Disposition with a plain fallback and the RFC 5987 UTF-8 name. */
export function attachment(fileName: string): string {
  const plain = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * Artifact files: raw-body uploads that stream to the blob store unread (this scope has no body
 * parsers, so a JSON or CSV file is stored byte for byte), downloads, and `Model.zip`.
 */
export const registryArtifactRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const reg = services.registry;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.get(
    '/models/:id/artifacts',
    {
      schema: {
        tags,
        params: Type.Object({ id: Type.String() }),
        response: { 200: Type.Object({ artifactVersion: Type.String(), items: Type.Array(ArtifactView) }) },
      },
    },
    async (req) => {
      const v = await reg.resolve(req.params.id);
      return { artifactVersion: v.artifactVersion, items: await reg.listArtifacts(v.id) };
    },
  );

  app.put(
    '/models/:id/artifacts/*',
    {
      schema: {
        tags,
        summary: 'Upload one artifact file (raw body, streamed); bumps the artifact version',
        params: FileParams,
        querystring: Type.Object({ force: Type.Optional(Type.Boolean()) }),
        response: { 201: Type.Object({ artifact: ArtifactView, artifactVersion: Type.String() }) },
      },
    },
    async (req, reply) => {
      const v = await reg.resolve(req.params.id);
      const body = (req.body ?? Buffer.alloc(0)) as Readable | Buffer;
      const contentType = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
      const out = await reg.putArtifact(v.id, req.params['*'], body, { contentType, force: req.query.force });
      void reply.status(201);
      return out;
    },
  );

  app.get(
    '/models/:id/artifacts/*',
    { schema: { tags, summary: 'Download one artifact file', params: FileParams } },
    async (req, reply) => {
      const v = await reg.resolve(req.params.id);
      const { artifact, stream } = await reg.openArtifact(v.id, req.params['*']);
      void reply
        .type(artifact.contentType)
        .header('content-length', artifact.sizeBytes)
        .header('content-disposition', attachment(artifact.path.split('/').pop()!))
        .header('x-artifact-version', artifact.artifactVersion);
      return reply.send(stream);
    },
  );

  app.delete(
    '/models/:id/artifacts/*',
    {
      schema: {
        tags,
        params: FileParams,
        querystring: Type.Object({ force: Type.Optional(Type.Boolean()) }),
      },
    },
    async (req, reply) => {
      const v = await reg.resolve(req.params.id);
      await reg.deleteArtifact(v.id, req.params['*'], { force: req.query.force });
      void reply.status(204);
    },
  );

  app.get(
    '/models/:id/Model.zip',
    {
      schema: {
        tags,
        summary: 'All artifact files as one streamed zip',
        params: Type.Object({ id: Type.String() }),
      },
    },
    async (req, reply) => {
      const v = await reg.resolve(req.params.id);
      const z = await reg.openZip(v.id);
      void reply
        .type('application/zip')
        .header('content-disposition', attachment(z.fileName))
        .header('x-artifact-version', z.artifactVersion);
      return reply.send(z.stream);
    },
  );
};
