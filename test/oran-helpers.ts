/**
 * Shared set-up of the O-RAN Training Manager tests: a runs test app with the iris dataset and a
 * feature group over it, a real HTTP listener collecting the step notifications, polling, and
 * pipeline uploads.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DbDialect } from '../src/infra/db/kysely.js';
import { createRunsTestApp, uploadDataset, type Json, type RunsTestApp } from './runs-helpers.js';

export const V1 = '/ai-ml-model-training/v1';
const iris = readFileSync(join(import.meta.dirname, 'fixtures/datasets/iris.csv'));
export const FEATURES = 'sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)';

/** One notification the listener received: its path, content type and JSON body. */
export interface Notification {
  url?: string;
  type?: string;
  body: Json;
}

export interface OranSetup {
  t: RunsTestApp;
  /** Base URL of the notification listener (append a path per test). */
  hookUrl: string;
  received: Notification[];
  /** Closes the app, then the listener. */
  close(): Promise<void>;
}

/**
 * A runs test app with dataset `iris` and feature group `featureGroup` over it (`enable_dme` sent
 * only when given), and a notification listener answering `hookStatus` (200 by default).
 */
export async function setUpOran(
  dialect: DbDialect,
  opts: { featureGroup: string; enableDme?: boolean; hookStatus?: number },
): Promise<OranSetup> {
  const t = await createRunsTestApp(dialect);
  await uploadDataset(t, 'iris', iris, 'target');
  const received: Notification[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ url: req.url, type: req.headers['content-type'], body: JSON.parse(body) as Json });
      res.statusCode = opts.hookStatus ?? 200;
      res.end(res.statusCode === 200 ? 'ok' : 'busy');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  const fg = await t.app.inject({
    method: 'POST',
    url: `${V1}/featureGroup`,
    payload: {
      featuregroup_name: opts.featureGroup,
      feature_list: FEATURES,
      datalake_source: 'Dataset',
      source_name: 'iris',
      ...(opts.enableDme === undefined ? {} : { enable_dme: opts.enableDme }),
    },
  });
  assert.equal(fg.statusCode, 201, fg.body);
  return {
    t,
    hookUrl,
    received,
    close: async () => {
      await t.close();
      await new Promise((r) => hook.close(r));
    },
  };
}

/** Waits up to 60 s for `ok`, polling (the machine may be loaded). */
export async function until<T>(what: string, probe: () => Promise<T> | T, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + 60_000;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)} after 60 s`);
    await sleep(50);
  }
}

/** An inject request uploading `script` as the train.sh of pipeline `name`. */
export function uploadPipeline(name: string, script: string) {
  const b = '----oran' + Math.random().toString(16).slice(2);
  return {
    method: 'POST' as const,
    url: `/pipelines/${name}/upload`,
    headers: { 'content-type': `multipart/form-data; boundary=${b}` },
    payload: `--${b}\r\nContent-Disposition: form-data; name="file"; filename="train.sh"\r\n\r\n${script}\r\n--${b}--\r\n`,
  };
}
