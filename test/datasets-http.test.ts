/**
 * Datasets over a real listening server: streamed fetch uploads (good and bad) and the
 * `modelyard datasets …` CLI run as a child process.
 */
import { cliArgs } from './helpers/cli.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { dialectsUnderTest } from './helpers/db.js';
import { createTestApp, type TestApp } from './helpers/app.js';

const ROOT = join(import.meta.dirname, '..');
const BREAST = join(ROOT, 'test/fixtures/datasets/breast_cancer.csv');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** ~`rows` generated CSV lines, produced lazily in chunks (never one big buffer). */
function* csvChunks(rows: number, badAtEnd: boolean): Generator<Buffer> {
  yield Buffer.from('id,x,y,label\n');
  for (let start = 0; start < rows; start += 10_000) {
    let s = '';
    for (let i = start; i < Math.min(rows, start + 10_000); i++)
      s += `${i},${(i * 0.37) % 11},${i % 13},c${i % 3}\n`;
    yield Buffer.from(s);
  }
  if (badAtEnd) yield Buffer.from('1,2\n');
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      cliArgs(...args),
      { cwd: ROOT, env: { ...process.env, MODELYARD_TOKEN: '' } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolvePromise({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

for (const dialect of dialectsUnderTest()) {
  describe(`datasets over HTTP and CLI (${dialect})`, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(dialect);
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      await t.close();
    });

    test('fetch streams a multi-megabyte CSV to a listening server', async () => {
      const hash = createHash('sha256');
      let size = 0;
      const body = Readable.from(csvChunks(200_000, false)).on('data', (c: Buffer) => {
        hash.update(c);
        size += c.length;
      });
      const res = await fetch(`${url}/api/v1/datasets?name=streamed&target=label&stratify=true&seed=5`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: Readable.toWeb(body) as unknown as RequestInit['body'],
        duplex: 'half',
      } as RequestInit);
      assert.equal(res.status, 201, await res.clone().text());
      const v = (await res.json()) as { rowCount: number; sha256: string; sizeBytes: number; task: string };
      assert.equal(v.rowCount, 200_000);
      assert.equal(v.sizeBytes, size);
      assert.equal(v.sha256, hash.digest('hex'));
      assert.equal(v.task, 'multiclass');
    });

    test('a bad streamed upload gets its 400 over HTTP and stores nothing', async () => {
      const res = await fetch(`${url}/api/v1/datasets?name=streamed-bad`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: Readable.toWeb(Readable.from(csvChunks(100_000, true))) as unknown as RequestInit['body'],
        duplex: 'half',
      } as RequestInit);
      assert.equal(res.status, 400);
      const p = (await res.json()) as { reason: string; detail: string };
      assert.equal(p.reason, 'csv_ragged_row');
      assert.match(p.detail, /line 100002/);
      assert.equal((await fetch(`${url}/api/v1/datasets/streamed-bad`)).status, 404);
    });

    // The CLI does not depend on the store's dialect, and each run pays the CLI's start-up: once is enough.
    const cliTest = dialect === dialectsUnderTest()[0] ? test : test.skip;
    cliTest(
      'CLI: upload, show, rows, download, list, delete, and one-line errors with non-zero exits',
      async () => {
        const g = ['--url', url];
        const up = await cli([
          ...g,
          'datasets',
          'upload',
          BREAST,
          '--name',
          'bc',
          '--target',
          'target',
          '--stratify',
          '--seed',
          '1',
        ]);
        assert.equal(up.code, 0, up.stderr);
        assert.match(up.stdout, /bc@1/);
        assert.match(up.stdout, /binary/);
        assert.match(up.stdout, /train 456 \/ validation 57 \/ test 56/);
        assert.equal(up.stderr, '', 'no progress bar when stderr is not a TTY');

        const show = await cli([...g, 'datasets', 'show', 'bc@1']);
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /COLUMN\s+TYPE\s+MISSING\s+MIN\s+MAX\s+MEAN\s+STD/);
        assert.match(show.stdout, /mean radius\s+float\s+0\s+6\.9810\s+28\.1100/);
        assert.match(show.stdout, /target\s+category\s+0.*benign \(357\), malignant \(212\)/);

        const rows = await cli([
          ...g,
          '--json',
          'datasets',
          'rows',
          'bc',
          '--split',
          'test',
          '--length',
          '3',
        ]);
        assert.equal(rows.code, 0, rows.stderr);
        const page = JSON.parse(rows.stdout) as { rows: string[][]; total: number };
        assert.equal(page.rows.length, 3);
        assert.equal(page.total, 56);

        const out = join(mkdtempSync(join(tmpdir(), 'modelyard-cli-')), 'bc.csv');
        const dl = await cli([...g, 'datasets', 'download', 'bc@latest', '-o', out]);
        assert.equal(dl.code, 0, dl.stderr);
        assert.equal(sha(readFileSync(out)), sha(readFileSync(BREAST)));

        const list = await cli([...g, '--json', 'datasets', 'list', '--name', 'b']);
        assert.deepEqual(
          (JSON.parse(list.stdout) as { items: Array<{ name: string }> }).items.map((d) => d.name),
          ['bc'],
        );

        const bad = join(mkdtempSync(join(tmpdir(), 'modelyard-cli-')), 'bad.csv');
        writeFileSync(bad, 'a,b\n1,2\n3\n');
        const failed = await cli([...g, 'datasets', 'upload', bad]);
        assert.equal(failed.code, 1);
        assert.equal(failed.stderr.trim().split('\n').length, 1);
        assert.match(failed.stderr, /error 400: line 3: 1 field, but the header has 2/);

        const noYes = await cli([...g, 'datasets', 'delete', 'bc']);
        assert.notEqual(noYes.code, 0);
        assert.match(noYes.stderr, /without --yes/);
        const del = await cli([...g, 'datasets', 'delete', 'bc', '--yes']);
        assert.equal(del.code, 0, del.stderr);
      },
    );
  });
}
