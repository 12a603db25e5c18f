/**
 * The `/docs` API reference page: Swagger UI over `/openapi.json`.
 *
 * Registering @fastify/swagger-ui loads its plugin tree (@fastify/static, send, yaml, …) at every
 * start, which cost tens of milliseconds of a start-up budget measured in hundreds. This page
 * needs none of it: one HTML page, one initializer script, and the Swagger UI build files that
 * the @fastify/swagger-ui package ships, read from disk on the first request for them.
 */
import type { FastifyInstance } from 'fastify';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { notFound } from '../errors.js';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/** Options for {@link installDocs}. */
export interface DocsOptions {
  /** Path the page is served under, e.g. `/docs`. */
  prefix: string;
  /** URL of the OpenAPI document the page renders. */
  specUrl: string;
  /** Returns the OpenAPI document (also served at `<prefix>/json`, where the old page served it). */
  spec: () => unknown;
}

export function installDocs(app: FastifyInstance, opts: DocsOptions): void {
  const assets = `${opts.prefix}/static`;
  const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Modelyard API</title>
<link rel="stylesheet" href="${assets}/swagger-ui.css">
<link rel="stylesheet" href="${assets}/index.css">
<link rel="icon" type="image/png" href="${assets}/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assets}/swagger-ui-bundle.js"></script>
<script src="${assets}/swagger-ui-standalone-preset.js"></script>
<script src="${assets}/initializer.js"></script>
</body>
</html>
`;
  const initializer = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(opts.specUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;
  // File name → path, listed on first use; only files in the package's static folder are served.
  let files: Promise<Map<string, string>> | null = null;
  const listFiles = async () => {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static');
    return new Map((await readdir(dir)).map((name) => [name, join(dir, name)]));
  };

  const hidden = { schema: { hide: true } };
  app.get(opts.prefix, hidden, async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get(`${opts.prefix}/json`, hidden, async () => opts.spec());
  app.get(`${assets}/initializer.js`, hidden, async (_req, reply) =>
    reply.type(CONTENT_TYPES['.js']!).send(initializer),
  );
  app.get<{ Params: { file: string } }>(`${assets}/:file`, hidden, async (req, reply) => {
    files ??= listFiles();
    const path = (await files).get(req.params.file);
    const type = CONTENT_TYPES[extname(req.params.file)];
    if (!path || !type) throw notFound('docs asset', req.params.file);
    return reply
      .type(type)
      .header('cache-control', 'public, max-age=86400')
      .send(await readFile(path));
  });
}
