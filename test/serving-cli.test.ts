/** `modelyard serve`, `score` and `perf-test` as real child processes. */
import { CLI_BIN } from './helpers/cli.js';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { BREAST_CSV, buildFixtures } from './fixtures/serving/models.js';
import type { ServingFixtures } from './fixtures/serving/models.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = [CLI_BIN];
let fx: ServingFixtures;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

before(() => {
  fx = buildFixtures();
});

test('serve listens on --address with --url-prefix and --name, stops on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    [...CLI, 'serve', fx.gbdt, '--address', '127.0.0.1:0', '--url-prefix', '/m', '--name', 'bc'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /at (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
  });
  try {
    assert.match(url, /\/m$/);
    const csv = readFileSync(BREAST_CSV, 'utf8').split('\n').slice(0, 3).join('\n');
    const res = await fetch(url + '/predict/', {
      method: 'POST',
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { predictions: unknown[] }).predictions.length, 2);
    assert.equal((await fetch(url + '/v2/models/bc/ready')).status, 200);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

test('serve of a missing model exits non-zero with a clear message', async () => {
  const r = await run(['serve', '/nonexistent.myd', '--address', '127.0.0.1:0']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot load model '\/nonexistent.myd'/);
});

test('score writes one row of class probabilities per input row; perf-test prints its table', async () => {
  const out = join(fx.dir, 'preds.csv');
  // Both children at once: CLI start-up dominates on a loaded machine.
  const [r, p] = await Promise.all([
    run(['score', fx.gbdt, '--input', BREAST_CSV, '--output', out]),
    run(['perf-test', fx.abc, '--samples', '10', '--iterations', '3']),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'benign,malignant');
  assert.equal(lines.length, 1 + readFileSync(BREAST_CSV, 'utf8').trim().split('\n').length - 1);
  for (const l of lines.slice(1)) {
    const [a, b] = l.split(',').map(Number);
    assert.ok(Math.abs(a! + b! - 1) < 1e-9);
  }
  assert.match(r.stderr, /wrote 569 predictions/);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /min s\s+avg s\s+max s\s+rss MB/);
  assert.match(p.stdout, /10 rows\s+10\s/);
});
