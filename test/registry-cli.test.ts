/**
 * `modelyard models …` against a live server: create, upload, publish, alias, list, download,
 * delete refused in use, and one-line errors. Calls run side by side where independent: each CLI
 * start loads TypeScript.
 */
import { CLI_BIN } from './helpers/cli.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './helpers/app.js';
import { unzip } from './helpers/unzip.js';

const CLI = CLI_BIN;

describe('models CLI', () => {
  let t: TestApp;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'modelyard-cli-'));

  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, '--url', url, ...args],
        { env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'buffer' },
        (err, stdout, stderr) =>
          resolve({
            code: err ? Number(err.code ?? 1) : 0,
            stdout: stdout.toString('latin1'),
            stderr: stderr.toString(),
          }),
      );
    });

  before(async () => {
    t = await createTestApp('sqlite');
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => t.close());

  test('create → upload → publish → alias → list → download; delete in use fails in one line', async () => {
    const created = await run(
      'models',
      'create',
      'churn',
      '--framework',
      'xgboost',
      '--tag',
      'tabular',
      '--metric',
      'auc/val=0.91',
      '--meta',
      'owner=ml',
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created churn\/1 \(id [0-9a-f]{32}\)\n$/);
    writeFileSync(join(dir, 'model.json'), '{"trees":[]}');
    const up = await run('models', 'upload', 'churn/1', join(dir, 'model.json'));
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /artifact version 1\.0\.0/);
    const [pub, badMetric] = await Promise.all([
      run('models', 'publish', 'churn/1'),
      run('models', 'create', 'x', '--metric', 'auc'),
    ]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(badMetric.code, 1);
    assert.equal(
      badMetric.stderr,
      "modelyard: --metric 'auc' must be metric[/variant]=number, e.g. auc/val=0.91\n",
    );
    const alias = await run('models', 'alias', 'churn/1', 'production');
    assert.equal(alias.stdout, 'churn@production -> version 1\n');
    const [list, zip, again] = await Promise.all([
      run('--json', 'models', 'list', '--tag', 'tabular', '--ready'),
      run('models', 'download', 'churn@production', '--zip', '-o', '-'),
      run('models', 'publish', 'churn/1'),
    ]);
    const items = JSON.parse(list.stdout) as Array<{
      name: string;
      aliases: string[];
      metrics: Array<{ value: number }>;
    }>;
    assert.deepEqual(
      items.map((i) => [i.name, i.aliases, i.metrics[0]!.value]),
      [['churn', ['production'], 0.91]],
    );
    const files = await unzip(Buffer.from(zip.stdout, 'latin1'));
    assert.equal(files.get('model.json')!.toString(), '{"trees":[]}');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /publish: [0-9a-f]{32} failed: .*already ready/);
    const id = (await t.services.registry.resolve('churn/1')).id;
    await t.services.registry.addReference(id, { kind: 'deployment', id: 'dep-9' });
    const [del, one, missing] = await Promise.all([
      run('models', 'delete', 'churn/1'),
      run('models', 'download', 'churn/1', 'model.json', '-o', join(dir, 'out.json')),
      run('models', 'show', 'nope/1'),
    ]);
    assert.equal(del.code, 1);
    assert.match(del.stderr, /in use by deployment dep-9/);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(readFileSync(join(dir, 'out.json'), 'utf8'), '{"trees":[]}');
    assert.equal(missing.stderr, "modelyard: error 404: model version 'nope/1' was not found\n");
  });
});
