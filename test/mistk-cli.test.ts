/**
 * `modelyard instances …` against a live server: create, list, show (with the MISTK base URL),
 * delete, and a duplicate's one-line error with exit 1. Few calls: each one starts a process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from './helpers/app.js';
import { runCli } from './helpers/cli.js';

describe('instances CLI', () => {
  let t: TestApp;
  let url: string;
  const run = (...args: string[]) => runCli(url, ...args);

  before(async () => {
    t = await createTestApp('sqlite');
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await t.close();
  });

  test('create, list, show, delete; a duplicate is one line with exit 1', async () => {
    const created = await run('instances', 'create', 'cli-one');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /state\s+started/);
    assert.match(created.stdout, new RegExp(`mistkUrl\\s+${url}/model-instances/cli-one/v1/mistk`));
    const [dup, list, shown] = await Promise.all([
      run('instances', 'create', 'cli-one'),
      run('instances', 'list', '--json'),
      run('instances', 'show', 'cli-one'),
    ]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^modelyard: error 409: model instance 'cli-one' already exists\n$/);
    assert.equal(list.code, 0, list.stderr);
    const items = (JSON.parse(list.stdout) as { items: Array<{ objectInfo: { name: string } }> }).items;
    assert.deepEqual(
      items.map((i) => i.objectInfo.name),
      ['cli-one'],
    );
    assert.match(shown.stdout, /resourceVersion\s+1/);
    const deleted = await run('instances', 'delete', 'cli-one');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, 'deleted cli-one\n');
    const gone = await run('instances', 'show', 'cli-one');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /404/);
  });
});
