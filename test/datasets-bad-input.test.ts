/**
 * Every bad upload answers 400 problem+json naming the line or field, and leaves no dataset
 * rows and no blobs behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

interface Case {
  title: string;
  body: string | Buffer;
  query?: Record<string, string>;
  reason: string;
  field: string;
  detail: RegExp;
}

const big = (rows: number, tail: string) =>
  'a,b,c\n' + Array.from({ length: rows }, (_, i) => `${i},${i * 2},x${i % 7}`).join('\n') + '\n' + tail;

const CASES: Case[] = [
  {
    title: 'ragged row',
    body: 'a,b\n1,2\n3\n4,5\n',
    reason: 'csv_ragged_row',
    field: 'file',
    detail: /line 3: 1 field, but the header has 2/,
  },
  {
    title: 'ragged row far into a multi-chunk upload',
    body: big(200_000, '1,2,3,4\n'),
    reason: 'csv_ragged_row',
    field: 'file',
    detail: /line 200002: 4 fields/,
  },
  {
    title: 'invalid UTF-8',
    body: Buffer.concat([Buffer.from('a,b\n1,2\n'), Buffer.from([0xff]), Buffer.from(',3\n')]),
    reason: 'csv_invalid_utf8',
    field: 'file',
    detail: /line 3: invalid UTF-8 at byte offset 8/,
  },
  { title: 'empty file', body: '', reason: 'csv_empty', field: 'file', detail: /empty/ },
  { title: 'header only', body: 'a,b,c\n', reason: 'csv_no_rows', field: 'file', detail: /no data rows/ },
  {
    title: 'duplicate column',
    body: 'a,b,a\n1,2,3\n',
    reason: 'csv_duplicate_column',
    field: 'file',
    detail: /'a' appears more than once/,
  },
  {
    title: 'empty column name',
    body: 'a,,c\n1,2,3\n',
    reason: 'csv_empty_column_name',
    field: 'file',
    detail: /column 2 has an empty name/,
  },
  {
    title: 'unterminated quote',
    body: 'a,b\n1,2\n3,"oops\n4,5\n',
    reason: 'csv_unterminated_quote',
    field: 'file',
    detail: /line 3/,
  },
  {
    title: 'text after closing quote',
    body: 'a,b\n1,"x"y\n',
    reason: 'csv_malformed',
    field: 'file',
    detail: /line 2/,
  },
  {
    title: 'unknown target column',
    body: 'a,b\n1,2\n',
    query: { target: 'label' },
    reason: 'unknown_target',
    field: 'target',
    detail: /'label' is not in the header \(columns: a, b\)/,
  },
  {
    title: 'single-valued target',
    body: 'a,b\n1,x\n2,x\n',
    query: { target: 'b' },
    reason: 'invalid_target',
    field: 'target',
    detail: /single value/,
  },
  {
    title: 'split not summing to 100',
    body: 'a,b\n1,2\n',
    query: { train: '50', validation: '30', test: '30' },
    reason: 'invalid_split',
    field: 'train',
    detail: /sum to 100/,
  },
  {
    title: 'negative split',
    body: 'a,b\n1,2\n',
    query: { test: '-10', train: '100', validation: '10' },
    reason: 'invalid_split',
    field: 'test',
    detail: /0 to 100/,
  },
  {
    title: 'stratify on a regression target',
    body: 'a,y\n' + Array.from({ length: 50 }, (_, i) => `${i},${i * 1.5}`).join('\n'),
    query: { target: 'y', stratify: 'true' },
    reason: 'invalid_split',
    field: 'stratify',
    detail: /classification target/,
  },
  {
    title: 'bad name',
    body: 'a,b\n1,2\n',
    query: { name: 'bad name!' },
    reason: 'invalid_name',
    field: 'name',
    detail: /invalid/,
  },
  {
    title: 'missing name',
    body: 'a,b\n1,2\n',
    query: { name: '' },
    reason: 'validation_failed',
    field: 'name',
    detail: /required/,
  },
  {
    title: 'bad tag',
    body: 'a,b\n1,2\n',
    query: { tags: 'ok,not ok' },
    reason: 'invalid_tag',
    field: 'tags',
    detail: /not ok/,
  },
];

for (const dialect of dialectsUnderTest()) {
  describe(`datasets bad input (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(dialect);
    });
    after(async () => {
      await t.close();
    });

    for (const c of CASES) {
      test(`${c.title} → 400 ${c.reason}, nothing stored`, async () => {
        const query = new URLSearchParams({ name: 'bad', ...c.query });
        if (query.get('name') === '') query.delete('name');
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/datasets?${query}`,
          headers: { 'content-type': 'text/csv' },
          payload: c.body,
        });
        assert.equal(res.statusCode, 400, res.body);
        assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
        const p = res.json() as {
          reason: string;
          detail: string;
          errors: Array<{ field: string; message: string }>;
        };
        assert.equal(p.reason, c.reason);
        assert.match(p.detail, c.detail);
        assert.equal(p.errors[0]?.field, c.field);
        const list = (await t.app.inject({ url: '/api/v1/datasets' })).json() as { total: number };
        assert.equal(list.total, 0);
        assert.deepEqual(await t.deps.blobs.list(''), []);
      });
    }

    test('a bad upload under an existing name adds no version', async () => {
      const ok = await t.app.inject({
        method: 'POST',
        url: '/api/v1/datasets?name=keep',
        headers: { 'content-type': 'text/csv' },
        payload: 'a,b\n1,2\n',
      });
      assert.equal(ok.statusCode, 201);
      const blobsBefore = await t.deps.blobs.list('');
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/datasets?name=keep',
        headers: { 'content-type': 'text/csv' },
        payload: 'a,b\n1,2,3\n',
      });
      assert.equal(bad.statusCode, 400);
      const versions = (await t.app.inject({ url: '/api/v1/datasets/keep/versions' })).json() as {
        items: unknown[];
      };
      assert.equal(versions.items.length, 1);
      assert.deepEqual(await t.deps.blobs.list(''), blobsBefore);
      const zipUnderCsv = await t.app.inject({
        method: 'POST',
        url: '/api/v1/datasets?name=keep',
        headers: { 'content-type': 'application/zip' },
        payload: Buffer.from('PK'),
      });
      assert.equal(zipUnderCsv.statusCode, 409);
      assert.equal(zipUnderCsv.json().reason, 'dataset_kind_mismatch');
      await t.app.inject({ method: 'DELETE', url: '/api/v1/datasets/keep' });
      assert.deepEqual(await t.deps.blobs.list(''), []);
    });

    test('an upload over the size limit is 413 and leaves nothing', async () => {
      const small = await createTestApp(dialect, { uploadLimitBytes: 1024 });
      try {
        const res = await small.app.inject({
          method: 'POST',
          url: '/api/v1/datasets?name=huge',
          headers: { 'content-type': 'text/csv' },
          payload: big(1000, ''),
        });
        assert.equal(res.statusCode, 413, res.body);
        assert.equal(res.json().reason, 'upload_too_large');
        assert.deepEqual(await small.deps.blobs.list(''), []);
      } finally {
        await small.close();
      }
    });
  });
}
