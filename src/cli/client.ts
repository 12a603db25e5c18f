import { loadClientConfig } from '../config.js';

/** A failure to show the user as one line; the CLI exits non-zero with it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  body?: RequestInit['body'];
  headers?: Record<string, string>;
  /** Needed by fetch when body is a stream. */
  duplex?: 'half';
}

/** HTTP client for CLI commands: base URL + token from flags/env, problem+json errors as CliError. */
export function createClient(opts: GlobalOptions) {
  const cfg = loadClientConfig({ url: opts.url, token: opts.token });

  async function request(path: string, ro: RequestOptions = {}): Promise<Response> {
    const url = new URL(cfg.url + path);
    for (const [k, v] of Object.entries(ro.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...ro.headers };
    if (cfg.token) headers.authorization = `Bearer ${cfg.token}`;
    let body = ro.body;
    if (ro.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(ro.json);
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method: ro.method ?? 'GET',
        headers,
        body,
        ...(ro.duplex ? { duplex: ro.duplex } : {}),
      } as RequestInit);
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new CliError(
        `cannot reach the Modelyard server at ${cfg.url} (${cause}); start it with \`modelyard up\` or set --url`,
      );
    }
    if (!res.ok) throw new CliError(await errorLine(res));
    return res;
  }

  async function json<T = unknown>(path: string, ro: RequestOptions = {}): Promise<T> {
    const res = await request(path, ro);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  return { baseUrl: cfg.url, request, json };
}

export type Client = ReturnType<typeof createClient>;

async function errorLine(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as {
      detail?: string;
      message?: string;
      errors?: Array<{ field: string; message: string }>;
    };
    const detail = body.detail ?? body.message ?? text;
    return `error ${res.status}: ${detail}`;
  } catch {
    return `error ${res.status}: ${text.slice(0, 300) || res.statusText}`;
  }
}
