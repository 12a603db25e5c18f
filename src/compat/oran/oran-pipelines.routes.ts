/**
 * O-RAN Training Manager pipeline catalogue on the runs module's pipelines: `POST
 * /pipelines/{name}/upload` stores user code (one file or an archive) as the next version, and
 * `GET /pipelines[/{name}[/versions]]` list them next to the `builtin.<learner>` pipelines.
 * Registered inside the training-jobs plugin, so it shares its auth, multipart and error envelope.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { invalid, notFound } from '../../errors.js';
import type { PipelinesService } from '../../modules/runs/pipelines.js';

const tags = ['o-ran'];

export function registerOranPipelineRoutes(plain: FastifyInstance, pipelines: PipelinesService): void {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/pipelines/:name/upload',
    { schema: { tags, params: Type.Object({ name: Type.String() }) } },
    async (req) => {
      if (!req.isMultipart()) throw invalid('send the pipeline as multipart form field "file"');
      const fields: Record<string, string> = {};
      let file: { name: string; bytes: Buffer } | null = null;
      for await (const part of req.parts()) {
        if (part.type === 'file') file = { name: part.filename, bytes: await part.toBuffer() };
        else fields[part.fieldname] = String(part.value);
      }
      if (!file) throw invalid('multipart field "file" is missing');
      const p = await pipelines.upload(req.params.name, file.name, new Uint8Array(file.bytes), {
        ...(fields.command ? { command: fields.command } : {}),
        ...(fields.description ? { description: fields.description } : {}),
        ...(fields.version ? { version: fields.version } : {}),
      });
      return { result: `Pipeline uploaded ${p.name} Successfully!`, name: p.name, version: p.version };
    },
  );

  const toOran = (p: Awaited<ReturnType<typeof pipelines.get>>) => ({
    display_name: p.name,
    pipeline_name: p.name,
    version: p.version,
    description: p.description,
    kind: p.kind,
    created_at: p.createdAt ?? '',
  });
  app.get('/pipelines', { schema: { tags } }, async () => ({
    pipelines: (await pipelines.list()).map(toOran),
  }));
  app.get(
    '/pipelines/:name',
    { schema: { tags, params: Type.Object({ name: Type.String() }) } },
    async (req) => toOran(await pipelines.get(req.params.name)),
  );
  app.get(
    '/pipelines/:name/versions',
    { schema: { tags, params: Type.Object({ name: Type.String() }) } },
    async (req) => {
      const all = (await pipelines.list()).filter((p) => p.name === req.params.name);
      if (all.length === 0) throw notFound('pipeline', req.params.name);
      return { versions_list: all.map((p) => p.version) };
    },
  );
}
