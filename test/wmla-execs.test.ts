/**
 * WMLA execs on every dialect: a multipart `file` + `args` exec runs as user code; list, get, log,
 * result zip, stop, delete; framework lists; bad args.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectsUnderTest } from './helpers/db.js';
import { unzip } from './helpers/unzip.js';
import { createRunsTestApp, type Json, type RunsTestApp } from './runs-helpers.js';

const BASE = '/platform/rest/deeplearning/v1';

function execBody(fileName: string, content: string | Buffer, args?: string) {
  const b = '----wmla' + Math.random().toString(16).slice(2);
  let head = '';
  if (args !== undefined) head += `--${b}\r\nContent-Disposition: form-data; name="args"\r\n\r\n${args}\r\n`;
  head += `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  // Binary-safe: a tar upload must arrive byte for byte.
  const payload = Buffer.concat([Buffer.from(head), Buffer.from(content), Buffer.from(`\r\n--${b}--\r\n`)]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

async function until(t: RunsTestApp, id: string, states: string[]): Promise<Json> {
  const end = Date.now() + 60_000;
  for (;;) {
    const r = (await t.app.inject({ url: `${BASE}/execs/${id}` })).json() as Json;
    if (states.includes(r.state as string)) return r;
    if (Date.now() > end) throw new Error(`exec ${id} still ${r.state} after 60 s`);
    await sleep(50);
  }
}

for (const dialect of dialectsUnderTest()) {
  describe(`WMLA execs (${dialect})`, () => {
    let t: RunsTestApp;
    before(async () => {
      t = await createRunsTestApp(dialect);
    });
    after(() => t.close());

    test('exec: 201, FINISHED, log, result zip with the model; list; frameworks', async () => {
      const script = [
        'echo "epochs=$1"',
        'echo \'[{"accuracy": 0.5}, {"accuracy": 0.8}]\' > "$MODELYARD_OUTPUT_DIR/val_dict_list.json"',
        'echo weights > "$MODELYARD_OUTPUT_DIR/model.pt"',
      ].join('\n');
      const res = await t.app.inject({
        method: 'POST',
        url: `${BASE}/execs?sigName=sig1&args=${encodeURIComponent('--exec-start PyTorch --model-main main.sh 3')}`,
        ...execBody('main.sh', script),
      });
      assert.equal(res.statusCode, 201, res.body);
      const id = (res.json() as Json).id as string;
      const done = await until(t, id, ['FINISHED', 'FAILED', 'KILLED']);
      assert.equal(done.state, 'FINISHED', JSON.stringify(done));
      assert.equal(done.framework, 'PyTorch');
      assert.equal(done.sigId, 'sig1');
      assert.equal(done.submissionId, id);
      const log = await t.app.inject({ url: `${BASE}/execs/${id}/log` });
      assert.match(log.body, /epochs=3/);
      const result = await t.app.inject({ url: `${BASE}/execs/${id}/result` });
      assert.equal(result.statusCode, 200, result.body);
      const files = await unzip(result.rawPayload);
      assert.equal(files.get('model.pt')?.toString().trim(), 'weights');
      const list = (await t.app.inject({ url: `${BASE}/execs` })).json() as Json[];
      assert.ok(list.some((e) => e.id === id));
      const fw = (await t.app.inject({ url: `${BASE}/execs/frameworks` })).json() as Json[];
      const pytorch = fw.find((f) => f.name === 'PyTorch');
      assert.deepEqual(pytorch?.desc, ['PyTorch (local process)']);
      assert.equal(pytorch?.frameworkVersion, '');
      assert.equal((await t.app.inject({ url: `${BASE}/frameworks` })).statusCode, 200);
    });

    test('stop a running exec (KILLED), delete 204, unknown 404, bad args 400', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: `${BASE}/execs`,
        ...execBody('main.sh', 'echo started\nsleep 120', '--exec-start Shell --model-main main.sh'),
      });
      assert.equal(res.statusCode, 201, res.body);
      const id = (res.json() as Json).id as string;
      await until(t, id, ['RUNNING']);
      const stop = await t.app.inject({ method: 'POST', url: `${BASE}/execs/${id}/stop` });
      assert.equal(stop.statusCode, 204, stop.body);
      assert.equal((await until(t, id, ['KILLED', 'FAILED', 'FINISHED'])).state, 'KILLED');
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${BASE}/execs/${id}` })).statusCode, 204);
      const missing = await t.app.inject({ url: `${BASE}/execs/nope` });
      assert.equal(missing.statusCode, 404);
      assert.ok((missing.json() as Json).message);
      const bad = await t.app.inject({
        method: 'POST',
        url: `${BASE}/execs`,
        ...execBody('main.py', 'print(1)', '--model-main main.py'),
      });
      assert.equal(bad.statusCode, 400);
      assert.match((bad.json() as Json).message, /--exec-start/);
    });

    test('a <dir>.modelDir.tar upload: the directory is the code, its --model-main runs inside it', async () => {
      const root = mkdtempSync(join(tmpdir(), 'wmla-tar-'));
      mkdirSync(join(root, 'mnist', 'lib'), { recursive: true });
      writeFileSync(join(root, 'mnist', 'lib', 'helper.sh'), 'echo "helper says $1"\n');
      writeFileSync(join(root, 'mnist', 'main.sh'), 'sh lib/helper.sh "$1"\n');
      execFileSync('tar', ['-cf', join(root, 'mnist.modelDir.tar'), '-C', root, 'mnist']);
      const res = await t.app.inject({
        method: 'POST',
        url: `${BASE}/execs?args=${encodeURIComponent('--exec-start Shell --model-main main.sh hello')}`,
        ...execBody('mnist.modelDir.tar', readFileSync(join(root, 'mnist.modelDir.tar'))),
      });
      assert.equal(res.statusCode, 201, res.body);
      const id = (res.json() as Json).id as string;
      const done = await until(t, id, ['FINISHED', 'FAILED', 'KILLED']);
      assert.equal(done.state, 'FINISHED', JSON.stringify(done));
      assert.match((await t.app.inject({ url: `${BASE}/execs/${id}/log` })).body, /helper says hello/);
    });

    test('delete: a running exec is stopped and gone for WMLA (404, unlisted); the run stays; DELETE /execs takes all', async () => {
      const start = async () => {
        const res = await t.app.inject({
          method: 'POST',
          url: `${BASE}/execs`,
          ...execBody('main.sh', 'sleep 120', '--exec-start Shell --model-main main.sh'),
        });
        assert.equal(res.statusCode, 201, res.body);
        return (res.json() as Json).id as string;
      };
      const one = await start();
      await until(t, one, ['RUNNING']);
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${BASE}/execs/${one}` })).statusCode, 204);
      assert.equal((await t.app.inject({ url: `${BASE}/execs/${one}` })).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${BASE}/execs/${one}` })).statusCode, 404);
      const listed = (await t.app.inject({ url: `${BASE}/execs` })).json() as Json[];
      assert.ok(!listed.some((e) => e.id === one));
      const run = (await t.app.inject({ url: `/api/v1/runs/${one}` })).json() as Json;
      assert.ok(['cancelled', 'running'].includes(run.state as string), run.state);

      const two = [await start(), await start()];
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${BASE}/execs` })).statusCode, 204);
      assert.deepEqual((await t.app.inject({ url: `${BASE}/execs` })).json(), []);
      for (const id of two)
        assert.equal((await t.app.inject({ url: `${BASE}/execs/${id}` })).statusCode, 404);
    });
  });
}
