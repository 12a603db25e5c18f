/** The one-pass CSV aligner at its edges: body ends, line ends, digit-count limits, fallbacks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCsvAligner } from './csv-payload.js';

/**
 * Parses csv with model inputs `names` (file order when null); returns the rows or -1. Small
 * bodies are read by JS alone in production: each case also goes through the wasm kernel, and
 * both readers must agree (the same rows, -1, or the same error).
 */
function parse(csv: string | Uint8Array, names: string[] | null = ['a', 'b'], k = names?.length ?? 2) {
  const body = typeof csv === 'string' ? Buffer.from(csv) : csv;
  const run = (kernelMinBytes?: number) => {
    const scratch = { buf: new Float64Array(1) };
    let n: number;
    try {
      n = createCsvAligner(names, k, { kernelMinBytes }).parse(body, scratch);
    } catch (e) {
      return e as Error;
    }
    if (n < 0) return n;
    return Array.from({ length: n }, (_, r) => Array.from(scratch.buf.subarray(r * k, r * k + k)));
  };
  const plain = run();
  const kernel = run(0);
  assert.deepEqual(kernel, plain, 'the wasm kernel and the JS reader agree');
  if (plain instanceof Error) throw plain;
  return plain;
}

function same(actual: number | number[][], expected: number[][]): void {
  assert.ok(Array.isArray(actual), `parsed (got ${String(actual)})`);
  assert.equal(actual.length, expected.length, 'rows');
  expected.forEach((row, r) =>
    row.forEach((v, j) => assert.ok(Object.is(actual[r]![j], v), `[${r}][${j}]: ${actual[r]![j]} vs ${v}`)),
  );
}

describe('CSV aligner: the last line', () => {
  test('with or without a final newline, LF or CRLF, the same rows', () => {
    for (const end of ['', '\n', '\r\n', '\r', '\n\n', '\r\n\r\n', '\n\r\n'])
      same(parse(`a,b\n1,2\n3.5,-4${end}`), [
        [1, 2],
        [3.5, -4],
      ]);
    same(parse('a,b\r\n1,2'), [[1, 2]]);
    same(parse('a,b\n1,'), [[1, NaN]]);
    same(parse('a,b\n1,NA'), [[1, NaN]]);
    same(parse('a,b\n1,1e3'), [[1, 1000]]);
  });

  test('a header alone, or only blank lines, gives no rows', () => {
    assert.deepEqual(parse('a,b'), []);
    assert.deepEqual(parse('a,b\n'), []);
    assert.deepEqual(parse('a,b\r\n\r\n\n'), []);
    assert.deepEqual(parse('\ufeffa,b\n\n'), []);
  });

  test('a ragged last line is reported with its line number', () => {
    assert.throws(() => parse('a,b\n1,2\n\n3'), /line 4: 1 fields, expected 2/);
    assert.throws(() => parse('a,b\r\n1,2\r\n3,4,5'), /line 3: more than 2 fields/);
    assert.throws(() => parse('a,b\n1,2\n3,4,'), /line 3: more than 2 fields/);
  });

  test('a lone CR inside the body is left to the general path; at the very end it ends the line', () => {
    assert.equal(parse('a,b\n1,2\r3,4\n'), -1);
    assert.equal(parse('a,b\n1,2\r3,4'), -1);
    same(parse('a,b\n1,2\n3,4\r'), [
      [1, 2],
      [3, 4],
    ]);
  });

  test('text in the last line defers to the general path; an ignored column may hold anything', () => {
    assert.equal(parse('a,b\n1,2\n3,x'), -1);
    same(parse('a,x,b\n1,hello,2\n3,world,', ['a', 'b']), [
      [1, 2],
      [3, NaN],
    ]);
    same(parse('a,b,x\n1,2,hello\r\n3,4,world', ['a', 'b']), [
      [1, 2],
      [3, 4],
    ]);
  });
});

describe('CSV aligner: numbers equal Number(text) bit for bit', () => {
  const cases = [
    '123456789012345', // 15 digits: the inline path
    '1234567890123456', // 16: parseNumberBytes
    '9007199254740993', // 2^53 + 1: rounds
    '0.12345678901234',
    '0.123456789012345',
    '0.1234567890123456',
    '12345678.9012345',
    '-99999999999999.9',
    '0.00000000000000000001', // 21 digits, 1 significant: parseNumberBytes' fast path
    '0.0000000000000000000000123',
    '000000000000000000001.5',
    '1e5',
    '-2.5E-3',
    '1.7976931348623157e308',
    '4.9e-324',
    '1e400',
    '-0',
    '-0.0',
    '+7',
    '.5',
    '5.',
    '0.1',
    '0.3',
    '2.675',
  ];
  test('listed edge cases', () => {
    for (const t of cases) {
      for (const end of ['\n', '']) {
        const got = parse(`a,b\n${t},${t}${end}`);
        same(got, [[Number(t), Number(t)]]);
      }
    }
  });

  test('random decimals of 1 to 17 digits with random signs and points', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const cells: string[] = [];
    for (let q = 0; q < 4000; q++) {
      const nd = 1 + rnd(17);
      let s = '';
      for (let d = 0; d < nd; d++) s += String(rnd(10));
      const dot = rnd(nd + 2);
      if (dot <= nd) s = s.slice(0, dot) + '.' + s.slice(dot);
      if (s === '.') s = '0';
      cells.push(['', '-', '+'][rnd(3)] + s);
    }
    const rows: string[] = [];
    for (let q = 0; q < cells.length; q += 2) rows.push(`${cells[q]},${cells[q + 1]}`);
    const got = parse('a,b\n' + rows.join('\r\n'));
    same(
      got,
      rows.map((r) => r.split(',').map(Number)),
    );
  });
});

