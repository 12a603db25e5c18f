// The watchdog between the process executor (process-executor.ts) and one user program: it starts
// the program in a process group of its own and, when the executor's process dies without ending
// the program (kill -9, OOM killer), ends that group, so a re-queued attempt never runs beside an
// orphan of the previous one.
//
// Plain JavaScript with only node: imports, run by `node` directly from the sources and from dist/
// alike (scripts/build.mjs copies it): one costs a bare Node start, not a TypeScript loader's.
//
// Protocol with the executor:
//   fd 0  pipe from the executor: one JSON line {argv, env, killGraceMs}, then nothing. End of file
//         means the executor's process is gone: the kernel closes its end however it died.
//   fd 1, 2  handed to the program as they are, so its output goes straight to the executor.
//   fd 3  pipe to the executor, JSON lines: {"pid": n} once the program runs (its pid is also its
//         process group id) or {"error": "…"} if it could not start; then {"exitCode", "signal"}
//         when it has ended. The watchdog itself exits right after that last line.
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { constants } from 'node:os';

const REPORT_FD = 3;
/** Process group id of the program once started. */
let group = null;
let orphaned = false;

function report(message) {
  try {
    writeSync(REPORT_FD, `${JSON.stringify(message)}\n`);
  } catch {
    // The executor is gone; the exit status is all that is left.
  }
}

function signalGroup(signal) {
  if (group === null) return;
  try {
    process.kill(-group, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

/** The executor's process died: SIGTERM the program (waking it if paused), SIGKILL after the grace. */
function onOrphaned(killGraceMs) {
  if (orphaned) return;
  orphaned = true;
  if (group === null) process.exit(1);
  signalGroup('SIGTERM');
  signalGroup('SIGCONT');
  setTimeout(() => signalGroup('SIGKILL'), killGraceMs);
}

function start(spec) {
  const [file, ...args] = spec.argv;
  const failed = (e) => {
    report({ error: `cannot start '${file}': ${e.message}` });
    process.exit(1);
  };
  let child;
  try {
    // detached: the program leads a new process group (and session) for the executor to signal.
    child = spawn(file, args, { env: spec.env, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    failed(e);
  }
  child.on('error', (e) => {
    if (child.pid === undefined) failed(e);
  });
  child.on('exit', (code, signal) => {
    // The program is done: end whatever it left running in its group (the executor does too).
    signalGroup('SIGKILL');
    report({ exitCode: code, signal });
    process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
  });
  if (child.pid === undefined) return;
  group = child.pid;
  report({ pid: child.pid });
}

// Signals sent to the watchdog itself (an operator's `kill`) are meant for the program.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (group === null) process.exit(128 + constants.signals[signal]);
    signalGroup(signal);
  });
}

let spec = null;
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  if (spec !== null) return;
  pending += text;
  const newline = pending.indexOf('\n');
  if (newline < 0) return;
  try {
    spec = JSON.parse(pending.slice(0, newline));
  } catch (e) {
    report({ error: `process watchdog got a bad spec: ${e.message}` });
    process.exit(1);
  }
  pending = '';
  start(spec);
});
const parentGone = () => onOrphaned(spec?.killGraceMs ?? 0);
process.stdin.on('end', parentGone);
process.stdin.on('close', parentGone);
process.stdin.on('error', parentGone);
