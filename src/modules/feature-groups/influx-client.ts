/**
 * Minimal InfluxDB 1.x HTTP query client (also InfluxDB 2.x's 1.x-compatible `/query`), built on
 * fetch. Results are read with `chunked=true`, one JSON document per line, so a large result
 * never sits in memory whole. Credentials travel only in the Authorization header, never in the
 * URL, so they cannot reach a log line through an error message.
 */
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError, invalid } from '../../errors.js';

/** Where and how to query. */
export interface InfluxConnection {
  /** Host name or IP; may carry a scheme (`https://influx.example`), default http. */
  host: string;
  port: number;
  /** The 1.x database (the O-RAN `bucket`). */
  database: string;
  /**
   * Empty: no auth. `user:password`: HTTP Basic (every 1.x server). Anything else:
   * `Authorization: Token <token>` (InfluxDB 1.8+ and 2.x).
   */
  token: string;
}

/** One block of rows from a result series. */
export interface InfluxSeriesChunk {
  name: string;
  columns: string[];
  values: unknown[][];
}

export interface InfluxClientOptions {
  /** How long to wait for the server to answer (headers); the streamed body is not timed. */
  connectTimeoutMs?: number;
  /** Rows per chunk asked of the server. */
  chunkSize?: number;
}

/** Quotes an InfluxQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function influxBaseUrl(c: Pick<InfluxConnection, 'host' | 'port'>): string {
  const withScheme = /^https?:\/\//i.test(c.host) ? c.host : `http://${c.host}`;
  const u = new URL(withScheme);
  u.port = String(c.port);
  return u.origin;
}

function authHeader(token: string): Record<string, string> {
  if (token === '') return {};
  if (token.includes(':')) return { authorization: `Basic ${Buffer.from(token).toString('base64')}` };
  return { authorization: `Token ${token}` };
}

const where = (c: InfluxConnection) => `${c.host}:${c.port}`;

function errorText(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: string; message?: string };
    return j.error ?? j.message ?? body.trim();
  } catch {
    return body.trim().slice(0, 500);
  }
}

/**
 * Runs one InfluxQL statement and yields its series chunks as they arrive. Throws AppError
 * `unavailable` (503) when the server cannot be reached and `invalid` (400) with InfluxDB's own
 * message when it rejects the query, the database or the credentials.
 */
export async function* queryInflux(
  conn: InfluxConnection,
  q: string,
  options: InfluxClientOptions = {},
): AsyncGenerator<InfluxSeriesChunk> {
  const url = new URL('/query', influxBaseUrl(conn));
  url.searchParams.set('db', conn.database);
  url.searchParams.set('q', q);
  url.searchParams.set('chunked', 'true');
  url.searchParams.set('chunk_size', String(options.chunkSize ?? 10_000));
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.connectTimeoutMs ?? 15_000);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', ...authHeader(conn.token) },
      signal: abort.signal,
    });
  } catch (e) {
    const cause = abort.signal.aborted
      ? `no answer within ${options.connectTimeoutMs ?? 15_000} ms`
      : ((e as { cause?: { code?: string; message?: string } }).cause?.code ??
        (e as { cause?: { message?: string } }).cause?.message ??
        (e as Error).message);
    throw new AppError('unavailable', `InfluxDB at ${where(conn)} is unreachable (${cause})`, {
      reason: 'influx_unreachable',
    });
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 401 || res.status === 403) {
    throw invalid(`InfluxDB at ${where(conn)} refused the credentials: ${errorText(await res.text())}`, {
      reason: 'influx_auth_failed',
    });
  }
  if (res.status >= 500) {
    throw new AppError('unavailable', `InfluxDB at ${where(conn)} failed: ${errorText(await res.text())}`, {
      reason: 'influx_failed',
    });
  }
  if (res.status >= 300 || !res.body) {
    throw invalid(`InfluxDB rejected the query: ${errorText(await res.text())}`, {
      reason: 'influx_query_failed',
    });
  }
  const body = Readable.fromWeb(res.body as WebReadableStream);
  try {
    for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      const doc = JSON.parse(line) as {
        error?: string;
        results?: Array<{ error?: string; series?: InfluxSeriesChunk[] }>;
      };
      if (doc.error)
        throw invalid(`InfluxDB rejected the query: ${doc.error}`, { reason: 'influx_query_failed' });
      for (const r of doc.results ?? []) {
        if (r.error)
          throw invalid(`InfluxDB rejected the query: ${r.error}`, { reason: 'influx_query_failed' });
        for (const s of r.series ?? []) yield s;
      }
    }
  } finally {
    body.destroy();
  }
}

/** Field and tag keys of a measurement (empty when the measurement has no data). */
export async function measurementKeys(conn: InfluxConnection, measurement: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const q of [
    `SHOW FIELD KEYS FROM ${quoteIdent(measurement)}`,
    `SHOW TAG KEYS FROM ${quoteIdent(measurement)}`,
  ]) {
    for await (const s of queryInflux(conn, q)) for (const v of s.values) keys.add(String(v[0]));
  }
  return keys;
}
