import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { runExecutorContract, until, type ContractProgram } from './executor.contract.js';
import type { ExecutionSpecBase, LogLine } from './executor.js';
import type { SampleTaskInput } from './sample-tasks.worker.js';
import { createThreadExecutor, workerModuleUrl } from './thread-executor.js';

const executor = createThreadExecutor();
/** The task module as source: workers load it through tsx (slow to start, ~1 s each). */
const sampleSource = workerModuleUrl('infra/executor/sample-tasks.worker');

// Most tests use the task bundled the way `npm run build` bundles it: faster, and it proves the
// dist layout works (worker entry beside code-split chunks, resolved by workerModuleUrl).
const distDir = mkdtempSync(join(tmpdir(), 'modelyard-thread-dist-'));
let sample: URL = sampleSource;
const entry = join(distDir, 'entry.ts');
writeFileSync(
  entry,
  `import { createThreadExecutor, workerModuleUrl } from ${JSON.stringify(fileURLToPath(new URL('./thread-executor.ts', import.meta.url)))};
const exec = await createThreadExecutor().start({ module: workerModuleUrl('infra/executor/sample-tasks.worker'), input: { mode: 'succeed', value: 'from dist' } });
console.log(JSON.stringify(await exec.wait()));`,
);
before(async () => {
  await build({
    entryPoints: [
      { in: entry, out: 'cli/index' },
      { in: fileURLToPath(sampleSource), out: 'infra/executor/sample-tasks.worker' },
      {
        in: fileURLToPath(workerModuleUrl('infra/executor/task-host.worker')),
        out: 'infra/executor/task-host.worker',
      },
    ],
    outdir: join(distDir, 'dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  // As the real dist/ sits under our package.json: the tsx-loaded task host (tests run the
  // executor from source) then imports the bundled task as ESM.
  writeFileSync(join(distDir, 'dist', 'package.json'), '{"type":"module"}');
  sample = pathToFileURL(join(distDir, 'dist', 'infra', 'executor', 'sample-tasks.worker.js'));
});
after(() => rmSync(distDir, { recursive: true, force: true }));

function inputFor(program: ContractProgram): SampleTaskInput {
  switch (program.kind) {
    case 'succeed':
      return { mode: 'succeed' };
    case 'fail':
      return { mode: 'fail', message: 'planned failure' };
    case 'env':
      return { mode: 'env', name: program.name };
    case 'lines':
      return { mode: 'lines', count: program.count };
    case 'counter':
      return { mode: 'counter' };
    case 'sleep':
    case 'missing':
      return { mode: 'sleep' };
  }
}

runExecutorContract('thread', {
  start: (program, base: ExecutionSpecBase) =>
    executor.start({
      ...base,
      module: program.kind === 'missing' ? new URL('./no-such-task.worker.ts', sample) : sample,
      input: inputFor(program),
    }),
});

describe('thread executor', () => {
  it('runs a TypeScript task module under tsx and returns its value', async () => {
    const exec = await executor.start({
      module: sampleSource,
      input: { mode: 'succeed', value: { auc: 0.97, trees: [1, 2] } } satisfies SampleTaskInput,
    });
    const result = await exec.wait();
    assert.deepEqual(result.value, { auc: 0.97, trees: [1, 2] });
    assert.equal(result.exitCode, 0);
    assert.equal(result.reason, 'exited');
  });

  it('finds bundled worker modules from code-split dist chunks', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(distDir, 'dist', 'cli', 'index.js'),
    ]);
    const result = JSON.parse(stdout) as { reason: string; value: unknown };
    assert.equal(result.reason, 'exited');
    assert.equal(result.value, 'from dist');
  });

  it('reports the message a task throws', async () => {
    const exec = await executor.start({ module: sample, input: { mode: 'fail', message: 'bad column' } });
    const result = await exec.wait();
    assert.equal(result.reason, 'exited');
    assert.equal(result.exitCode, 1);
    assert.equal(result.error, 'bad column');
  });

  it('pauses a synchronous loop at its checkpoint and resumes it', async () => {
    const steps: number[] = [];
    const exec = await executor.start({
      module: sample,
      input: { mode: 'busy', every: 200_000 } satisfies SampleTaskInput,
      onProgress: (p) => steps.push((p as { step: number }).step),
    });
    try {
      await until(() => steps.length >= 3, 'busy loop reporting');
      await exec.pause();
      await new Promise((r) => setTimeout(r, 100));
      const atPause = steps.length;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(steps.length, atPause, 'no progress while paused');
      await exec.resume();
      await until(() => steps.length > atPause + 2, 'progress after resume');
      assert.deepEqual(
        steps,
        steps.map((_, i) => (i + 1) * 200_000),
      );
    } finally {
      await exec.cancel();
    }
    assert.equal((await exec.wait()).reason, 'cancelled');
  });

  it('ends a task that exceeds its heap limit', async () => {
    const exec = await executor.start({
      module: sample,
      input: { mode: 'hog' } satisfies SampleTaskInput,
      maxHeapBytes: 32 * 2 ** 20,
    });
    const result = await exec.wait();
    assert.equal(result.reason, 'exited');
    assert.equal(result.exitCode, 1);
    assert.match(result.error ?? '', /memory/i);
  });
});

