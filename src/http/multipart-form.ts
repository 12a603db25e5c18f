/**
 * A whole multipart/form-data request read into memory: its text fields and its files. For forms
 * whose files are small enough to hold (code archives, CSV inputs); streamed uploads (datasets,
 * artifacts) read `req.parts()` themselves.
 */
import type { FastifyRequest } from 'fastify';
import { invalid } from '../errors.js';

export interface FormFile {
  field: string;
  fileName: string;
  bytes: Buffer;
  contentType: string;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: FormFile[];
}

/** Reads the form; a request that is not multipart is a 400 with `notMultipart` as its detail. */
export async function readMultipartForm(req: FastifyRequest, notMultipart: string): Promise<MultipartForm> {
  if (!req.isMultipart()) throw invalid(notMultipart);
  const fields: Record<string, string> = {};
  const files: FormFile[] = [];
  for await (const part of req.parts()) {
    if (part.type === 'file')
      files.push({
        field: part.fieldname,
        fileName: part.filename || part.fieldname,
        bytes: await part.toBuffer(),
        contentType: part.mimetype,
      });
    else fields[part.fieldname] = String(part.value);
  }
  return { fields, files };
}
