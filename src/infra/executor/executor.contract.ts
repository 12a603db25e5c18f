/**
 * The behaviour every executor must have. Programs are described abstractly; each adapter's test
 * file says how to run each one on its executor (a shell script, a task module, …).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Execution, ExecutionResult, ExecutionSpecBase, LogLine } from './executor.js';

export type ContractProgram =
  | { kind: 'succeed' }
  /** Ends unsuccessfully by itself. */
  | { kind: 'fail' }
  /** Prints the value of one environment variable on stdout. */
  | { kind: 'env'; name: string }
  /** Prints `line 1` … `line <count>` on stdout. */
  | { kind: 'lines'; count: number }
  /** Prints 1, 2, 3, … on stdout, one every ~10 ms, forever. */
  | { kind: 'counter' }
  /** Runs until ended from outside. */
  | { kind: 'sleep' }
  /** Something that cannot be started at all. */
  | { kind: 'missing' };

export interface ExecutorContractTarget {
  start(program: ContractProgram, base: ExecutionSpecBase): Promise<Execution>;
}

/** Resolves once check() holds, polling; fails after timeoutMs. */
export async function until(check: () => boolean, message: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${message}`);
    await sleep(10);
  }
}

/** Starts a program collecting its log lines and onExit calls. */
async function run(target: ExecutorContractTarget, program: ContractProgram, base: ExecutionSpecBase = {}) {
  const lines: LogLine[] = [];
  const exits: ExecutionResult[] = [];
  const execution = await target.start(program, {
    ...base,
    onLog: (l) => lines.push(l),
    onExit: (r) => exits.push(r),
  });
  const stdout = () => lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
  return { execution, lines, exits, stdout };
}

export function runExecutorContract(label: string, target: ExecutorContractTarget): void {
  describe(`Executor contract (${label})`, () => {
    it('reports success and failure exit codes', async () => {
      const ok = await run(target, { kind: 'succeed' });
      const okResult = await ok.execution.wait();
      assert.equal(okResult.reason, 'exited');
      assert.equal(okResult.exitCode, 0);
      assert.deepEqual(ok.exits, [okResult]);

      const bad = await run(target, { kind: 'fail' });
      const badResult = await bad.execution.wait();
      assert.equal(badResult.reason, 'exited');
      assert.ok(badResult.exitCode !== null && badResult.exitCode !== 0, `exit code ${badResult.exitCode}`);
    });

    it('passes the environment it is given', async () => {
      const r = await run(
        target,
        { kind: 'env', name: 'MODELYARD_CONTRACT_VAR' },
        {
          env: { MODELYARD_CONTRACT_VAR: 'hello  world ✓' },
        },
      );
      await r.execution.wait();
      assert.deepEqual(r.stdout(), ['hello  world ✓']);
    });

    it('streams log lines in order, with timestamps', async () => {
      const r = await run(target, { kind: 'lines', count: 300 });
      const result = await r.execution.wait();
      assert.equal(result.exitCode, 0);
      assert.deepEqual(
        r.stdout(),
        Array.from({ length: 300 }, (_, i) => `line ${i + 1}`),
      );
      for (let i = 1; i < r.lines.length; i++) assert.ok(r.lines[i]!.timeMs >= r.lines[i - 1]!.timeMs);
      assert.ok(r.lines.every((l) => Math.abs(l.timeMs - Date.now()) < 60_000));
    });

    it('kills a program that outlives its timeout and says so', async () => {
      const r = await run(target, { kind: 'sleep' }, { timeoutMs: 200 });
      const result = await r.execution.wait();
      assert.equal(result.reason, 'timeout');
      assert.equal(result.exitCode, null);
      assert.deepEqual(r.exits, [result]);
    });

    it('cancels a running program, reports cancelled, and ignores a second cancel', async () => {
      const r = await run(target, { kind: 'counter' });
      await until(() => r.stdout().length >= 2, 'program running');
      await r.execution.cancel();
      await r.execution.cancel();
      const result = await r.execution.wait();
      assert.equal(result.reason, 'cancelled');
      assert.equal(r.exits.length, 1);
    });

    it('pause stops progress and resume continues it', async () => {
      const r = await run(target, { kind: 'counter' });
      try {
        await until(() => r.stdout().length >= 3, 'counter started');
        await r.execution.pause();
        assert.equal(r.execution.paused, true);
        await sleep(100); // lines already written may still be in flight
        const atPause = r.stdout().length;
        await sleep(300);
        assert.equal(r.stdout().length, atPause, 'no progress while paused');
        await r.execution.resume();
        assert.equal(r.execution.paused, false);
        await until(() => r.stdout().length > atPause + 2, 'progress after resume');
        const numbers = r.stdout().map(Number);
        assert.deepEqual(
          numbers,
          numbers.map((_, i) => i + 1),
          'the count continued where it stopped',
        );
      } finally {
        await r.execution.cancel();
      }
      assert.equal((await r.execution.wait()).reason, 'cancelled');
    });

    it('cancels a paused program', async () => {
      const r = await run(target, { kind: 'counter' });
      await until(() => r.stdout().length >= 1, 'counter started');
      await r.execution.pause();
      await r.execution.cancel();
      assert.equal((await r.execution.wait()).reason, 'cancelled');
    });

    it('reports failed_to_start with a clear message for something that cannot start', async () => {
      const r = await run(target, { kind: 'missing' });
      const result = await r.execution.wait();
      assert.equal(result.reason, 'failed_to_start');
      assert.equal(result.exitCode, null);
      assert.equal(r.execution.pid, null);
      assert.match(result.error ?? '', /not found|cannot start|does not exist/);
      assert.deepEqual(r.exits, [result]);
      await r.execution.cancel(); // harmless
    });
  });
}
