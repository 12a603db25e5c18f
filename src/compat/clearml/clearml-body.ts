/**
 * What a ClearML call says: the JSON body whatever its content type (clearml-server reads it with
 * `get_json(force=True)`), form fields, and the query string. The ClearML SDK sends its calls as
 * GET with a JSON body by default, which Fastify does not parse, so GET/HEAD bodies are read here.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { ClearMlError } from './clearml-errors.js';
import type { Body } from './clearml-fields.js';

/** clearml-server turns form/query strings that look like numbers or booleans into them. */
export function formValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (/^(\d+\.?\d*|\.\d+)$/.test(v)) return v.includes('.') ? Number.parseFloat(v) : Number.parseInt(v, 10);
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return v;
}

function formObject(entries: Iterable<[string, unknown]>): Body {
  const out: Body = {};
  for (const [k, raw] of entries) {
    const v = Array.isArray(raw) ? raw : formValue(raw);
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...(prev as unknown[]), v] : [prev, v];
  }
  return out;
}

/** A body's text as fields: form-encoded by its content type, else JSON (undefined when blank). */
function parseBody(contentType: string, raw: string): unknown {
  if (contentType.startsWith('application/x-www-form-urlencoded'))
    return formObject(new URLSearchParams(raw).entries());
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new AppError('invalid', `Failed to decode JSON object: ${(e as Error).message}`, {
      reason: 'invalid_json',
    });
  }
}

/** Replaces the plugin's body parsers: every content type is read as above. */
export function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, text, done) => {
    try {
      done(null, parseBody(request.headers['content-type'] ?? '', String(text)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

/** The body of a GET/HEAD call, which Fastify leaves unread; at most `limitBytes` (else 413). */
async function readUnparsedBody(request: FastifyRequest, limitBytes: number): Promise<unknown> {
  const h = request.headers;
  if (h['content-length'] === undefined && h['transfer-encoding'] === undefined) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limitBytes)
      throw new AppError('payload_too_large', `the request body is over ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return parseBody(h['content-type'] ?? '', Buffer.concat(chunks).toString('utf8'));
}

/** Query fields first, the body over them (clearml-server reads one or the other; we merge). */
export async function callData(request: FastifyRequest, limitBytes: number): Promise<Body> {
  const query = formObject(Object.entries((request.query ?? {}) as Body));
  const unparsed = request.method === 'GET' || request.method === 'HEAD';
  const body =
    unparsed && request.body === undefined ? await readUnparsedBody(request, limitBytes) : request.body;
  if (body === undefined || body === null || body === '') return query;
  if (typeof body !== 'object' || Array.isArray(body))
    throw new ClearMlError(400, 12, 'the request body must be a JSON object');
  return { ...query, ...(body as Body) };
}
