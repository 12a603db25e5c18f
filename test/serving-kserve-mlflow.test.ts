/** KServe V2/V1 and MLflow /invocations surfaces of the prediction server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPredictionServer } from '../src/modules/serving/prediction-server.js';
import type { PredictionServer } from '../src/modules/serving/prediction-server.js';
import { buildFixtures } from './fixtures/serving/models.js';

let server: PredictionServer;
let url: string;
let regUrl: string;
let reg: PredictionServer;

async function call(path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(url + path, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: body === undefined ? {} : { 'content-type': contentType },
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
}

const ROWS = [
  [1, 2, 0.5],
  [-3, 1, 2],
];

before(async () => {
  const fx = buildFixtures();
  server = await createPredictionServer({ model: fx.abc, serverVersion: 'test' });
  url = await server.listen(0);
  reg = await createPredictionServer({ model: fx.diabetes, name: 'diab', version: '3' });
  regUrl = await reg.listen(0);
});
after(async () => {
  await server.close();
  await reg.close();
});

describe('KServe V2', () => {
  test('server metadata and health', async () => {
    const meta = await call('/v2');
    assert.equal(meta.status, 200);
    assert.equal(meta.body.name, 'modelyard');
    assert.ok(Array.isArray(meta.body.extensions));
    assert.deepEqual((await call('/v2/health/live')).body, { live: true });
    assert.deepEqual((await call('/v2/health/ready')).body, { ready: true });
  });

  test('model metadata and ready under the file name, with or without a version segment', async () => {
    const m = await call('/v2/models/abc');
    assert.equal(m.status, 200);
    assert.equal(m.body.name, 'abc');
    assert.deepEqual((m.body.inputs as Array<{ shape: number[] }>)[0]!.shape, [-1, 3]);
    assert.deepEqual(
      (m.body.outputs as Array<{ name: string }>).map((o) => o.name),
      ['predict', 'predict_proba'],
    );
    assert.deepEqual((await call('/v2/models/abc/versions/1')).body, m.body);
    assert.deepEqual((await call('/v2/models/abc/ready')).body, { name: 'abc', ready: true });
    const r = await fetch(regUrl + '/v2/models/diab/versions/3');
    assert.deepEqual(((await r.json()) as { versions: string[] }).versions, ['3']);
    assert.equal((await fetch(regUrl + '/v2/models/diab/versions/4')).status, 404);
  });

  test('unknown model → 404 {"error"}', async () => {
    for (const [path, body] of [
      ['/v2/models/nope', undefined],
      ['/v2/models/nope/ready', undefined],
      ['/v2/models/nope/infer', { inputs: [] }],
    ] as const) {
      const r = await call(path, body);
      assert.equal(r.status, 404, path);
      assert.match(String(r.body.error), /nope/);
      assert.deepEqual(Object.keys(r.body), ['error']);
    }
  });

  test('infer: flat and nested data agree; id echoed; outputs selection', async () => {
    const nested = await call('/v2/models/abc/infer', {
      id: 'r-1',
      inputs: [{ name: 'input-0', shape: [2, 3], datatype: 'FP64', data: ROWS }],
    });
    assert.equal(nested.status, 200, JSON.stringify(nested.body));
    assert.equal(nested.body.id, 'r-1');
    assert.equal(nested.body.model_name, 'abc');
    const outs = nested.body.outputs as Array<{
      name: string;
      shape: number[];
      data: unknown[];
      datatype: string;
    }>;
    assert.deepEqual(
      outs.map((o) => o.name),
      ['predict', 'predict_proba'],
    );
    assert.deepEqual(outs[1]!.shape, [2, 2]);
    const proba = outs[1]!.data as number[];
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(proba[2 * i]! + proba[2 * i + 1]! - 1) < 1e-9);
    assert.deepEqual(
      outs[0]!.data,
      [0, 1].map((i) => (proba[2 * i + 1]! > proba[2 * i]! ? 'pos' : 'neg')),
    );
    const flat = await call('/v2/models/abc/versions/1/infer', {
      inputs: [{ name: 'input-0', shape: [2, 3], datatype: 'FP32', data: ROWS.flat() }],
      outputs: [{ name: 'predict_proba' }],
    });
    assert.equal(flat.status, 200);
    assert.equal(flat.body.id, undefined);
    const fo = flat.body.outputs as Array<{ name: string; data: number[] }>;
    assert.deepEqual(
      fo.map((o) => o.name),
      ['predict_proba'],
    );
    assert.deepEqual(fo[0]!.data, proba);
    const named = await call('/v2/models/abc/infer', {
      inputs: ['c', 'a', 'b'].map((n) => ({
        name: n,
        shape: [2],
        datatype: 'FP64',
        data: ROWS.map((r) => r['abc'.indexOf(n)]),
      })),
    });
    assert.deepEqual((named.body.outputs as Array<{ data: unknown }>)[1]!.data, proba);
  });

  test('bad infer requests → 400 {"error"}', async () => {
    const cases: Array<[string, unknown]> = [
      ['bad JSON', '{"inputs": ['],
      ['no inputs', {}],
      ['shape mismatch', { inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP64', data: [1, 2, 3] }] }],
      ['unknown datatype', { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FLOAT', data: [1, 2, 3] }] }],
      ['wrong column count', { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP64', data: [1, 2] }] }],
      [
        'unknown output',
        {
          inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP64', data: [1, 2, 3] }],
          outputs: [{ name: 'zzz' }],
        },
      ],
      [
        'data type mismatch',
        { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP64', data: ['a', 'b', 'c'] }] },
      ],
    ];
    for (const [what, body] of cases) {
      const r = await call('/v2/models/abc/infer', body);
      assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error, 'string', what);
    }
  });
});

describe('KServe V1', () => {
  test('list, ready and :predict with instances and columnar inputs', async () => {
    assert.deepEqual((await call('/v1/models')).body, { models: ['abc'] });
    assert.deepEqual((await call('/v1/models/abc')).body, { name: 'abc', ready: true });
    const a = await call('/v1/models/abc:predict', { instances: ROWS });
    assert.equal(a.status, 200);
    const labels = a.body.predictions as string[];
    assert.equal(labels.length, 2);
    for (const l of labels) assert.ok(l === 'pos' || l === 'neg');
    const b = await call('/v1/models/abc:predict', { inputs: { a: [1, -3], b: [2, 1], c: [0.5, 2] } });
    assert.deepEqual(b.body.predictions, labels);
    assert.equal((await call('/v1/models/zzz:predict', { instances: ROWS })).status, 404);
    assert.equal((await call('/v1/models/abc:predict', { rows: ROWS })).status, 400);
  });
});

describe('MLflow /invocations', () => {
  test('the four JSON formats agree with each other and with CSV', async () => {
    const split = await call('/invocations', { dataframe_split: { columns: ['a', 'b', 'c'], data: ROWS } });
    assert.equal(split.status, 200);
    const want = split.body.predictions;
    const records = await call('/invocations', { dataframe_records: ROWS.map(([a, b, c]) => ({ c, a, b })) });
    const instances = await call('/invocations', { instances: ROWS.map(([a, b, c]) => ({ a, b, c })) });
    const inputs = await call('/invocations', { inputs: { a: [1, -3], b: [2, 1], c: [0.5, 2] } });
    assert.deepEqual(records.body.predictions, want);
    assert.deepEqual(instances.body.predictions, want);
    assert.deepEqual(inputs.body.predictions, want);
    const csv = await call('/invocations', 'a,b,c\n1,2,0.5\n-3,1,2\n', 'text/csv');
    const drum = csv.body.predictions as Array<Record<string, number>>;
    assert.deepEqual(
      drum.map((p) => (p.pos! > p.neg! ? 'pos' : 'neg')),
      want,
    );
  });

  test('bad bodies → 400 BAD_REQUEST; wrong charset → 415; /health and /version', async () => {
    for (const body of [
      '{nope',
      { dataframe_split: { data: ROWS }, instances: ROWS },
      { foo: 1 },
      { instances: [] },
    ]) {
      const r = await call('/invocations', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error_code, 'BAD_REQUEST');
    }
    const r = await call('/invocations', { instances: ROWS }, 'application/json; charset=latin1');
    assert.equal(r.status, 415);
    const h = await fetch(url + '/health');
    assert.equal(h.status, 200);
    assert.equal((await fetch(url + '/version')).status, 200);
  });

  test('regression answers values', async () => {
    const cols = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'];
    const res = await fetch(regUrl + '/invocations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: cols, data: [cols.map(() => 0.01)] } }),
    });
    const body = (await res.json()) as { predictions: number[] };
    assert.equal(typeof body.predictions[0], 'number');
  });
});
