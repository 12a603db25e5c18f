/**
 * The prediction server: a bare node:http handler (no framework on the hot path) that routes DRUM,
 * KServe V2/V1 and MLflow requests to one serving service. It listens on its own port, or a host
 * server mounts it under a prefix (e.g. `/deployments/{name}`) by calling `handle(req, res)`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drumError, drumRoutes } from '../../compat/drum/drum.routes.js';
import { kserveError, kserveRoutes } from '../../compat/kserve/kserve.routes.js';
import { mlflowRoutes } from '../../compat/mlflow/mlflow.routes.js';
import { AppError } from '../../errors.js';
import type { CustomRuntimeOptions } from './custom-runtime.js';
import { fileModelLoader, loadModelRef } from './model-loader.js';
import type { ModelLoader } from './model-loader.js';
import { json } from './serving.http.js';
import type { MaybeAsync, ServingHost, ServingRequest, ServingResponse } from './serving.http.js';
import { createServingService } from './serving.service.js';
import type { ServingOptions, ServingService } from './serving.service.js';
import type { ModelRuntime } from './serving.types.js';

export const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024;

export interface PredictionServerOptions extends Omit<ServingOptions, 'name'> {
  /** A model reference (path; registry references via `loaders`) or an already loaded runtime. */
  model: string | ModelRuntime;
  /** Model name in V2/V1 routes (default: the file's basename without extension). */
  name?: string;
  /** Path prefix every route sits under (DRUM's URL_PREFIX), e.g. `/deployments/churn`. */
  urlPrefix?: string;
  /** Request bodies above this answer 413 (default 50 MB). */
  maxBodyBytes?: number;
  /** Keep serving when loading fails: routes answer 513 (DRUM) / 503 (KServe) with the failure. */
  withErrorServer?: boolean;
  /** Loaders tried in order (default: files only). */
  loaders?: ModelLoader[];
  custom?: CustomRuntimeOptions;
  /** Product version for X-Drum-Version and metadata. */
  serverVersion?: string;
  /** Extra headers on every response, e.g. the answering worker's pid under `serve --workers`. */
  responseHeaders?: Record<string, string>;
  /**
   * DRUM's /stats/ body for the whole server, when this process is one of several (the CLI passes
   * it in `serve --workers` workers); without it, /stats/ reports this process alone.
   */
  gatherStats?: () => Promise<Record<string, unknown>>;
}

export interface PredictionServer {
  readonly name: string;
  readonly urlPrefix: string;
  /** The service, or null when loading failed (error-server mode). */
  readonly service: ServingService | null;
  readonly loadError: string | null;
  /** Handles a request under urlPrefix; returns false (response untouched) for other paths. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Listens on its own port (0 = any); resolves with the base URL. */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export async function createPredictionServer(o: PredictionServerOptions): Promise<PredictionServer> {
  const prefix = (o.urlPrefix ?? '').replace(/\/+$/, '');
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let service: ServingService | null = null;
  let loadError: string | null = null;
  let name = o.name ?? (typeof o.model === 'string' ? o.model : 'model');
  try {
    let runtime: ModelRuntime;
    if (typeof o.model === 'string') {
      const loaded = await loadModelRef(o.model, o.loaders ?? [fileModelLoader], o.custom ?? {});
      runtime = loaded.runtime;
      name = o.name ?? loaded.name;
    } else runtime = o.model;
    try {
      service = createServingService(runtime, { ...o, name });
    } catch (e) {
      await runtime.close();
      throw e;
    }
  } catch (e) {
    if (!o.withErrorServer) throw e;
    loadError = (e as Error).message;
  }
  const host: ServingHost = {
    service,
    loadError,
    version: o.serverVersion ?? 'dev',
    name,
    gatherStats: o.gatherStats,
  };
  const drumVersion = host.version;
  const extraHeaders = o.responseHeaders ?? {};
  let server: Server | null = null;

  function send(res: ServerResponse, r: ServingResponse, requestId: string): void {
    const body = r.body;
    const headers: Record<string, string | number> = {
      'content-type': r.contentType,
      'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
      'x-drum-version': drumVersion,
      X_Request_ID: requestId,
      ...extraHeaders,
      ...r.headers,
    };
    res.writeHead(r.status, headers);
    res.end(body);
  }

  function route(req: ServingRequest): MaybeAsync<ServingResponse> {
    const r = kserveRoutes(req, host) ?? mlflowRoutes(req, host) ?? drumRoutes(req, host);
    return r ?? json(404, { message: `ERROR: no route ${req.method} ${req.path}` });
  }

  const tooLarge = (path: string) => {
    const err = new AppError('payload_too_large', `the request body exceeds the limit of ${maxBody} bytes`);
    return path.startsWith('/v2') || path.startsWith('/v1/') ? kserveError(err) : drumError(err);
  };

  function dispatch(
    res: ServerResponse,
    method: string,
    path: string,
    query: string,
    req: IncomingMessage,
    body: Buffer,
    requestId: string,
  ): void {
    let r: MaybeAsync<ServingResponse>;
    try {
      r = route({ method, path, query, headers: req.headers, body });
    } catch (e) {
      r = drumError(e);
    }
    if (r instanceof Promise)
      r.then(
        (x) => send(res, x, requestId),
        (e) => send(res, drumError(e), requestId),
      );
    else send(res, r, requestId);
  }

  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    if (prefix) {
      if (!path.startsWith(prefix) || (path.length > prefix.length && path[prefix.length] !== '/'))
        return false;
      path = path.slice(prefix.length) || '/';
    }
    const query = q === -1 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const incomingId = req.headers['x-request-id'];
    const requestId = typeof incomingId === 'string' && incomingId ? incomingId : randomUUID();
    const declared = Number(req.headers['content-length'] ?? 0);
    // Oversized bodies are drained (not buffered) and answered 413 once the client has sent them.
    let over = declared > maxBody;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > maxBody) {
        over = true;
        chunks.length = 0;
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (over) return send(res, tooLarge(path), requestId);
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      dispatch(res, method, path, query, req, body, requestId);
    });
    return true;
  }

  return {
    name,
    urlPrefix: prefix,
    service,
    loadError,
    handle,
    listen(port, hostname = '127.0.0.1') {
      server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
        if (!handle(req, res)) {
          req.resume();
          const body = JSON.stringify({ message: `ERROR: no route ${req.url}` });
          res.writeHead(404, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        }
      });
      return new Promise((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, hostname, () => {
          const a = server!.address() as AddressInfo;
          const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve(`http://${h}:${a.port}${prefix}`);
        });
      });
    },
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await service?.close();
    },
  };
}
