import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { AppError } from '../../errors.js';
import { runExecutorContract, until, type ContractProgram } from './executor.contract.js';
import { LineSplitter, type LogLine, type ProcessSpec } from './executor.js';
import { createProcessExecutor } from './process-executor.js';

const workRoot = mkdtempSync(join(tmpdir(), 'modelyard-exec-test-'));
after(() => rmSync(workRoot, { recursive: true, force: true }));
const executor = createProcessExecutor({ workRoot, killGraceMs: 300 });

function commandFor(program: ContractProgram): ProcessSpec['command'] {
  switch (program.kind) {
    case 'succeed':
      return ['true'];
    case 'fail':
      return 'exit 3';
    case 'env':
      return ['sh', '-c', `printf '%s\\n' "$${program.name}"`];
    case 'lines':
      return `i=1; while [ $i -le ${program.count} ]; do echo "line $i"; i=$((i+1)); done`;
    case 'counter':
      return 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.01; done';
    case 'sleep':
      return 'sleep 60';
    case 'missing':
      return ['modelyard-no-such-program', '--flag'];
  }
}

runExecutorContract('process', {
  start: (program, base) => executor.start({ ...base, command: commandFor(program) }),
});

/** True while the process exists and is not a zombie (an unreaped zombie is dead for our purpose). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Runs a spec to the end, collecting stdout lines. */
async function runToEnd(spec: ProcessSpec) {
  const lines: LogLine[] = [];
  const exec = await executor.start({ ...spec, onLog: (l) => lines.push(l) });
  const result = await exec.wait();
  await exec.dispose();
  return { result, lines, stdout: lines.filter((l) => l.stream === 'stdout').map((l) => l.text) };
}

// A child shell that starts a grandchild `sleep 60`; both print their pids.
const TREE = `sh -c 'sleep 60 & echo "grandchild $!"; wait' & echo "child $!"; wait`;

async function startTree(spec: Partial<ProcessSpec> = {}) {
  const lines: string[] = [];
  const exec = await executor.start({ ...spec, command: TREE, onLog: (l) => lines.push(l.text) });
  await until(() => lines.length === 2, 'child and grandchild started');
  const pids = lines.map((l) => Number(l.split(' ')[1]));
  assert.ok(pids.every((p) => alive(p)));
  return { exec, pids };
}

