/** The request/response shapes protocol surfaces exchange with the prediction server (no framework). */
import type { IncomingHttpHeaders } from 'node:http';
import { AppError, isAppError } from '../../errors.js';
import type { ServingService } from './serving.service.js';
import type { Scores } from './serving.types.js';

export interface ServingRequest {
  method: string;
  /** Path below the server's URL prefix, without the query string. */
  path: string;
  /** Raw query string without "?" ('' when absent). */
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ServingResponse {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

/** What the surfaces see of the server: the service, or the load failure in error-server mode. */
export interface ServingHost {
  service: ServingService | null;
  loadError: string | null;
  /** Product version for version headers and metadata. */
  version: string;
  /** Model name even when loading failed. */
  name: string;
  /**
   * DRUM's /stats/ body for the whole server when this process is one of several (`serve
   * --workers`); absent, /stats/ answers from this process's own figures.
   */
  gatherStats?: () => Promise<Record<string, unknown>>;
}

export type MaybeAsync<T> = T | Promise<T>;

export const JSON_TYPE = 'application/json';

export function json(status: number, body: unknown): ServingResponse {
  return { status, body: JSON.stringify(body), contentType: JSON_TYPE };
}

/** A JSON number, or null for NaN/±Infinity (as pandas' to_json writes them). */
export function num(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/** Media type without parameters, lower-cased ('' when absent). */
export function mediaType(req: ServingRequest): string {
  const ct = req.headers['content-type'] ?? '';
  const semi = ct.indexOf(';');
  return (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

export function charsetOf(req: ServingRequest): string | null {
  const m = /charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '');
  return m ? m[1]!.toLowerCase() : null;
}

/** Predicted label (argmax) per row, or the value itself for single-column targets. */
export function predictedValues(s: Scores, labels: string[] | null): (string | number | null)[] {
  const k = s.columns.length;
  const out: (string | number | null)[] = new Array(s.nRows);
  for (let i = 0; i < s.nRows; i++) {
    if (!labels) {
      const v = s.values[i]!;
      out[i] = Number.isFinite(v) ? v : null;
      continue;
    }
    let best = 0;
    for (let c = 1; c < k; c++) if (s.values[i * k + c]! > s.values[i * k + best]!) best = c;
    out[i] = labels[best]!;
  }
  return out;
}

/** Normalises a thrown value to an AppError (non-AppErrors become internal with their message). */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  return new AppError('internal', e instanceof Error ? e.message : String(e), { cause: e });
}
