/** Built-in models: the one-pass CSV reader agrees with the general path, and concurrent requests are merged. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { alignTable } from '../src/modules/serving/align.js';
import { createBuiltinRuntime } from '../src/modules/serving/builtin-runtime.js';
import { createCsvAligner, parseCsvTable } from '../src/modules/serving/csv-payload.js';
import { createPredictionServer } from '../src/modules/serving/prediction-server.js';
import type { PredictionServer } from '../src/modules/serving/prediction-server.js';
import { createServingService } from '../src/modules/serving/serving.service.js';
import { BREAST_CSV, buildFixtures } from './fixtures/serving/models.js';
import type { ServingFixtures } from './fixtures/serving/models.js';

let fx: ServingFixtures;
before(() => {
  fx = buildFixtures();
});

const breastLines = readFileSync(BREAST_CSV, 'utf8').trim().split('\n');
/** Rows [from, from + n) of breast_cancer as a CSV payload (header included). */
const breast = (from: number, n: number) =>
  [breastLines[0], ...breastLines.slice(1 + from, 1 + from + n)].join('\n') + '\n';

function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

describe('one-pass CSV reader', () => {
  test('numbers equal the general path cell for cell (signs, exponents, long digits, missing)', () => {
    const cells = [
      ['1', '-2', '+3', '0'],
      ['-0', '.5', '5.', '0.1'],
      ['1e3', '-2.5E-4', '1.7976931348623157e308', '5e-324'],
      ['12345678901234567890', '0.1234567890123456789', '0.00000000000000000000000123', '9007199254740993'],
      ['', 'NA', 'NaN', 'null'],
      ['123456789012345', '-987654321.012345', '0.000000000000000000001', '1000000000000000000000'],
      ['-1e-7', '+0.000', '3.14159', '2.718281828459045'],
    ];
    // Column x is not a model input: its text must be skipped, not parsed.
    const csv =
      'a,x,b,c,d\r\n' + cells.map((r) => [r[0], 'text', r[1], r[2], r[3]].join(',')).join('\r\n') + '\r\n';
    const body = Buffer.from(csv);
    const names = ['d', 'c', 'b', 'a'];
    const aligner = createCsvAligner(names, 4);
    const scratch = { buf: new Float64Array(4) };
    const n = aligner.parse(body, scratch);
    assert.equal(n, cells.length);
    const general = alignTable(parseCsvTable(body), { names, count: 4, levels: null });
    sameNumbers(scratch.buf.subarray(0, n * 4), general, 'fast vs general');
    for (let i = 0; i < cells.length; i++)
      for (let j = 0; j < 4; j++) {
        const text = cells[i]![3 - j]!;
        const expected = ['', 'NA', 'NaN', 'null'].includes(text) ? NaN : Number(text);
        assert.ok(Object.is(scratch.buf[i * 4 + j], expected), `row ${i} ${names[j]} '${text}'`);
      }
  });

  test('a trailing comma is a missing last cell; ragged rows and text cells are refused or deferred', () => {
    const aligner = createCsvAligner(['a', 'b', 'c'], 3);
    const scratch = { buf: new Float64Array(3) };
    assert.equal(aligner.parse(Buffer.from('a,b,c\n1,2,\n'), scratch), 1);
    sameNumbers(scratch.buf.subarray(0, 3), [1, 2, NaN], 'trailing comma');
    // Blank lines are skipped; no final newline is fine.
    assert.equal(aligner.parse(Buffer.from('a,b,c\r\n1,2,3\r\n\r\n\n4,5,6'), scratch), 2);
    sameNumbers(scratch.buf.subarray(0, 6), [1, 2, 3, 4, 5, 6], 'blank lines');
    assert.throws(
      () => aligner.parse(Buffer.from('a,b,c\n1,2,3\n\n1,2\n'), scratch),
      /line 4: 2 fields, expected 3/,
    );
    assert.throws(() => aligner.parse(Buffer.from('a,b,c\n1,2,3,4\n'), scratch), /more than 3 fields/);
    // Text in a model column, infinities, or padding spaces: the general path decides.
    assert.equal(aligner.parse(Buffer.from('a,b,c\n1,abc,3\n'), scratch), -1);
    assert.equal(aligner.parse(Buffer.from('a,b,c\n1,inf,3\n'), scratch), -1);
    assert.equal(aligner.parse(Buffer.from('a,b,c\n1, 2,3\n'), scratch), -1);
  });
});

describe('micro-batching of built-in models', () => {
  let server: PredictionServer;
  let url: string;
  before(async () => {
    server = await createPredictionServer({ model: fx.gbdt, serverVersion: 'test' });
    url = await server.listen(0);
  });
  after(() => server.close());

  test('requests scored in one turn share one model call and get their own rows back', async () => {
    const svc = createServingService(createBuiltinRuntime(readFileSync(fx.gbdt), fx.gbdt), { name: 'g' });
    const bodies = Array.from({ length: 12 }, (_, i) => Buffer.from(breast(i * 7, 1 + (i % 4))));
    // scoreCsvSync reuses its buffer: copy each answer at once.
    const alone = bodies.map((b) => Array.from(svc.scoreCsvSync(b)!.values));
    const before = svc.batching();
    const together = await Promise.all(bodies.map((b) => svc.scoreCsv(b)!));
    const after = svc.batching();
    assert.equal(after.requests - before.requests, bodies.length);
    assert.equal(after.batches - before.batches, 1, 'all submitted in one turn: one call');
    assert.equal(after.maxBatchRequests, bodies.length);
    together.forEach((s, i) => {
      assert.equal(s.nRows, 1 + (i % 4));
      sameNumbers(s.values, alone[i]!, `request ${i}`);
    });
  });

  test('concurrent HTTP requests answer exactly what sequential ones do; /stats/ counts the merging', async () => {
    const bodies = Array.from({ length: 48 }, (_, i) => breast((i * 11) % 500, i % 3 === 0 ? 40 : 1));
    const post = (b: string) =>
      fetch(url + '/predict/', { method: 'POST', body: b, headers: { 'content-type': 'text/csv' } }).then(
        async (r) => {
          assert.equal(r.status, 200);
          return r.text();
        },
      );
    const sequential: string[] = [];
    for (const b of bodies) sequential.push(await post(b));
    const concurrent = await Promise.all(bodies.map(post));
    assert.deepEqual(concurrent, sequential);
    const stats = (await (await fetch(url + '/stats/')).json()) as {
      batching: { requests: number; batches: number; rows: number; maxBatchRequests: number };
    };
    const rows = bodies.reduce((s, b) => s + b.trim().split('\n').length - 1, 0);
    assert.equal(stats.batching.requests, 2 * bodies.length);
    assert.equal(stats.batching.rows, 2 * rows);
    assert.ok(stats.batching.batches <= stats.batching.requests);
    assert.equal(stats.batching.batches, server.service!.batching().batches);
  });
});
