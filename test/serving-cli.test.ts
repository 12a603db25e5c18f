/** `modelyard serve`, `score` and `perf-test` as real child processes. */
import { CLI_BIN } from './helpers/cli.js';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { BREAST_CSV, buildFixtures } from './fixtures/serving/models.js';
import type { ServingFixtures } from './fixtures/serving/models.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = [CLI_BIN];
let fx: ServingFixtures;
const DRUM_ENV = new Set(
  'ADDRESS CODE_DIR URL_PREFIX MAX_WORKERS TARGET_TYPE POSITIVE_CLASS_LABEL NEGATIVE_CLASS_LABEL CLASS_LABELS CLASS_LABELS_FILE'.split(
    ' ',
  ),
);

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // DRUM's environment twins from the shell running the tests would change what is tested.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !DRUM_ENV.has(k)));
    const opts = { cwd: ROOT, env: { ...inherited, ...env } };
    execFile(process.execPath, [...CLI, ...args], opts, (err, stdout, stderr) => {
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

test('serve of a missing model exits non-zero with a clear message; ADDRESS stands for --address', async () => {
  const [r, env, none] = await Promise.all([
    run(['serve', '/nonexistent.myd', '--address', '127.0.0.1:0']),
    run(['serve', '/nonexistent.myd'], { ADDRESS: '127.0.0.1:0' }),
    run(['serve', '/nonexistent.myd']),
  ]);
  for (const x of [r, env]) {
    assert.notEqual(x.code, 0);
    assert.match(x.stderr, /cannot load model '\/nonexistent.myd'/);
  }
  assert.match(none.stderr, /--address/);
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

test("DRUM's option forms: class labels space-separated, a,b,c or in a file, --code-dir, and the environment twins", async () => {
  const iris = join(ROOT, 'test/fixtures/datasets/iris.csv');
  const order = ['virginica', 'setosa', 'versicolor'];
  const file = join(fx.dir, 'labels.txt');
  writeFileSync(file, order.join('\n') + '\n');
  const header = (name: string) => readFileSync(join(fx.dir, name), 'utf8').split('\n')[0];
  const score = (name: string, flags: string[], env: Record<string, string> = {}) =>
    run(['score', fx.iris, '--input', iris, '--output', join(fx.dir, name), ...flags], env);
  const results = await Promise.all([
    score('space.csv', ['--class-labels', ...order]),
    score('comma.csv', ['--class-labels', order.join(',')]),
    score('file.csv', ['--class-labels-file', file]),
    score('env.csv', [], { CLASS_LABELS: order.join(' ') }),
    score('envfile.csv', [], { CLASS_LABELS_FILE: file, TARGET_TYPE: 'multiclass' }),
    score('both.csv', ['--class-labels', ...order], { CLASS_LABELS_FILE: file }),
    score('badtype.csv', [], { TARGET_TYPE: 'clustering' }),
  ]);
  // The model as DRUM names it: --code-dir or CODE_DIR instead of the argument.
  const asDrum = (name: string, flags: string[], env: Record<string, string> = {}) =>
    run(['score', '--input', iris, '--output', join(fx.dir, name), ...flags], env);
  const drum = await Promise.all([
    asDrum('codedir.csv', ['--code-dir', fx.iris, '--class-labels', ...order]),
    asDrum('codedirenv.csv', ['--class-labels', ...order], { CODE_DIR: fx.iris }),
    asDrum('nomodel.csv', []),
    run(['score', fx.gbdt, '--code-dir', fx.iris, '--input', iris, '--output', join(fx.dir, 'two.csv')]),
  ]);
  for (const r of drum.slice(0, 2)) assert.equal(r.code, 0, r.stderr);
  for (const name of ['codedir.csv', 'codedirenv.csv']) assert.equal(header(name), order.join(','), name);
  assert.equal(drum[2]!.code, 2);
  assert.match(drum[2]!.stderr, /name the model/);
  assert.equal(drum[3]!.code, 2);
  assert.match(drum[3]!.stderr, /give the model once/);
  for (const r of results.slice(0, 5)) assert.equal(r.code, 0, r.stderr);
  for (const name of ['space.csv', 'comma.csv', 'file.csv', 'env.csv', 'envfile.csv'])
    assert.equal(header(name), order.join(','), name);
  assert.equal(results[5]!.code, 2);
  assert.match(results[5]!.stderr, /not both/);
  assert.equal(results[6]!.code, 2);
  assert.match(results[6]!.stderr, /--target-type must be one of .* \(got 'clustering'\)/);
});
