import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAppError } from '../../errors.js';
import { parseRowFilter } from './row-filter.js';
import { influxWhere } from './influx-extract.js';

const rows: Array<Record<string, string>> = [
  { id: '1', x: '5', city: 'Oslo', ok: 'true', note: '' },
  { id: '2', x: '2.5', city: 'Bergen', ok: 'false', note: 'a' },
  { id: '3', x: '', city: "O'Hara", ok: '1', note: 'b' },
  { id: '4', x: '-7', city: 'Oslo', ok: '0', note: '' },
];

const ids = (filter: string) =>
  rows.filter((r) => parseRowFilter(filter).matches((c) => r[c])).map((r) => Number(r.id));

test('comparisons, AND/OR/NOT, parentheses and precedence', () => {
  assert.deepEqual(ids('x > 3'), [1]);
  assert.deepEqual(ids('x >= -7 and x < 3'), [2, 4]);
  assert.deepEqual(ids("city = 'Oslo' OR x = 2.5"), [1, 2, 4]);
  assert.deepEqual(ids("city = 'Oslo' OR x = 2.5 AND ok = false"), [1, 2, 4]);
  assert.deepEqual(ids("(city = 'Oslo' OR x = 2.5) AND ok = false"), [2, 4]);
  assert.deepEqual(ids("NOT city = 'Oslo'"), [2, 3]);
  assert.deepEqual(ids("city <> 'Oslo'"), [2, 3]);
  assert.deepEqual(ids('x == 5'), [1]);
});

test('NULL semantics: empty cells match only IS NULL', () => {
  assert.deepEqual(ids('x != 5'), [2, 4]);
  assert.deepEqual(ids('x IS NULL'), [3]);
  assert.deepEqual(ids('note is not null'), [2, 3]);
});

test('IN lists, quoted strings and quoted column names', () => {
  assert.deepEqual(ids("city IN ('Bergen', 'O''Hara')"), [2, 3]);
  assert.deepEqual(ids("city NOT IN ('Oslo')"), [2, 3]);
  assert.deepEqual(ids('"x" < 0'), [4]);
  assert.deepEqual(ids('ok = true'), [1, 3]);
});

test('columns lists every column the filter reads', () => {
  assert.deepEqual(parseRowFilter("a > 1 AND (b = 'x' OR NOT c IS NULL)").columns, ['a', 'b', 'c']);
});

test('unparseable filters are 400s that say where', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /is empty/],
    ['x >', /expected a value .* the end of the filter/],
    ['x > abc', /expected a value .*'abc' at position 5/],
    ["city = 'Oslo", /unterminated string at position 8/],
    ['x > 1 y', /unexpected 'y' at position 7/],
    ['(x > 1', /expected '\)'/],
    ['x ~ 1', /unexpected character '~' at position 3/],
    ['AND x > 1', /expected a column name/],
    ["'x' > 1", /quote column names with "double quotes"/],
  ];
  for (const [filter, re] of cases) {
    assert.throws(
      () => parseRowFilter(filter),
      (e: unknown) => isAppError(e) && e.status === 400 && re.test(e.message),
      filter,
    );
  }
});

test('InfluxQL filters: a leading WHERE is dropped and a second statement is refused', () => {
  assert.equal(influxWhere(' WHERE "cellid" = \'a\''), '"cellid" = \'a\'');
  assert.equal(influxWhere("note = 'a;b' AND x =~ /c;d/"), "note = 'a;b' AND x =~ /c;d/");
  assert.throws(() => influxWhere('x > 1; DROP DATABASE telemetry'), /may not contain ";"/);
  assert.throws(() => influxWhere('x > 1 / 2; DROP DATABASE telemetry'), /may not contain ";"/);
});
