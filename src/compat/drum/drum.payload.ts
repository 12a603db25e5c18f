/**
 * DRUM structured input: multipart field X (`.mtx` file name → Matrix Market, else CSV; optional
 * X.colnames), or a raw body typed text/csv, text/plain, none (CSV), text/mtx, or an Arrow IPC stream.
 */
import { invalid } from '../../errors.js';
import { parseArrow } from '../../modules/serving/arrow-payload.js';
import { parseMtx } from '../../modules/serving/mtx-payload.js';
import { multipartBoundary, parseMultipart } from '../../modules/serving/multipart.js';
import { charsetOf, mediaType } from '../../modules/serving/serving.http.js';
import type { ServingRequest } from '../../modules/serving/serving.http.js';
import type { Table } from '../../modules/serving/serving.types.js';

export const SAMPLES_MESSAGE =
  'Samples should be provided as: - a csv, mtx, or arrow file under `X` form-data param key. - binary data.';

const ARROW_TYPES = new Set([
  'application/x-apache-arrow-stream',
  'application/vnd.apache.arrow.stream',
  'application/vnd.apache.arrow.file',
]);
const CSV_TYPES = new Set(['', 'text/csv', 'text/plain', 'application/csv']);

/** The payload as CSV bytes (for the fast path) or an already-parsed Table. */
export type StructuredPayload =
  | { kind: 'csv'; bytes: Buffer }
  | { kind: 'mtx'; bytes: Buffer; colnames?: string[] }
  | { kind: 'arrow'; bytes: Buffer };

function toUtf8(bytes: Buffer, charset: string | null): Buffer {
  if (!charset || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii') return bytes;
  try {
    return Buffer.from(new TextDecoder(charset, { fatal: true }).decode(bytes), 'utf8');
  } catch {
    throw invalid(`cannot decode the payload as ${charset}`, { reason: 'csv_encoding' });
  }
}

export function readStructured(req: ServingRequest): StructuredPayload {
  const type = mediaType(req);
  const boundary = multipartBoundary(req.headers['content-type'] ?? '');
  if (boundary) {
    const parts = parseMultipart(req.body, boundary);
    const x = parts.get('X');
    if (!x || x.data.length === 0) throw invalid(SAMPLES_MESSAGE, { reason: 'no_samples' });
    const names = parts.get('X.colnames');
    const colnames = names
      ? names.data
          .toString('utf8')
          .split(/\r?\n/)
          .filter((l) => l !== '')
      : undefined;
    const fname = (x.filename ?? '').toLowerCase();
    if (fname.endsWith('.mtx')) return { kind: 'mtx', bytes: x.data, colnames };
    if (fname.endsWith('.arrow') || fname.endsWith('.arrows')) return { kind: 'arrow', bytes: x.data };
    return { kind: 'csv', bytes: x.data };
  }
  if (req.body.length === 0) throw invalid(SAMPLES_MESSAGE, { reason: 'no_samples' });
  if (CSV_TYPES.has(type)) return { kind: 'csv', bytes: toUtf8(req.body, charsetOf(req)) };
  if (type === 'text/mtx') return { kind: 'mtx', bytes: req.body };
  if (ARROW_TYPES.has(type)) return { kind: 'arrow', bytes: req.body };
  throw invalid(
    `unsupported payload content type '${type}': send text/csv, text/mtx, an Arrow IPC stream, or multipart X`,
    {
      reason: 'unsupported_media_type',
    },
  );
}

export async function structuredTable(p: Exclude<StructuredPayload, { kind: 'csv' }>): Promise<Table> {
  return p.kind === 'mtx' ? parseMtx(p.bytes, p.colnames) : parseArrow(p.bytes);
}
