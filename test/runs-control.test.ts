/**
 * Run control on every dialect: cancel kills the process tree, pause/resume (SIGSTOP/SIGCONT and the
 * built-in checkpoint), timeout, retries with backoff, cancel while queued, bad inputs and auth.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectsUnderTest } from './helpers/db.js';
import {
  alive,
  createRunsTestApp,
  submit,
  submitScript,
  uploadCode,
  uploadDataset,
  waitRun,
  type Json,
  type RunsTestApp,
} from './runs-helpers.js';

const breast = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'));

async function logLines(t: RunsTestApp, id: string): Promise<Json[]> {
  return ((await t.app.inject({ url: `/api/v1/runs/${id}/logs` })).json() as Json).lines as Json[];
}

async function waitLog(t: RunsTestApp, id: string, re: RegExp): Promise<Json> {
  for (let i = 0; i < 400; i++) {
    const hit = (await logLines(t, id)).find((l) => re.test(l.text));
    if (hit) return hit;
    await sleep(25);
  }
  throw new Error(`no log line matching ${re}`);
}

for (const dialect of dialectsUnderTest()) {
  describe(`run control (${dialect})`, () => {
    let t: RunsTestApp;
    before(async () => {
      // The early-pause test needs the training thread's start-up between "running" and round 1.
      t = await createRunsTestApp(dialect, {}, { freshTaskThreads: true });
      await uploadDataset(t, 'bc', breast, 'target');
    });
    after(async () => {
      await t.close();
    });

    test('cancel kills the whole process tree and ends cancelled', async () => {
      const id = await submitScript(t, 'sleep 300 &\necho "child $!"\nsleep 300\n');
      const line = await waitLog(t, id, /^child \d+$/);
      const child = Number(line.text.split(' ')[1]);
      assert.ok(alive(child));
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/cancel` });
      assert.equal(res.statusCode, 202);
      const run = await waitRun(t, id);
      assert.equal(run.state, 'cancelled');
      assert.equal(run.reason, 'cancelled_by_user');
      assert.ok(run.endedAt);
      for (let i = 0; i < 40 && alive(child); i++) await sleep(50);
      assert.equal(alive(child), false, 'the background child was killed');
      const again = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/cancel` });
      assert.equal(again.statusCode, 409);
      const steps = (await t.app.inject({ url: `/api/v1/runs/${id}/steps` })).json() as Json;
      assert.equal(steps.TRAINING, 'FAILED');
    });

    test('pause stops the program (no output while paused) and resume continues it', async () => {
      const id = await submitScript(t, 'i=0\nwhile true; do i=$((i+1)); echo "tick $i"; sleep 0.05; done\n');
      await waitLog(t, id, /^tick 3$/);
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/pause` })).statusCode, 202);
      await waitRun(t, id, (r) => r.state === 'paused');
      await sleep(300);
      const before = (await logLines(t, id)).length;
      await sleep(400);
      assert.equal((await logLines(t, id)).length, before, 'no output while paused');
      const bad = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/pause` });
      assert.equal(bad.statusCode, 409);
      assert.equal(
        (await t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/resume` })).statusCode,
        202,
      );
      await waitRun(t, id, (r) => r.state === 'running');
      for (let i = 0; i < 100 && (await logLines(t, id)).length <= before; i++) await sleep(30);
      assert.ok((await logLines(t, id)).length > before, 'output continues after resume');
      await t.services.runs.cancel(id);
      const run = await waitRun(t, id);
      assert.equal(run.state, 'cancelled');
      const states = (await t.services.runs.events(id)).filter((e) => e.kind === 'state').map((e) => e.name);
      assert.deepEqual(states, ['queued', 'running', 'paused', 'running', 'cancelled']);
    });

    test('a built-in run pauses at its iteration checkpoint and finishes after resume', async () => {
      const res = await submit(t, {
        learner: 'gbdt',
        dataset: 'bc',
        params: { n_estimators: 3000, max_depth: 2, learning_rate: 0.01 },
      });
      const id = (res.json() as Json).id as string;
      await waitRun(t, id, (r) => r.state === 'running');
      for (let i = 0; i < 200 && (await t.services.runs.metrics(id, 'train_loss')).length === 0; i++)
        await sleep(25);
      await t.services.runs.pause(id);
      await waitRun(t, id, (r) => r.state === 'paused');
      await sleep(400);
      const n = (await t.services.runs.metrics(id, 'train_loss')).length;
      await sleep(400);
      assert.equal((await t.services.runs.metrics(id, 'train_loss')).length, n, 'no iterations while paused');
      assert.ok(n < 3000);
      // The training state is saved at the pause (waitLog throws when the line never comes).
      await waitLog(t, id, /^checkpoint saved at iteration \d+$/);
      await t.services.runs.resume(id);
      const run = await waitRun(t, id);
      assert.equal(run.state, 'succeeded', `${run.reason} ${run.message}`);
      // Pausing stops the learner and continues it from the checkpoint: every iteration once.
      assert.deepEqual(
        (await t.services.runs.metrics(id, 'train_loss')).map((m) => m.step),
        Array.from({ length: 3000 }, (_, i) => i + 1),
      );
    });

    test('a pause that arrives before the training thread started still stops it at round 1', async () => {
      const res = await submit(t, { learner: 'gbdt', dataset: 'bc', params: { n_estimators: 50 } });
      const id = (res.json() as Json).id as string;
      await waitRun(t, id, (r) => r.state !== 'queued');
      await t.services.runs.pause(id);
      await waitRun(t, id, (r) => r.state === 'paused');
      await waitLog(t, id, /^checkpoint saved at iteration 1$/);
      assert.ok((await t.services.runs.metrics(id, 'train_loss')).length <= 1);
      await t.services.runs.resume(id);
      const run = await waitRun(t, id);
      assert.equal(run.state, 'succeeded', `${run.reason} ${run.message}`);
      assert.equal((await t.services.runs.metrics(id, 'train_loss')).length, 50);
    });

    test('timeout fails the run with reason timeout', async () => {
      const id = await submitScript(t, 'sleep 30\n', { timeoutMs: 300 });
      const run = await waitRun(t, id);
      assert.equal(run.state, 'failed');
      assert.equal(run.reason, 'timeout');
    });

    test('retries with backoff: a failing program is re-queued, then fails; one that recovers succeeds', async () => {
      const id = await submitScript(t, 'echo "attempt $MODELYARD_ATTEMPT"\nexit 3\n', {
        retries: 2,
        backoffMs: 50,
      });
      const run = await waitRun(t, id);
      assert.equal(run.state, 'failed');
      assert.equal(run.reason, 'exit_code');
      assert.equal(run.attempt, 3);
      const events = await t.services.runs.events(id);
      const states = events.filter((e) => e.kind === 'state').map((e) => `${e.name}/${e.reason}`);
      assert.deepEqual(states, [
        'queued/submitted',
        'running/started',
        'queued/retrying',
        'running/retry',
        'queued/retrying',
        'running/retry',
        'failed/exit_code',
      ]);
      const gap = (a: number, b: number) =>
        Date.parse(events.filter((e) => e.kind === 'state')[b]!.at) -
        Date.parse(events.filter((e) => e.kind === 'state')[a]!.at);
      // From the second start to the third: the run's own time plus a backoff of 50·2 ms.
      assert.ok(gap(3, 5) >= 100, 'second retry waits backoff·2');
      const attempts = (await logLines(t, id))
        .filter((l) => l.text.startsWith('attempt '))
        .map((l) => l.text);
      assert.deepEqual(
        attempts.filter((a) => /^attempt \d$/.test(a)),
        ['attempt 1', 'attempt 2', 'attempt 3'],
      );

      const ok = await submitScript(t, '[ "$MODELYARD_ATTEMPT" -ge 2 ] || exit 1\necho recovered\n', {
        retries: 1,
        backoffMs: 10,
      });
      const r2 = await waitRun(t, ok);
      assert.equal(r2.state, 'succeeded');
      assert.equal(r2.attempt, 2);
    });

    test('a retried attempt replaces the metrics of the failed one (no duplicate steps)', async () => {
      const script = [
        'a=$MODELYARD_ATTEMPT',
        'for s in 1 2 3; do echo "{\\"metric\\": \\"loss\\", \\"value\\": $a.$s, \\"step\\": $s}"; done',
        'echo "{\\"metric\\": \\"auto\\", \\"value\\": $a}"',
        '[ "$a" -ge 2 ] || exit 1',
        '',
      ].join('\n');
      const id = await submitScript(t, script, { retries: 1, backoffMs: 10 });
      const run = await waitRun(t, id);
      assert.equal(run.state, 'succeeded');
      assert.equal(run.attempt, 2);
      const points = (await t.services.runs.metrics(id)).map((p) => [p.name, p.step, p.value]);
      assert.deepEqual(points, [
        ['auto', 0, 2],
        ['loss', 1, 2.1],
        ['loss', 2, 2.2],
        ['loss', 3, 2.3],
      ]);
    });

    test('cancel while queued (on a queue nobody consumes) removes it at once', async () => {
      const id = await submitScript(t, 'echo never\n', { queue: 'nobody' });
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/cancel` });
      assert.equal(res.statusCode, 202);
      assert.equal((res.json() as Json).state, 'cancelled');
      assert.equal(
        (await t.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/resume` })).statusCode,
        409,
      );
    });

    test('bad inputs get 4xx naming the field', async () => {
      const cases: Array<[Json, number, RegExp]> = [
        [{ learner: 'nope', dataset: 'bc' }, 400, /learner 'nope' is unknown/],
        [{ learner: 'gbdt', dataset: 'bc', params: { depth: 3 } }, 400, /params\.depth/],
        [{ learner: 'gbdt', dataset: 'bc', params: { max_depth: -1 } }, 400, /max_depth/],
        [{ learner: 'gbdt', dataset: 'missing' }, 404, /missing/],
        [{ learner: 'gbdt', dataset: 'bc', target: 'nope' }, 400, /target 'nope'/],
        [{ learner: 'gbdt' }, 400, /dataset/],
        [{ codeId: 'x', command: 'true', learner: 'gbdt' }, 400, /exactly one/],
        [{ codeId: 'nope', command: 'true' }, 404, /code 'nope'/],
        [{ learner: 'gbdt', dataset: 'bc', queue: 'bad queue' }, 400, /queue/],
        [{ learner: 'gbdt', dataset: 'bc', retries: -1 }, 400, /retries/],
      ];
      for (const [body, status, re] of cases) {
        const res = await submit(t, body);
        assert.equal(res.statusCode, status, `${JSON.stringify(body)} → ${res.body}`);
        assert.match(res.body, re);
      }
      const code = await uploadCode(t, 'x.sh', 'true');
      const noCommand = await submit(t, { codeId: (code.json() as Json).id });
      assert.equal(noCommand.statusCode, 400);
      assert.match(noCommand.body, /command/);
      for (const [name, body] of [
        ['broken.zip', Buffer.from('PK\u0003\u0004garbage')],
        ['broken.tar.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3])],
        ['evil.tar', tarWith('../escape.sh')],
      ] as const) {
        const res = await uploadCode(t, name, body);
        assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
        assert.equal((res.json() as Json).reason ?? (res.json() as Json).code, 'bad_archive', res.body);
      }
      assert.equal((await t.app.inject({ url: '/api/v1/runs/nope' })).statusCode, 404);
      const list = (await t.app.inject({ url: '/api/v1/runs?state=cancelled' })).json() as Json[];
      assert.ok(list.every((r) => r.state === 'cancelled'));
    });

    test('auth: once tokens exist, anonymous calls are refused and viewers cannot submit', async () => {
      const admin = await t.services.tokens.create({ name: 'admin', role: 'admin' });
      const viewer = await t.services.tokens.create({ name: 'viewer', role: 'viewer' });
      try {
        assert.equal((await t.app.inject({ url: '/api/v1/runs' })).statusCode, 401);
        const v = { authorization: `Bearer ${viewer.token}` };
        assert.equal((await t.app.inject({ url: '/api/v1/runs', headers: v })).statusCode, 200);
        const denied = await t.app.inject({
          method: 'POST',
          url: '/api/v1/runs',
          headers: v,
          payload: { learner: 'gbdt', dataset: 'bc' },
        });
        assert.equal(denied.statusCode, 403);
        // User code gets a scoped editor token for the API, revoked when the run ends.
        const a = { authorization: `Bearer ${admin.token}` };
        const code = await t.app.inject({
          method: 'POST',
          url: '/api/v1/runs/code?fileName=m.sh',
          headers: { ...a, 'content-type': 'application/octet-stream' },
          payload:
            "node -e \"fetch(process.env.MODELYARD_API_URL + '/api/v1/runs/' + process.env.MODELYARD_RUN_ID + '/metrics', {method: 'POST', headers: {authorization: 'Bearer ' + process.env.MODELYARD_TOKEN, 'content-type': 'application/json'}, body: JSON.stringify([{metric: 'm', value: 1}])}).then(r => { if (!r.ok) process.exit(9) })\"\n",
        });
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/runs',
          headers: a,
          payload: { codeId: (code.json() as Json).id, command: 'sh m.sh' },
        });
        const run = await waitRun(t, (res.json() as Json).id);
        assert.equal(run.state, 'succeeded', `${run.reason} ${run.message}`);
        assert.equal(run.createdBy, 'admin');
        assert.equal((await t.services.runs.metrics(run.id, 'm')).length, 1);
        const live = (await t.services.tokens.list()).filter(
          (k) => k.name.startsWith('run ') && !k.revokedAt,
        );
        assert.deepEqual(live, [], 'run tokens are revoked');
      } finally {
        await t.services.tokens.revoke(admin.id);
        await t.services.tokens.revoke(viewer.id);
      }
    });
  });
}

/** A one-file ustar archive whose entry has the given name. */
function tarWith(name: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write('00000000004\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\u000000', 257);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.alloc(512);
  body.write('true');
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}
