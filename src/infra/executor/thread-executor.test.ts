import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { runExecutorContract, until, type ContractProgram } from './executor.contract.js';
import type { ExecutionSpecBase } from './executor.js';
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
