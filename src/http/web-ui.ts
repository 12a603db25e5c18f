/**
 * The web UI: the Vite build in dist/web, served under `/ui/`, with `/` redirecting to it.
 *
 * A few lines of file serving instead of @fastify/static: the UI is a handful of files, and the
 * plugin (with send, glob, content-disposition) would load at every start for a page most CLI
 * calls never open. Client routes (`/ui/runs/…`) get index.html; hashed assets are cached for good.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const NOT_BUILT =
  'The web UI is not built: run `npm run build` (it writes dist/web), then restart the server.\n';

/** Options for {@link installWebUi}. */
export interface WebUiOptions {
  /** Directory holding the built UI (index.html, assets/); default `<package root>/dist/web`. */
  dir?: string;
}

/**
 * The package root: the first directory upwards holding package.json. The server runs both from
 * the bundle (dist/*.js, dist/cli/*.js) and from source (src/http/*.ts), so no fixed depth fits.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** Resolves a request path inside `root`, or null when it would leave it (`..`, NUL, absolute). */
export function safeJoin(root: string, rel: string): string | null {
  if (rel.includes('\0')) return null;
  const full = resolve(root, `.${sep}${rel}`);
  return full === root || full.startsWith(root + sep) ? full : null;
}

async function fileAt(path: string | null): Promise<string | null> {
  if (!path) return null;
  try {
    return (await stat(path)).isFile() ? path : null;
  } catch {
    return null;
  }
}

export function installWebUi(app: FastifyInstance, opts: WebUiOptions = {}): void {
  const root = resolve(opts.dir ?? join(packageRoot(), 'dist', 'web'));
  const hidden = { schema: { hide: true } };

  const sendFile = async (reply: FastifyReply, path: string, cacheControl: string) =>
    reply
      .type(CONTENT_TYPES[extname(path)] ?? 'application/octet-stream')
      .header('cache-control', cacheControl)
      .header('x-content-type-options', 'nosniff')
      .send(await readFile(path));

  const serve = async (rel: string, reply: FastifyReply) => {
    const index = await fileAt(join(root, 'index.html'));
    if (!index) return reply.status(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    if (rel !== '') {
      const file = await fileAt(safeJoin(root, rel));
      // Vite puts content-hashed names under assets/: a new build gets new names.
      if (file)
        return sendFile(
          reply,
          file,
          rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      // A missing file (it has an extension) is a 404; anything else is a client route of the SPA.
      if (extname(rel) !== '') return reply.status(404).type('text/plain; charset=utf-8').send('not found\n');
    }
    return sendFile(reply, index, 'no-cache');
  };

  app.get('/', hidden, async (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui', hidden, async (_req, reply) => serve('', reply));
  app.get<{ Params: { '*': string } }>('/ui/*', hidden, async (req, reply) => serve(req.params['*'], reply));
}