describe('process executor', () => {
  it('reports exact exit codes, and the signal that ended a program', async () => {
    assert.equal((await runToEnd({ command: 'exit 42' })).result.exitCode, 42);
    const killed = (await runToEnd({ command: 'kill -9 $$' })).result;
    assert.deepEqual([killed.reason, killed.exitCode, killed.signal], ['exited', null, 'SIGKILL']);
  });

  it('kills the whole process tree on timeout', async () => {
    const { exec, pids } = await startTree({ timeoutMs: 300 });
    const result = await exec.wait();
    assert.equal(result.reason, 'timeout');
    await until(() => pids.every((p) => !alive(p)), 'child and grandchild gone');
  });

  it('kills the whole process tree on cancel, with SIGKILL when SIGTERM is ignored', async () => {
    const { exec, pids } = await startTree();
    await exec.cancel();
    assert.equal((await exec.wait()).reason, 'cancelled');
    await until(() => pids.every((p) => !alive(p)), 'child and grandchild gone');

    const stubborn = await executor.start({
      command: `trap '' TERM; echo ready; while :; do sleep 0.05; done`,
    });
    await sleep(100);
    await stubborn.cancel();
    const result = await stubborn.wait();
    assert.equal(result.reason, 'cancelled');
    assert.equal(result.signal, 'SIGKILL');
  });

  it('ends what a program left running in its group when it exits', async () => {
    const lines: string[] = [];
    const exec = await executor.start({ command: 'sleep 60 & echo $!', onLog: (l) => lines.push(l.text) });
    const result = await exec.wait();
    assert.equal(result.exitCode, 0);
    await until(() => !alive(Number(lines[0])), 'background sleep ended');
  });

  it('also ends what a program started outside its group (setsid, an orphaned daemon)', async (t) => {
    if (spawnSync('sh', ['-c', 'command -v setsid']).status !== 0) return t.skip('no setsid here');
    const lines: string[] = [];
    // A new session straight from the program, and one whose parent shell exits at once.
    const exec = await executor.start({
      command: `setsid sleep 60 & echo $!; sh -c 'setsid sleep 61 & echo $!'`,
      onLog: (l) => lines.push(l.text),
    });
    assert.equal((await exec.wait()).exitCode, 0);
    const pids = lines.map(Number);
    assert.equal(pids.length, 2);
    for (const pid of pids) await until(() => !alive(pid), `setsid sleep ${pid} ended`);
  });

  it('does not count paused time against the timeout', async () => {
    const exec = await executor.start({ command: 'sleep 60', timeoutMs: 300 });
    await exec.pause();
    await sleep(500);
    let ended = false;
    void exec.wait().then(() => (ended = true));
    await exec.resume();
    await sleep(50);
    assert.equal(ended, false, 'still running after a pause longer than the timeout');
    assert.equal((await exec.wait()).reason, 'timeout');
  });

  it('runs node and python programs, and keeps the server environment out', async () => {
    const node = await runToEnd({
      command: [
        process.execPath,
        '-e',
        'console.log(Object.keys(process.env).sort().join(",")); process.exit(7)',
      ],
      env: { RUN_ID: 'r-1' },
    });
    assert.equal(node.result.exitCode, 7);
    const allowed = new Set([
      ...['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'PYTHONUNBUFFERED', 'RUN_ID'],
      ...['MODELYARD_WORK_DIR', 'MODELYARD_OUTPUT_DIR', 'MODELYARD_RUN_TOKEN'],
    ]);
    const seen = node.stdout[0]!.split(',');
    assert.deepEqual(
      seen.filter((name) => !allowed.has(name)),
      [],
    );
    assert.ok(seen.includes('RUN_ID') && seen.includes('PATH'));
    if (spawnSync('python3', ['--version']).status !== 0) return;
    const py = await runToEnd({
      command: [
        'python3',
        '-c',
        'import sys, os; print("py", sys.version_info[0]); print("oops", file=sys.stderr); sys.exit(5)',
      ],
    });
    assert.equal(py.result.exitCode, 5);
    assert.deepEqual(py.stdout, ['py 3']);
    assert.deepEqual(
      py.lines.filter((l) => l.stream === 'stderr').map((l) => l.text),
      ['oops'],
    );
  });

  it('materialises inputs in a fresh work dir and returns the output files', async () => {
    const exec = await executor.start({
      command: ['./code/train.sh', 'arg one'],
      inputs: [
        {
          path: 'code/train.sh',
          content:
            '#!/bin/sh\ncat data/x.csv > "$MODELYARD_OUTPUT_DIR/copy.csv"\nmkdir -p "$MODELYARD_OUTPUT_DIR/sub"\nprintf "%s|%s" "$1" "$(pwd)" > "$MODELYARD_OUTPUT_DIR/sub/args.txt"\n',
          mode: 0o755,
        },
        { path: 'data/x.csv', content: async () => Readable.from(['a,b\n', '1,2\n']) },
      ],
    });
    assert.equal((await exec.wait()).exitCode, 0);
    const outputs = await exec.outputs();
    assert.deepEqual(
      outputs.map((o) => [o.path, o.sizeBytes]),
      [
        ['copy.csv', 8],
        ['sub/args.txt', outputs[1]!.sizeBytes],
      ],
    );
    assert.equal((await buffer(outputs[0]!.open())).toString(), 'a,b\n1,2\n');
    const [arg, cwd] = (await buffer(outputs[1]!.open())).toString().split('|');
    assert.equal(arg, 'arg one');
    assert.ok(cwd!.startsWith(workRoot));
    await exec.dispose();
    assert.equal(existsSync(cwd!), false, 'dispose removes the work dir');
  });

  it('rejects input and output paths that leave the work dir', async () => {
    for (const path of ['../escape', '/etc/passwd', 'a//b', 'a/../../b']) {
      await assert.rejects(
        executor.start({ command: ['true'], inputs: [{ path, content: 'x' }] }),
        (e: unknown) => e instanceof AppError && e.code === 'invalid' && e.errors[0]?.field === 'inputs.path',
      );
    }
    await assert.rejects(executor.start({ command: ['true'], outputDir: '../out' }), AppError);
    await assert.rejects(executor.start({ command: [] }), AppError);
  });

  it('applies resource limits through ulimit, and a CPU limit ends a busy program', async () => {
    const shown = await runToEnd({
      command: ['sh', '-c', 'ulimit -v; ulimit -n'],
      limits: { addressSpaceBytes: 256 * 2 ** 20, openFiles: 64 },
    });
    assert.deepEqual(shown.stdout, ['262144', '64']);
    const busy = await runToEnd({ command: 'while :; do :; done', limits: { cpuSeconds: 1 } });
    assert.equal(busy.result.reason, 'exited');
    assert.ok(['SIGXCPU', 'SIGKILL'].includes(busy.result.signal ?? ''), `signal ${busy.result.signal}`);
  });

  it('reports a program path that is not executable as failed_to_start', async () => {
    const exec = await executor.start({
      command: ['./data.txt'],
      inputs: [{ path: 'data.txt', content: 'x' }],
    });
    const result = await exec.wait();
    assert.equal(result.reason, 'failed_to_start');
    assert.match(result.error ?? '', /'\.\/data\.txt' does not exist or is not executable/);
    await exec.dispose();
  });

  it('splits overlong lines into bounded pieces', async () => {
    const small = createProcessExecutor({ workRoot, maxLineChars: 100 });
    const lines: LogLine[] = [];
    const exec = await small.start({ command: `printf '%0250d\\nend' 0`, onLog: (l) => lines.push(l) });
    await exec.wait();
    await exec.dispose();
    assert.deepEqual(
      lines.map((l) => [l.text.length, l.partial ?? false]),
      [
        [100, true],
        [100, true],
        [50, false],
        [3, false],
      ],
    );
  });
});

/** Parent pid of a live process, from /proc. */
function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
}

