/**
 * A ClearML-style caller for the ClearML compat surface: one call = one `models.<action>` request,
 * answered with the envelope split into meta and data.
 */
import assert from 'node:assert/strict';
import type { TestApp } from './app.js';

export interface ClearMlAnswer {
  status: number;
  meta: {
    id: string;
    trx: string;
    endpoint: {
      name: string;
      requested_version: string | number | null;
      actual_version: string | number | null;
    };
    result_code: number;
    result_subcode: number;
    result_msg: string;
    error_stack: null;
    error_data: Record<string, unknown>;
    paging?: Record<string, unknown>;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
  data: any;
  headers: Record<string, unknown>;
}

export interface CallOptions {
  version?: string;
  prefix?: '' | '/api';
  token?: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: string;
  headers?: Record<string, string>;
  /** Send this raw payload instead of JSON. */
  raw?: string;
}

export function clearmlCaller(t: () => TestApp) {
  async function call(action: string, body?: unknown, o: CallOptions = {}): Promise<ClearMlAnswer> {
    const url = `${o.prefix ?? ''}${o.version ? `/v${o.version}` : ''}/models.${action}${o.query ? `?${o.query}` : ''}`;
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    const res = await t().app.inject({
      method: o.method ?? 'POST',
      url,
      headers,
      ...(o.raw !== undefined ? { payload: o.raw } : body === undefined ? {} : { payload: body as object }),
    });
    const json = res.json() as Omit<ClearMlAnswer, 'status' | 'headers'>;
    assert.equal(res.statusCode, json.meta.result_code, 'HTTP status = result_code');
    return { status: res.statusCode, meta: json.meta, data: json.data, headers: res.headers };
  }

  /** Calls and asserts success; returns data. */
  async function ok(action: string, body?: unknown, o: CallOptions = {}) {
    const r = await call(action, body, o);
    assert.equal(r.meta.result_code, 200, `${action}: ${r.meta.result_msg}`);
    assert.equal(r.meta.result_subcode, 0);
    assert.equal(r.meta.result_msg, 'OK');
    return r.data;
  }

  /** Calls and asserts ClearML's code/subcode; returns the answer. */
  async function fails(action: string, body: unknown, code: number, subcode: number, o: CallOptions = {}) {
    const r = await call(action, body, o);
    assert.deepEqual(
      [r.meta.result_code, r.meta.result_subcode],
      [code, subcode],
      `${action}: ${r.meta.result_msg}`,
    );
    assert.deepEqual(r.data, {});
    return r;
  }

  return { call, ok, fails };
}