describe('CSV aligner: the wasm kernel and the JS reader share the work', () => {
  /** n lines of 3 cells; line r holds a cell only the JS reader decides when r % 7 = phase. */
  function mixed(n: number, seed: number, phase = 6): { csv: string; rows: number[][] } {
    const odd = ['NA', '1e3', '-2.5E-4', 'nan', '1234567890123456', '', 'null'];
    const lines: string[] = [];
    const rows: number[][] = [];
    for (let r = 0; r < n; r++) {
      const cells = [0, 1, 2].map((j) => (((r + 1) * (j + 3) * seed) % 100003) / 1000 - 50);
      const text = cells.map((v) => String(v));
      if (r % 7 === phase) text[r % 3] = odd[r % odd.length]!;
      lines.push(text.join(','));
      rows.push(text.map((t) => (['', 'NA', 'nan', 'null'].includes(t) ? NaN : Number(t))));
    }
    return { csv: 'a,b,c\n' + lines.join(r0(seed)) + '\n', rows };
  }
  const r0 = (seed: number) => (seed % 2 === 0 ? '\r\n' : '\n');

  test('lines with other missing markers, exponents or long numbers between plain ones', () => {
    const aligner = createCsvAligner(['a', 'b', 'c'], 3);
    // Growing then shrinking bodies on one aligner: the kernel's memory grows and is reused.
    // Phase 6: the kernel resumes after each such line; phase 0 or 2: it stops within a few
    // lines and the JS reader reads the rest.
    for (const [n, seed, phase] of [
      [10, 1, 6],
      [5000, 2, 6],
      [60000, 3, 6],
      [3, 4, 6],
      [5000, 6, 0],
      [5000, 7, 2],
    ] as const) {
      const { csv, rows } = mixed(n, seed, phase);
      const scratch = { buf: new Float64Array(3) };
      const got = aligner.parse(Buffer.from(csv), scratch);
      assert.equal(got, n);
      for (let r = 0; r < n; r++)
        for (let j = 0; j < 3; j++)
          assert.ok(Object.is(scratch.buf[r * 3 + j], rows[r]![j]), `n=${n} [${r}][${j}]`);
    }
  });

  test('after a body that grew the kernel past 16 MiB, the next bodies parse the same (a new kernel)', () => {
    const aligner = createCsvAligner(['a', 'b', 'c'], 3);
    for (const [n, seed] of [
      [80000, 8],
      [20, 9],
      [80000, 10],
      [1000, 11],
    ] as const) {
      const { csv, rows } = mixed(n, seed);
      // 3 MB in, room for 1M rows out: a memory over 16 MiB, which the aligner lets go.
      if (n > 50000) assert.ok(csv.length > 2 << 20 && csv.length < 4 << 20);
      const scratch = { buf: new Float64Array(3) };
      assert.equal(aligner.parse(Buffer.from(csv), scratch), n);
      for (let r = 0; r < n; r++)
        for (let j = 0; j < 3; j++)
          assert.ok(Object.is(scratch.buf[r * 3 + j], rows[r]![j]), `n=${n} [${r}][${j}]`);
    }
  });

  test('a body over the kernel limit (4 MiB) is read by the JS reader alone, with the same values', () => {
    const { csv, rows } = mixed(200000, 5);
    assert.ok(csv.length > 4 << 20);
    const scratch = { buf: new Float64Array(3) };
    const n = createCsvAligner(['c', 'a', 'b'], 3).parse(Buffer.from(csv), scratch);
    assert.equal(n, rows.length);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < 3; j++)
        assert.ok(Object.is(scratch.buf[r * 3 + j], rows[r]![(j + 2) % 3]), `[${r}][${j}]`);
    assert.throws(
      () => createCsvAligner(['a', 'b', 'c'], 3).parse(Buffer.from(csv + '1,2'), scratch),
      /line 200002: 2 fields, expected 3/,
    );
  });
});