/** Parents started by startInParent; killed after the tests even when one failed half-way. */
const parents: ChildProcess[] = [];

/**
 * Starts a separate Node process that runs `command` through the process executor (pausing it once
 * it printed `ready` when asked) and prints every log line and `pid <n>`; resolves once lines
 * starting with each of `needs` arrived.
 */
async function startInParent(command: string, pause: boolean, needs: string[]) {
  const executorUrl = new URL('./process-executor.ts', import.meta.url).href;
  const code = `
    const { createProcessExecutor } = await import(${JSON.stringify(executorUrl)});
    const executor = createProcessExecutor({ workRoot: ${JSON.stringify(workRoot)}, killGraceMs: 300 });
    let ready;
    const isReady = new Promise((r) => (ready = r));
    const exec = await executor.start({
      command: ${JSON.stringify(command)},
      onLog: (l) => { console.log(l.text); if (l.text === 'ready') ready(); },
    });
    if (${pause}) { await isReady; await exec.pause(); }
    console.log('pid ' + exec.pid);
    setInterval(() => {}, 60_000);`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  parents.push(parent);
  const lines: string[] = [];
  let partial = '';
  parent.stdout.setEncoding('utf8').on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise((r) => parent.on('exit', r));
  const arrived = () => ['pid ', ...needs].every((n) => lines.some((l) => l.startsWith(n)));
  await until(arrived, 'the parent started its program', 30_000);
  const number = (prefix: string) => Number(lines.find((l) => l.startsWith(prefix))!.split(' ')[1]);
  return { parent, exited, lines, number };
}

describe('process executor when its own process dies', () => {
  after(() => parents.forEach((p) => p.kill('SIGKILL')));

  it('ends the program within moments of kill -9 of the process that started it', async () => {
    const { parent, exited, number } = await startInParent(
      `sh -c 'sleep 60 & echo "grandchild $!"; echo ready; wait' & echo "child $!"; wait`,
      false,
      ['child ', 'grandchild '],
    );
    const program = number('pid ');
    const watchdog = parentOf(program);
    assert.notEqual(watchdog, parent.pid, 'the program runs under a watchdog');
    const pids = [program, number('child '), number('grandchild '), watchdog];
    assert.ok(pids.every(alive), 'all running before the kill');
    parent.kill('SIGKILL');
    await exited;
    await until(() => pids.every((p) => !alive(p)), 'program, its tree and the watchdog gone');
  });

  it('also ends a paused program that ignores SIGTERM (SIGKILL after the grace)', async () => {
    const { parent, exited, number } = await startInParent(
      `trap '' TERM; sleep 60 & echo "grandchild $!"; echo ready; while :; do sleep 0.05; done`,
      true,
      ['grandchild '],
    );
    const program = number('pid ');
    const grandchild = number('grandchild ');
    const pids = [program, grandchild, parentOf(program)];
    // SIGSTOP takes effect when a process next runs, shortly after pause() returned. (The shell
    // itself may show D rather than T: stopped in the middle of a vfork.)
    const state = () => readFileSync(`/proc/${grandchild}/stat`, 'utf8').split(') ')[1]![0];
    await until(() => state() === 'T', 'paused');
    parent.kill('SIGKILL');
    await exited;
    await until(() => pids.every((p) => !alive(p)), 'program, its child and the watchdog gone');
  });

  it('leaves nothing behind when the program ends normally, and its pid is the program', async () => {
    const lines: string[] = [];
    const exec = await executor.start({
      command: 'echo $$; read _ < /dev/null; sleep 0.2',
      onLog: (l) => lines.push(l.text),
    });
    await until(() => lines.length === 1, 'program printed its pid');
    assert.equal(Number(lines[0]), exec.pid);
    const watchdog = parentOf(exec.pid!);
    assert.ok(alive(watchdog));
    assert.equal((await exec.wait()).exitCode, 0);
    assert.equal(alive(watchdog), false, 'the watchdog has exited');
    await exec.dispose();
  });

  it('reports a program the watchdog cannot start as failed_to_start', async () => {
    const exec = await executor.start({ command: ['true'], env: { BAD: 'a\0b' } });
    const result = await exec.wait();
    assert.equal(result.reason, 'failed_to_start');
    assert.equal(exec.pid, null);
    assert.match(result.error ?? '', /cannot start '.*true': .*null bytes/);
    await exec.dispose();
  });
});

describe('LineSplitter', () => {
  it('decodes UTF-8 split across chunks and drops CRLF endings', () => {
    const out: string[] = [];
    const s = new LineSplitter('stdout', 1000, (l) => out.push(l.text));
    const bytes = Buffer.from('héllo\r\nwörld\n✓tail');
    for (const b of bytes) s.push(Buffer.from([b]));
    s.end();
    assert.deepEqual(out, ['héllo', 'wörld', '✓tail']);
  });
});
