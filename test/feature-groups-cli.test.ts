/**
 * `modelyard feature-groups …` against a live server: create, extract (--json), and a bad
 * input's one-line error with a non-zero exit. Few calls: each one starts a process.
 */
import { runCli } from './helpers/cli.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from './helpers/app.js';

describe('feature-groups CLI', () => {
  let t: TestApp;
  let url: string;

  const run = (...args: string[]) => runCli(url, ...args);

  before(async () => {
    t = await createTestApp('sqlite');
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/v1/datasets?name=shop&target=bought',
      headers: { 'content-type': 'text/csv' },
      payload: 'age,visits,country,bought\n31,4,no,yes\n45,1,se,no\n22,9,no,yes\n60,2,dk,no\n',
    });
    assert.equal(up.statusCode, 201, up.body);
  });
  after(async () => {
    await t.close();
  });

  test('create and extract; a server error is one line with exit 1', async () => {
    // Each CLI start costs a TypeScript load: independent calls run side by side.
    const [created, bad] = await Promise.all([
      run('feature-groups', 'create', 'shop_fg', '--dataset', 'shop@1', '--features', 'visits,age'),
      run('feature-groups', 'create', 'shop_bad', '--dataset', 'shop', '--features', 'visits,height'),
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /featureList\s+visits,age/);
    assert.doesNotMatch(created.stdout, /^host/m, 'unused fields are not printed');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "modelyard: error 400: dataset 'shop' version 1 has no column(s) 'height'\n");

    const extracted = await run(
      '--json',
      'fg',
      'extract',
      'shop_fg',
      '--filter',
      "country = 'no' OR age > 50",
    );
    assert.equal(extracted.code, 0, extracted.stderr);
    const v = JSON.parse(extracted.stdout) as {
      name: string;
      version: number;
      rowCount: number;
      target: string;
    };
    assert.deepEqual([v.name, v.version, v.rowCount, v.target], ['shop_fg', 1, 3, 'bought']);
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/datasets/shop_fg/versions/1/download' });
    assert.equal(csv.body, 'visits,age,bought\n4,31,yes\n9,22,yes\n2,60,no\n');
  });
});
