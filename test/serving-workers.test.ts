/** `modelyard serve --workers 2`: several processes on one port, supervised by the primary. */
import { cliArgs, runCli } from './helpers/cli.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { buildFixtures } from './fixtures/serving/models.js';
import type { ServingFixtures } from './fixtures/serving/models.js';

let fx: ServingFixtures;
let child: ChildProcess;
let stderr = '';
let url = '';

/** One request on a fresh connection (so the cluster hands each to the next worker). */
function call(
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
): Promise<{ status: number; worker: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url + path,
      { method, agent: false, headers: body ? { 'content-type': contentType } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, worker: Number(res.headers['x-modelyard-worker']), body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Worker pids seen answering /ping/ until `want` distinct ones (fresh connections each time). */
async function workersSeen(want: (pids: Set<number>) => boolean): Promise<Set<number>> {
  const pids = new Set<number>();
  await until('workers answering', async () => {
    const r = await call('GET', '/ping/');
    assert.equal(r.status, 200);
    pids.add(r.worker);
    return want(pids);
  });
  return pids;
}

before(async () => {
  fx = buildFixtures();
  child = spawn(
    process.execPath,
    cliArgs('serve', fx.abc, '--address', '127.0.0.1:0', '--max-workers', '2'),
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await until('the address', () => {
    if (child.exitCode !== null) throw new Error(`serve exited: ${stderr}`);
    url = /at (http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
    return url !== '';
  });
});

after(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

test('two worker processes answer DRUM and KServe V2 on one port', async () => {
  assert.match(stderr, /\(2 worker processes, primary pid \d+\)/);
  const pids = await workersSeen((p) => p.size >= 2);
  assert.equal(pids.size, 2);
  assert.ok(!pids.has(child.pid!), 'the primary answers no request');
  const csv = 'a,b,c\n4,1,0\n-4,0,2\n';
  for (let i = 0; i < 4; i++) {
    const drum = await call('POST', '/predict/', csv, 'text/csv');
    assert.equal(drum.status, 200, drum.body);
    const preds = (JSON.parse(drum.body) as { predictions: Array<Record<string, number>> }).predictions;
    assert.ok(preds[0]!.pos! > 0.5 && preds[1]!.pos! < 0.5, drum.body);
    const v2 = await call(
      'POST',
      '/v2/models/abc/infer',
      JSON.stringify({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP64', data: [4, 1, 0, -4, 0, 2] }] }),
    );
    assert.equal(v2.status, 200, v2.body);
    const out = JSON.parse(v2.body) as {
      model_name: string;
      outputs: Array<{ name: string; data: unknown[] }>;
    };
    assert.equal(out.model_name, 'abc');
    assert.deepEqual(out.outputs.find((o) => o.name === 'predict')?.data, ['pos', 'neg']);
  }
});

test('a worker killed with SIGKILL is replaced and requests keep succeeding', async () => {
  const before = await workersSeen((p) => p.size >= 2);
  const [victim, survivor] = [...before];
  process.kill(victim!, 'SIGKILL');
  await until('the replacement', () => /starting a replacement/.test(stderr));
  for (let i = 0; i < 10; i++) assert.equal((await call('GET', '/ping/')).status, 200);
  const now = await workersSeen((p) => p.size >= 2 && !p.has(victim!));
  assert.ok(now.has(survivor!));
  assert.ok(!alive(victim!));
});

test('SIGTERM to the primary stops every worker', async () => {
  const pids = await workersSeen((p) => p.size >= 2);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  await until('the workers to exit', () => [...pids].every((p) => !alive(p)), 30_000);
});

test('a model that does not load stops the server with one message; bad --workers is a usage error', async () => {
  const [missing, bad] = await Promise.all([
    runCli('http://127.0.0.1:9', 'serve', '/nonexistent.myd', '--address', '127.0.0.1:0', '--workers', '2'),
    runCli('http://127.0.0.1:9', 'serve', fx.abc, '--address', '127.0.0.1:0', '--workers', 'many'),
  ]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.match(/cannot load model '\/nonexistent.myd'/g)?.length, 1, missing.stderr);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--workers must be a positive integer, 0 or auto \(got 'many'\)/);
});
