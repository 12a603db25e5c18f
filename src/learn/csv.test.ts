import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsv, parseNumberBytes } from './csv.js';
import { getColumn } from './frame.js';

test('fast path: numeric columns, missing tokens, CRLF and trailing newline', () => {
  const f = parseCsv('a,b,c\r\n1,2.5,x\r\n,NA,y\r\n-3e2,.5,\r\n');
  assert.equal(f.nRows, 3);
  const a = getColumn(f, 'a');
  assert.equal(a.kind, 'numeric');
  assert.deepEqual(Array.from(a.kind === 'numeric' ? a.values : []), [1, NaN, -300]);
  const c = getColumn(f, 'c');
  assert.equal(c.kind, 'categorical');
  if (c.kind === 'categorical') {
    assert.deepEqual(c.levels, ['x', 'y']);
    assert.deepEqual(Array.from(c.codes), [0, 1, -1]);
  }
});

test('number parsing equals Number() on awkward inputs', () => {
  const cases = [
    '0.1',
    '123456789012345678',
    '1e-300',
    '-0.000001234',
    '3.141592653589793238',
    '1.',
    '+7',
    '9007199254740993',
  ];
  for (const s of cases) {
    const b = new TextEncoder().encode(s);
    assert.equal(parseNumberBytes(b, 0, b.length), Number(s), s);
  }
  for (const s of ['', '-', '.', '1e', '1.2.3', 'abc', '0x10']) {
    const b = new TextEncoder().encode(s);
    assert.equal(parseNumberBytes(b, 0, b.length), undefined, s);
  }
});

test('general path handles quotes, escaped quotes and embedded delimiters/newlines', () => {
  const f = parseCsv('name,v\n"a, b",1\n"say ""hi""",2\n"multi\nline",3\n');
  const name = getColumn(f, 'name');
  assert.equal(name.kind, 'categorical');
  if (name.kind === 'categorical') assert.deepEqual(name.levels, ['a, b', 'multi\nline', 'say "hi"']);
  const v = getColumn(f, 'v');
  assert.deepEqual(v.kind === 'numeric' ? Array.from(v.values) : [], [1, 2, 3]);
});

test('forced categorical column and field-count errors', () => {
  const f = parseCsv('zip,x\n02139,1\n10001,2\n', { categorical: ['zip'] });
  const zip = getColumn(f, 'zip');
  assert.equal(zip.kind, 'categorical');
  if (zip.kind === 'categorical') assert.deepEqual(zip.levels, ['02139', '10001']);
  assert.throws(() => parseCsv('a,b\n1,2,3\n'), /line 2/);
  assert.throws(() => parseCsv('a,b\n1\n'), /1 fields, expected 2/);
});
