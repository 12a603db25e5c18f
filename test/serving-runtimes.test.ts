/** ONNX and custom-code runtimes, micro-batching, and mounting under a prefix. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createOnnxRuntime } from '../src/modules/serving/onnx-runtime.js';
import { createPredictionServer } from '../src/modules/serving/prediction-server.js';
import type { ModelRuntime } from '../src/modules/serving/serving.types.js';
import type { PredictionServer } from '../src/modules/serving/prediction-server.js';
import { buildFixtures, onnxProbability } from './fixtures/serving/models.js';
import type { ServingFixtures } from './fixtures/serving/models.js';

const FIX = new URL('./fixtures/serving/', import.meta.url).pathname;
let fx: ServingFixtures;
const servers: PredictionServer[] = [];
async function start(
  o: Parameters<typeof createPredictionServer>[0],
): Promise<{ url: string; server: PredictionServer }> {
  const server = await createPredictionServer(o);
  servers.push(server);
  return { url: await server.listen(0), server };
}
async function post(url: string, body: NonNullable<RequestInit['body']>, contentType = 'text/csv') {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

before(() => {
  fx = buildFixtures();
});
after(async () => {
  for (const s of servers) await s.close();
});

describe('ONNX runtime', () => {
  test('binary: CSV columns feed the input in file order; [N,2] output read as [negative, positive]', async () => {
    const { url } = await start({
      model: fx.onnxLogistic,
      negativeClassLabel: 'no',
      positiveClassLabel: 'yes',
    });
    const r = await post(url + '/predict/', 'u,v,w\n1,1,1\n0,0,0\n');
    assert.equal(r.status, 200, r.text);
    const p = (JSON.parse(r.text) as { predictions: Array<{ no: number; yes: number }> }).predictions;
    assert.deepEqual(Object.keys(p[0]!), ['no', 'yes']);
    assert.ok(Math.abs(p[0]!.yes - onnxProbability([1, 1, 1])) < 1e-6);
    assert.ok(Math.abs(p[1]!.yes - onnxProbability([0, 0, 0])) < 1e-6);
    assert.ok(Math.abs(p[0]!.yes + p[0]!.no - 1) < 1e-6);
    const bad = await post(url + '/predict/', 'u,v\n1,1\n');
    assert.equal(bad.status, 422);
    assert.match(bad.text, /takes 3 columns, the payload has 2/);
    const meta = (await (await fetch(url + '/v2/models/onnx-logistic')).json()) as { platform: string };
    assert.equal(meta.platform, 'onnx_onnxv1');
  });

  test('a classifier without labels is refused; a [N,1] output is a regression', async () => {
    await assert.rejects(createPredictionServer({ model: fx.onnxLogistic }), /target-type|labels/);
    const { url } = await start({ model: fx.onnxLinear, name: 'lin' });
    const r = await post(url + '/predict/', 'a,b,c\n1,1,1\n2,0,0\n');
    assert.deepEqual(JSON.parse(r.text), { predictions: [7, 3] });
    const v2 = await fetch(url + '/v2/models/lin/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'X', shape: [1, 3], datatype: 'FP32', data: [[0, 0, 1]] }] }),
    });
    assert.deepEqual(((await v2.json()) as { outputs: Array<{ data: number[] }> }).outputs[0]!.data, [4]);
  });

  test('concurrent requests to a busy model are merged into fewer calls, each answer still its own', async () => {
    // A slow model (each call waits 15 ms before ONNX runs) keeps the runtime busy while requests queue.
    const onnx = await createOnnxRuntime(fx.onnxLogistic);
    const slow: ModelRuntime = {
      ...onnx,
      predictMatrix: async (x, n) => {
        await new Promise((r) => setTimeout(r, 15));
        return onnx.predictMatrix!(x, n);
      },
    };
    const { url, server } = await start({ model: slow, name: 'slow', classLabels: ['n', 'p'] });
    const n = 64;
    const rows = Array.from({ length: n }, (_, i) => [i / 10, -i / 20, (i % 7) / 3]);
    const answers = await Promise.all(
      rows.map((x) =>
        post(url + '/predict/', `a,b,c\n${x.join(',')}\n`).then(
          (r) => JSON.parse(r.text) as { predictions: Array<{ p: number }> },
        ),
      ),
    );
    answers.forEach((a, i) =>
      assert.ok(Math.abs(a.predictions[0]!.p - onnxProbability(rows[i]!)) < 1e-6, `row ${i}`),
    );
    const b = server.service!.batching();
    assert.equal(b.requests, n);
    assert.equal(b.rows, n);
    assert.ok(b.batches < b.requests, `batches ${b.batches} < requests ${b.requests}`);
    assert.ok(b.maxBatchRequests > 1);
    const stats = (await (await fetch(url + '/stats/')).json()) as { batching: { batches: number } };
    assert.equal(stats.batching.batches, b.batches);
  });
});

describe('custom code', () => {
  test('custom.py score: columns matched to labels tolerantly and reordered', async () => {
    const { url } = await start({
      model: FIX + 'custom-py',
      positiveClassLabel: 'yes',
      negativeClassLabel: 'no',
    });
    const r = await post(url + '/predict/', 'x,y\n1,0\n-1,0\n');
    assert.equal(r.status, 200, r.text);
    const p = (JSON.parse(r.text) as { predictions: Array<Record<string, number>> }).predictions;
    assert.deepEqual(Object.keys(p[0]!), ['no', 'yes']);
    assert.ok(Math.abs(p[0]!.yes! - 0.8) < 1e-9 && Math.abs(p[1]!.yes! - 0.2) < 1e-9);
    const info = (await (await fetch(url + '/info/')).json()) as { language: string };
    assert.equal(info.language, 'python');
  });

  test('custom.py whose columns do not match the labels → 500 {"message":"ERROR: …"}', async () => {
    const { url } = await start({
      model: FIX + 'custom-py',
      positiveClassLabel: 'dog',
      negativeClassLabel: 'cat',
    });
    const r = await post(url + '/predict/', 'x\n1\n');
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.text).message, /^ERROR: .*do not match the class labels/);
    const hookError = await post(url + '/predict/', 'nox\n1\n');
    assert.equal(hookError.status, 500);
    assert.match(JSON.parse(hookError.text).message, /KeyError/);
  });

  test('custom.py extra output columns come back as DRUM extraModelOutput; MLflow answers the predictions only', async () => {
    const { url } = await start({
      model: FIX + 'custom-py-extra',
      name: 'extra',
      positiveClassLabel: 'yes',
      negativeClassLabel: 'no',
    });
    const r = await post(url + '/predict/', 'x\n2\n0\n');
    assert.equal(r.status, 200, r.text);
    const body = JSON.parse(r.text) as {
      predictions: Array<Record<string, number>>;
      extraModelOutput: { columns: string[]; index: number[]; data: unknown[][] };
    };
    assert.deepEqual(Object.keys(body.predictions[0]!), ['no', 'yes']);
    assert.ok(
      Math.abs(body.predictions[0]!.yes! - 0.8) < 1e-9 && Math.abs(body.predictions[1]!.yes! - 0.2) < 1e-9,
    );
    assert.deepEqual(body.extraModelOutput, {
      columns: ['id', 'why', 'raw'],
      index: [0, 1],
      data: [
        ['row-0', 'x is positive', 2],
        ['row-1', 'x is not positive', null],
      ],
    });
    const mlflow = await post(
      url + '/invocations',
      JSON.stringify({ dataframe_split: { columns: ['x'], data: [[2]] } }),
      'application/json',
    );
    assert.equal(mlflow.status, 200, mlflow.text);
    assert.deepEqual(JSON.parse(mlflow.text), { predictions: ['yes'] });
  });

  test('custom.py score_unstructured: text with query and mimetype, bytes in and out', async () => {
    const { url } = await start({ model: FIX + 'custom-py', targetType: 'unstructured' });
    const t = await post(url + '/predictUnstructured/?q=42', 'hello', 'text/plain');
    assert.equal(t.status, 200);
    assert.equal(t.text, 'echo:HELLO:42:text/plain');
    assert.match(t.headers.get('content-type')!, /^text\/plain; charset=utf-8/);
    const res = await fetch(url + '/predictionsUnstructured/', {
      method: 'POST',
      body: Buffer.from([1, 2, 3]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(res.headers.get('content-type'), 'application/x-reversed');
    assert.deepEqual([...new Uint8Array(await res.arrayBuffer())], [3, 2, 1]);
    const s = await post(url + '/predict/', 'x\n1\n');
    assert.equal(s.status, 422);
  });

  test('custom.mjs: regression score, unstructured and transform', async () => {
    const dir = FIX + 'custom-mjs';
    const { url } = await start({ model: dir, targetType: 'regression' });
    const r = await post(url + '/predict/', 'x,z\n1.5,0\n-2,0\n');
    assert.deepEqual(JSON.parse(r.text), { predictions: [3, -4] });
    const u = await start({ model: dir, targetType: 'unstructured' });
    const t = await post(u.url + '/predictUnstructured/?q=7', '{"a":1}', 'application/json');
    assert.equal(t.text, 'len=7;application/json;q=7');
    const tr = await start({ model: dir, targetType: 'transform' });
    const form = new FormData();
    form.append('X', new Blob(['a,b\n1,2\n3,4\n']), 'X.csv');
    const res = await fetch(tr.url + '/transform/', { method: 'POST', body: form });
    assert.equal(res.status, 200);
    const parts = await res.formData();
    assert.equal(parts.get('X.format'), 'csv');
    assert.equal(parts.get('X.transformed'), 'a_t,b_t\n10,20\n30,40\n');
  });
});

describe('mounting under a prefix', () => {
  test('handle() serves every route under the prefix and leaves other paths to the host', async () => {
    const pred = await createPredictionServer({ model: fx.abc, urlPrefix: '/deployments/churn' });
    servers.push(pred);
    const host = createServer((req, res) => {
      if (pred.handle(req, res)) return;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('host');
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    try {
      const r = await post(base + '/deployments/churn/predict/', 'a,b,c\n1,2,3\n');
      assert.equal(r.status, 200, r.text);
      assert.equal((await fetch(base + '/deployments/churn/v2/models/abc/ready')).status, 200);
      assert.equal(await (await fetch(base + '/deployments/churnx/ping/')).text(), 'host');
      assert.equal(await (await fetch(base + '/other')).text(), 'host');
    } finally {
      host.closeAllConnections();
      await new Promise<void>((r) => host.close(() => r()));
    }
  });
});
