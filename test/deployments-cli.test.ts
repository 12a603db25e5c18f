/** `modelyard deployments …` and `modelyard serve name@alias` against a live server, as child processes. */
import { CLI_BIN, runCli } from './helpers/cli.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createTestApp, type TestApp } from './helpers/app.js';
import { registerLinear } from './helpers/deployments.js';

const CLI = CLI_BIN;

describe('deployments CLI', () => {
  let t: TestApp;
  let url: string;
  const run = (...args: string[]) => runCli(url, ...args);

  before(async () => {
    t = await createTestApp('sqlite');
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const v1 = await registerLinear(t.services, 'lin', 1);
    await registerLinear(t.services, 'lin', 10);
    await t.services.registry.setAlias(v1, 'production');
  });
  after(() => t.close());

  test('create, list, show, update canary, stop/start, logs, delete; one-line errors', async () => {
    const c = await run('deployments', 'create', 'web', 'lin@production', '--replicas', '2');
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /status\s+running/);
    assert.match(c.stdout, /serving\s+lin\/1/);
    const predict = await fetch(`${url}/deployments/web/predict/`, {
      method: 'POST',
      body: 'a,b\n1,1\n',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(predict.status, 200);
    const [list, show, upd, bad] = await Promise.all([
      run('deployments', 'list'),
      run('--json', 'deployments', 'show', 'web'),
      run('deployments', 'update', 'web', '--canary', 'lin/2', '--canary-weight', '50'),
      run('deployments', 'create', 'bad', 'lin/1', '--replicas', '0'),
    ]);
    assert.match(list.stdout, /^web\s+running\s+lin@production\s+lin\/1/m);
    assert.equal(JSON.parse(show.stdout).replicas, 2);
    assert.equal(upd.code, 0, upd.stderr);
    assert.match(upd.stdout, /canary\s+lin\/2 \(50%\)/);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /error 400: .*replicas/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);

    assert.match((await run('deployments', 'stop', 'web')).stdout, /status\s+stopped/);
    assert.equal((await fetch(`${url}/deployments/web/ping/`)).status, 503);
    assert.match((await run('deployments', 'start', 'web')).stdout, /status\s+running/);
    const [logs, missing] = await Promise.all([
      run('deployments', 'logs', 'web'),
      run('deployments', 'show', 'nope'),
    ]);
    assert.match(logs.stdout, /stopped/);
    assert.match(missing.stderr, /error 404/);
    assert.equal((await run('deployments', 'delete', 'web')).code, 0);
  });

  test('serve name@alias loads the version from the registry of --url', async () => {
    const child = spawn(
      process.execPath,
      [CLI, '--url', url, 'serve', 'lin@production', '--address', '127.0.0.1:0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const served = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /at (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    try {
      assert.match(stderr, /serving 'lin'/);
      const res = await fetch(`${served}/predict/`, {
        method: 'POST',
        body: 'a,b\n1,1\n',
        headers: { 'content-type': 'text/csv' },
      });
      const v = ((await res.json()) as { predictions: number[] }).predictions[0]!;
      assert.ok(Math.abs(v - 2) < 0.1, String(v));
      assert.equal((await fetch(`${served}/v2/models/lin/ready`)).status, 200);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    const missing = await run('serve', 'nope@production', '--address', '127.0.0.1:0');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /cannot load model 'nope@production'/);
  });
});
