/** DRUM surface of the prediction server: routes, payload kinds, class-label rules, errors. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { createPredictionServer } from '../src/modules/serving/prediction-server.js';
import type { PredictionServer } from '../src/modules/serving/prediction-server.js';
import { BREAST_CSV, buildFixtures } from './fixtures/serving/models.js';
import type { ServingFixtures } from './fixtures/serving/models.js';

type Body = { predictions: Array<number | Record<string, number>>; message?: string };

let fx: ServingFixtures;
const servers: PredictionServer[] = [];
async function start(o: Parameters<typeof createPredictionServer>[0]): Promise<string> {
  const s = await createPredictionServer({ serverVersion: 'test', ...o });
  servers.push(s);
  return s.listen(0);
}

const breastLines = readFileSync(BREAST_CSV, 'utf8').trim().split('\n');
const breast = (n: number) => breastLines.slice(0, n + 1).join('\n') + '\n';

async function post(url: string, body: NonNullable<RequestInit['body']>, contentType?: string) {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: contentType ? { 'content-type': contentType } : {},
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Body };
}

function assertProbabilities(rows: Body['predictions'], labels: string[]) {
  for (const r of rows) {
    const o = r as Record<string, number>;
    assert.deepEqual(Object.keys(o), labels);
    let sum = 0;
    for (const l of labels) {
      assert.ok(o[l]! >= 0 && o[l]! <= 1, `${l}=${o[l]} in [0,1]`);
      sum += o[l]!;
    }
    assert.ok(Math.abs(sum - 1) < 1e-9, `row sums to 1 (${sum})`);
  }
}

before(() => {
  fx = buildFixtures();
});
after(async () => {
  for (const s of servers) await s.close();
});

describe('DRUM routes on a built-in binary GBDT', () => {
  let url: string;
  before(async () => {
    url = await start({ model: fx.gbdt });
  });

  test('liveness routes answer {"message":"OK"} with version and request-id headers', async () => {
    for (const path of ['/', '/ping/', '/ping', '/health/']) {
      const res = await fetch(url + path, { headers: { 'x-request-id': 'req-42' } });
      assert.equal(res.status, 200, path);
      assert.deepEqual(await res.json(), { message: 'OK' });
      assert.equal(res.headers.get('x_request_id'), 'req-42');
      assert.equal(res.headers.get('x-drum-version'), 'test');
    }
    const res = await fetch(url + '/ping/');
    assert.match(res.headers.get('x_request_id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('/info/ and /capabilities/', async () => {
    const info = (await (await fetch(url + '/info/')).json()) as Record<string, unknown>;
    assert.equal(info.targetType, 'binary');
    assert.equal(info.positiveClassLabel, 'malignant');
    assert.equal(info.negativeClassLabel, 'benign');
    assert.equal(info.predictor, 'modelyard:gbdt');
    const caps = (await (await fetch(url + '/capabilities/')).json()) as Record<
      string,
      Record<string, unknown>
    >;
    assert.ok('csv' in caps.supported_payload_formats! && 'mtx' in caps.supported_payload_formats!);
    assert.equal(caps.supported_methods!.chat, false);
  });

  test('CSV as text/csv, text/plain, no content type, and on every structured route', async () => {
    const first = (await post(url + '/predict/', breast(3), 'text/csv')).json().predictions;
    assert.equal(first.length, 3);
    assertProbabilities(first, ['benign', 'malignant']);
    assert.ok(
      (first[0] as Record<string, number>).malignant! > 0.5,
      'first row of breast_cancer is malignant',
    );
    for (const [path, type] of [
      ['/predict/', 'text/plain'],
      ['/predict/', undefined],
      ['/predictions/', 'text/csv; charset=utf-8'],
      ['/invocations', 'text/csv'],
    ] as const) {
      const r = await post(url + path, Buffer.from(breast(3)), type);
      assert.equal(r.status, 200, `${path} ${type}`);
      assert.deepEqual(r.json().predictions, first);
    }
  });

  test('the general CSV path (quoted header) gives the fast path answers; 1 row and 1000 rows', async () => {
    const quoted = breast(3).replace(/^([^\n]*)/, (h) =>
      h
        .split(',')
        .map((c) => `"${c}"`)
        .join(','),
    );
    const a = (await post(url + '/predict/', quoted, 'text/csv')).json().predictions;
    const b = (await post(url + '/predict/', breast(3), 'text/csv')).json().predictions;
    assert.deepEqual(a, b);
    assert.equal((await post(url + '/predict/', breast(1), 'text/csv')).json().predictions.length, 1);
    let big = breastLines[0]!;
    for (let i = 0; i < 1000; i++) big += '\n' + breastLines[1 + (i % (breastLines.length - 1))];
    const many = (await post(url + '/predict/', big, 'text/csv')).json().predictions;
    assert.equal(many.length, 1000);
    assertProbabilities(many, ['benign', 'malignant']);
  });

  test('multipart field X carries CSV', async () => {
    const form = new FormData();
    form.append('X', new Blob([breast(2)]), 'data.csv');
    const r = await post(url + '/predict/', form);
    assert.equal(r.status, 200);
    assert.equal(r.json().predictions.length, 2);
  });

  test('malformed payloads get 422 {"message":"ERROR: …"}', async () => {
    const header = breastLines[0]!;
    const cases: Array<[string, NonNullable<RequestInit['body']>, string | undefined, RegExp]> = [
      ['empty body', '', 'text/csv', /Samples should be provided/],
      ['header only', header + '\n', 'text/csv', /no data rows/],
      ['ragged row', header + '\n1,2,3\n', 'text/csv', /fields, expected/],
      ['missing column', 'foo,bar\n1,2\n', 'text/csv', /lacks column\(s\).*mean radius/],
      ['non-numeric', breast(1).replace(/\n([^,]*),/, '\nabc,'), 'text/csv', /'abc' is not a number/],
      ['wrong content type', breast(1), 'application/xml', /unsupported payload content type/],
      [
        'not UTF-8',
        Buffer.concat([
          Buffer.from(header + '\n'),
          Buffer.from([0xff, 0xfe]),
          Buffer.from(breast(1).slice(header.length + 1)),
        ]),
        'text/csv',
        /encoding must be UTF-8/,
      ],
      [
        'multipart without X',
        (() => {
          const f = new FormData();
          f.append('Y', new Blob([breast(1)]), 'y.csv');
          return f;
        })(),
        undefined,
        /Samples should be provided/,
      ],
      [
        'bad Matrix Market',
        '%%MatrixMarket matrix coordinate real general\n2 2 5\n1 1 1\n',
        'text/mtx',
        /Matrix Market/,
      ],
    ];
    for (const [what, body, type, re] of cases) {
      const r = await post(url + '/predict/', body, type);
      assert.equal(r.status, 422, `${what}: ${r.text}`);
      assert.match(r.json().message!, /^ERROR: /, what);
      assert.match(r.json().message!, re, what);
    }
  });

  test('wrong endpoint for the target type → 422; GET on /predict/ → 405; missing slash → 308', async () => {
    const u = await post(url + '/predictUnstructured/', 'hello', 'text/plain');
    assert.equal(u.status, 422);
    assert.match(u.json().message!, /use \/predict\//);
    const t = await post(url + '/transform/', breast(1), 'text/csv');
    assert.equal(t.status, 422);
    assert.equal((await fetch(url + '/predict/')).status, 405);
    const r = await fetch(url + '/predict', { method: 'POST', body: breast(1), redirect: 'manual' });
    assert.equal(r.status, 308);
    assert.equal(r.headers.get('location'), '/predict/');
  });

  test('/stats/ reports memory and request times, reset on each read', async () => {
    await post(url + '/predict/', breast(1), 'text/csv');
    const s = (await (await fetch(url + '/stats/')).json()) as {
      mem_info: { drum_rss: number; total: number };
      drum_info: Array<{ pid: number; cpu_percent: number }>;
      time_info: { run_predictor_total: { min: number; avg: number; max: number; count: number } };
    };
    assert.ok(s.mem_info.drum_rss > 0 && s.mem_info.total > 0);
    assert.equal(s.drum_info[0]!.pid, process.pid);
    const t = s.time_info.run_predictor_total;
    assert.ok(t.count >= 1 && t.min <= t.avg && t.avg <= t.max);
    const again = (await (await fetch(url + '/stats/')).json()) as typeof s;
    assert.equal(again.time_info.run_predictor_total.count, 0);
  });
});

describe('payload kinds on a 3-column model (a,b,c)', () => {
  let url: string;
  let expected: Body['predictions'];
  const csv = 'a,b,c\n1,2,0.5\n-3,1,2\n';
  before(async () => {
    url = await start({ model: fx.abc });
    expected = (await post(url + '/predict/', csv, 'text/csv')).json().predictions;
    assertProbabilities(expected, ['neg', 'pos']);
  });

  test('columns are found by name in any order; extra columns are ignored', async () => {
    const r = await post(url + '/predict/', 'c,extra,a,b\n0.5,9,1,2\n2,9,-3,1\n', 'text/csv');
    assert.deepEqual(r.json().predictions, expected);
  });

  test('missing values (empty, NA) are accepted', async () => {
    const r = await post(url + '/predict/', 'a,b,c\n1,,0.5\nNA,1,2\n', 'text/csv');
    assert.equal(r.status, 200);
    assertProbabilities(r.json().predictions, ['neg', 'pos']);
  });

  test('Matrix Market: raw text/mtx with positional columns, multipart .mtx with X.colnames', async () => {
    const mtx =
      '%%MatrixMarket matrix coordinate real general\n% comment\n2 3 6\n1 1 1\n1 2 2\n1 3 0.5\n2 1 -3\n2 2 1\n2 3 2\n';
    assert.deepEqual((await post(url + '/predict/', mtx, 'text/mtx')).json().predictions, expected);
    const shuffled =
      '%%MatrixMarket matrix coordinate real general\n2 3 5\n1 1 0.5\n1 2 1\n1 3 2\n2 1 2\n2 2 -3\n';
    const form = new FormData();
    form.append('X', new Blob([shuffled]), 'x.mtx');
    form.append('X.colnames', new Blob(['c\na\nb\n']), 'colnames');
    const r = await post(url + '/predict/', form);
    assert.equal(r.status, 200, r.text);
    const p = r.json().predictions as Record<string, number>[];
    assert.deepEqual(p[0], expected[0]);
    // Row 2 has b absent in the sparse file, i.e. 0.
    const zero = (await post(url + '/predict/', 'a,b,c\n-3,0,2\n', 'text/csv')).json().predictions;
    assert.deepEqual(p[1], zero[0]);
  });

  test('Apache Arrow IPC stream', async () => {
    const t = tableFromArrays({
      a: Float64Array.from([1, -3]),
      b: Float64Array.from([2, 1]),
      c: Float64Array.from([0.5, 2]),
    });
    const r = await post(url + '/predict/', tableToIPC(t, 'stream'), 'application/x-apache-arrow-stream');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json().predictions, expected);
    const bad = await post(
      url + '/predict/',
      Buffer.from('not arrow at all'),
      'application/x-apache-arrow-stream',
    );
    assert.equal(bad.status, 422);
  });

  test('payloads over the limit get 413', async () => {
    const small = await start({ model: fx.abc, maxBodyBytes: 1000 });
    const big = 'a,b,c\n' + '1,2,3\n'.repeat(400);
    const r = await post(small + '/predict/', big, 'text/csv');
    assert.equal(r.status, 413);
    assert.match(r.json().message!, /^ERROR: .*limit of 1000 bytes/);
    const ok = await post(small + '/predict/', csv, 'text/csv');
    assert.equal(ok.status, 200);
  });
});

describe('class labels and target types', () => {
  test('multiclass: keys follow the model labels, or --class-labels order with the same probabilities', async () => {
    const row =
      'sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)\n6.3,3.3,6.0,2.5\n5.1,3.5,1.4,0.2\n';
    const u1 = await start({ model: fx.iris });
    const a = (await post(u1 + '/predict/', row, 'text/csv')).json().predictions as Record<string, number>[];
    assertProbabilities(a, ['setosa', 'versicolor', 'virginica']);
    assert.ok(a[0]!.virginica! > 0.5 && a[1]!.setosa! > 0.5);
    const order = ['virginica', 'setosa', 'versicolor'];
    const u2 = await start({ model: fx.iris, classLabels: order });
    const b = (await post(u2 + '/predict/', row, 'text/csv')).json().predictions as Record<string, number>[];
    assertProbabilities(b, order);
    for (let i = 0; i < 2; i++) for (const l of order) assert.equal(b[i]![l], a[i]![l]);
  });

  test('binary labels given on the command line must match the model (tolerantly)', async () => {
    const u = await start({ model: fx.abc, positiveClassLabel: 'POS', negativeClassLabel: 'Neg' });
    const p = (await post(u + '/predict/', 'a,b,c\n1,2,0.5\n', 'text/csv')).json().predictions;
    assertProbabilities(p, ['Neg', 'POS']);
    await assert.rejects(
      createPredictionServer({ model: fx.abc, positiveClassLabel: 'yes' }),
      /must be given together/,
    );
  });

  test('regression answers a flat list; a wrong target type is refused at load', async () => {
    const u = await start({ model: fx.diabetes });
    const lines = readFileSync(new URL('./fixtures/datasets/diabetes.csv', import.meta.url), 'utf8').split(
      '\n',
    );
    const r = (await post(u + '/predict/', lines.slice(0, 4).join('\n'), 'text/csv')).json().predictions;
    assert.equal(r.length, 3);
    for (const v of r) assert.equal(typeof v, 'number');
    await assert.rejects(
      createPredictionServer({ model: fx.diabetes, targetType: 'binary' }),
      /regression model/,
    );
  });
});

describe('error server mode', () => {
  test('a load failure answers 513 with the failure on DRUM routes; without the flag loading throws', async () => {
    const broken = new URL('./fixtures/serving/broken-py', import.meta.url).pathname;
    await assert.rejects(createPredictionServer({ model: broken, targetType: 'regression' }), /andas/);
    const u = await start({ model: broken, targetType: 'regression', withErrorServer: true });
    for (const path of ['/', '/ping/', '/health/', '/info/']) {
      const r = await fetch(u + path);
      assert.equal(r.status, 513, path);
      const body = (await r.json()) as { message: string };
      assert.match(body.message, /^ERROR: .*No module named 'andas'/);
    }
    const p = await post(u + '/predict/', 'x\n1\n', 'text/csv');
    assert.equal(p.status, 513);
    const v2 = await fetch(u + '/v2/health/ready');
    assert.equal(v2.status, 503);
    assert.match(((await v2.json()) as { error: string }).error, /andas/);
    const missing = await start({ model: '/nonexistent/model.myd', withErrorServer: true });
    assert.equal((await fetch(missing + '/ping/')).status, 513);
  });
});