describe('thread executor: warm threads', () => {
  type ThreadInfo = { threadId: number; runs: number };
  /** Each test its own pool, so other tests' threads cannot be picked. */
  const fresh = (idleTimeoutMs = 60_000) => createThreadExecutor({ pool: { maxIdle: 2, idleTimeoutMs } });
  const runTask = async (
    exec: ReturnType<typeof fresh>,
    input: SampleTaskInput,
    env?: Record<string, string>,
  ) => {
    const lines: LogLine[] = [];
    const execution = await exec.start({
      module: sample,
      input,
      onLog: (l) => lines.push(l),
      ...(env ? { env } : {}),
    });
    const result = await execution.wait();
    const text = (stream: LogLine['stream']) => lines.filter((l) => l.stream === stream).map((l) => l.text);
    return { result, info: result.value as ThreadInfo, stdout: text('stdout'), stderr: text('stderr') };
  };

  it('runs the next task on the thread of the last one, with the module still loaded', async () => {
    const exec = fresh();
    const first = await runTask(exec, { mode: 'thread' });
    assert.equal(exec.idleThreads(), 1);
    const second = await runTask(exec, { mode: 'thread' });
    assert.equal(second.info.threadId, first.info.threadId);
    assert.equal(first.info.runs, 1);
    assert.equal(second.info.runs, 2);
    // A task that threw ended normally too.
    const failed = await runTask(exec, { mode: 'fail', message: 'bad' });
    assert.equal(failed.result.error, 'bad');
    assert.equal((await runTask(exec, { mode: 'thread' })).info.threadId, first.info.threadId);
    await exec.close();
    assert.equal(exec.idleThreads(), 0);
  });

  it('keeps each task’s output in its own log', async () => {
    const exec = fresh();
    const a = await runTask(exec, { mode: 'tagged', tag: 'a', count: 200 });
    const b = await runTask(exec, { mode: 'tagged', tag: 'b', count: 200 });
    assert.equal(b.info.threadId, a.info.threadId);
    for (const [r, tag] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const expected = [...Array.from({ length: 200 }, (_, i) => `${tag} ${i + 1}`), `${tag} tail`];
      assert.deepEqual(r.stdout, expected);
      assert.deepEqual(r.stderr, expected);
    }
    await exec.close();
  });

  it('pauses and resumes a task on a reused thread; a cancelled thread is not reused', async () => {
    const exec = fresh();
    const first = await runTask(exec, { mode: 'thread' });
    const steps: { step: number; threadId: number }[] = [];
    const busy = await exec.start({
      module: sample,
      input: { mode: 'busy', every: 200_000 },
      onProgress: (p) => steps.push(p as { step: number; threadId: number }),
    });
    try {
      await until(() => steps.length >= 3, 'busy loop reporting');
      assert.equal(steps[0]!.threadId, first.info.threadId);
      await busy.pause();
      await sleep(100);
      const atPause = steps.length;
      await sleep(300);
      assert.equal(steps.length, atPause, 'no progress while paused');
      await busy.resume();
      await until(() => steps.length > atPause + 2, 'progress after resume');
      assert.deepEqual(
        steps.map((s) => s.step),
        steps.map((_, i) => (i + 1) * 200_000),
      );
    } finally {
      await busy.cancel();
    }
    assert.equal((await busy.wait()).reason, 'cancelled');
    assert.equal(exec.idleThreads(), 0);
    const after = await runTask(exec, { mode: 'thread' });
    assert.notEqual(after.info.threadId, first.info.threadId);
    assert.equal(after.info.runs, 1);
    await exec.close();
  });

  it('does not reuse a thread a task left a timer running in', async () => {
    const exec = fresh();
    const lingering = await runTask(exec, { mode: 'linger' });
    assert.equal(lingering.result.exitCode, 0);
    assert.equal(exec.idleThreads(), 0);
    const next = await runTask(exec, { mode: 'thread' });
    assert.notEqual(next.info.threadId, lingering.info.threadId);
    await exec.close();
  });

  it('runs a task only on a thread started with the same environment', async () => {
    const exec = fresh();
    const set = await runTask(exec, { mode: 'thread' });
    const withEnv = await runTask(exec, { mode: 'thread' }, { MODELYARD_CONTRACT_VAR: '1' });
    assert.notEqual(withEnv.info.threadId, set.info.threadId);
    const again = await runTask(
      exec,
      { mode: 'env', name: 'MODELYARD_CONTRACT_VAR' },
      { MODELYARD_CONTRACT_VAR: '1' },
    );
    assert.deepEqual(again.stdout, ['1']);
    const third = await runTask(exec, { mode: 'thread' }, { MODELYARD_CONTRACT_VAR: '1' });
    assert.equal(third.info.threadId, withEnv.info.threadId);
    assert.equal(third.info.runs, 3);
    const other = await runTask(
      exec,
      { mode: 'env', name: 'MODELYARD_CONTRACT_VAR' },
      { MODELYARD_CONTRACT_VAR: '2' },
    );
    assert.deepEqual(other.stdout, ['2']);
    assert.equal(exec.idleThreads(), 2);
    await exec.close();
  });

  it('ends idle threads after the idle timeout', async () => {
    const exec = fresh(200);
    const first = await runTask(exec, { mode: 'thread' });
    assert.equal(exec.idleThreads(), 1);
    await until(() => exec.idleThreads() === 0, 'idle thread ended');
    const second = await runTask(exec, { mode: 'thread' });
    assert.notEqual(second.info.threadId, first.info.threadId);
    await exec.close();
  });
});
