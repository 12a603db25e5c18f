/** A small multipart/form-data reader for the DRUM upload (one or two small parts). */
import { invalid } from '../../errors.js';

export interface FormPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

/** Boundary from a content-type header, or null when it is not multipart/form-data. */
export function multipartBoundary(contentType: string): string | null {
  if (!/^multipart\/form-data/i.test(contentType)) return null;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!m) throw invalid('multipart/form-data without a boundary', { reason: 'multipart_malformed' });
  return m[1] ?? m[2]!;
}

export function parseMultipart(body: Buffer, boundary: string): Map<string, FormPart> {
  const parts = new Map<string, FormPart>();
  const delim = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delim);
  if (pos === -1) throw invalid('multipart body without its boundary', { reason: 'multipart_malformed' });
  while (true) {
    pos += delim.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (body[pos] === 0x0d) pos++;
    if (body[pos] === 0x0a) pos++;
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd === -1) throw invalid('multipart part without headers', { reason: 'multipart_malformed' });
    const head = body.subarray(pos, headEnd).toString('utf8');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headEnd + 4);
    if (next === -1) throw invalid('multipart body is truncated', { reason: 'multipart_malformed' });
    const disp = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disp)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disp)?.[1] ?? null;
    const contentType = /content-type:\s*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? null;
    if (name !== undefined)
      parts.set(name, { name, filename, contentType, data: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}
