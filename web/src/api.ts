/**
 * The native API from the browser: /api/v1/… with the stored token, problem+json errors as
 * ApiError. The token lives in localStorage because the page has no session of its own.
 */

const TOKEN_KEY = 'modelyard.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

function headers(): HeadersInit {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { detail?: string; title?: string; message?: string };
    message = body.detail ?? body.message ?? body.title ?? message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, message);
}

/** GETs `/api/v1${path}` and parses the JSON answer. */
export async function api<T>(path: string): Promise<T> {
  const res = await fetch(`/api/v1${path}`, { headers: headers() });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/**
 * Sends `method /api/v1${path}` (a JSON body when given) and parses the answer; 204 gives
 * undefined. The actions use it; failures carry the API's message like GETs do.
 */
export async function apiSend<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: headers() };
  if (body !== undefined) {
    init.headers = { ...headers(), 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/api/v1${path}`, init);
  if (!res.ok) throw await errorOf(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Percent-encodes one path segment (names and ids may hold `@` or `/`). */
export const seg = encodeURIComponent;

/**
 * A download link for an API file. Without a token the browser follows it; with one, the click
 * fetches the file with the Authorization header (a plain link cannot send it) and saves it.
 */
export function downloadLink(apiPath: string, label: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = `/api/v1${apiPath}`;
  a.textContent = label;
  a.setAttribute('download', label.split('/').pop() ?? label);
  a.addEventListener('click', (ev) => {
    if (!getToken()) return;
    ev.preventDefault();
    void (async () => {
      const res = await fetch(a.href, { headers: headers() });
      if (!res.ok) {
        alert((await errorOf(res)).message);
        return;
      }
      const url = URL.createObjectURL(await res.blob());
      const tmp = document.createElement('a');
      tmp.href = url;
      tmp.download = a.getAttribute('download') ?? 'download';
      tmp.click();
      URL.revokeObjectURL(url);
    })();
  });
  return a;
}
