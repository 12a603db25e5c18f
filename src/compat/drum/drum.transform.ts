/** DRUM /transform/: multipart X in, multipart out with X.format and X.transformed (CSV). */
import { randomUUID } from 'node:crypto';
import { parseCsvTable, tableToCsv } from '../../modules/serving/csv-payload.js';
import type { ServingRequest, ServingResponse } from '../../modules/serving/serving.http.js';
import type { ServingService } from '../../modules/serving/serving.service.js';
import { readStructured, structuredTable } from './drum.payload.js';

export async function transformResponse(req: ServingRequest, svc: ServingService): Promise<ServingResponse> {
  const p = readStructured(req);
  const table = p.kind === 'csv' ? parseCsvTable(p.bytes) : await structuredTable(p);
  const out = await svc.transform(table);
  const boundary = `modelyard-${randomUUID()}`;
  const part = (name: string, body: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${body}\r\n`;
  const body = part('X.format', 'csv') + part('X.transformed', tableToCsv(out)) + `--${boundary}--\r\n`;
  return { status: 200, body, contentType: `multipart/form-data; boundary=${boundary}` };
}
