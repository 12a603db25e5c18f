// The watchdog between the process executor (process-launcher.ts) and one user program: it starts
// the program in a process group of its own and, when the executor's process dies without ending
// the program (kill -9, OOM killer), ends that group, so a re-queued attempt never runs beside an
// orphan of the previous one.
//
// A program can also leave its group: `setsid`, Python's `start_new_session=True`, a daemon's
// double fork. Everything the program starts inherits a token in its environment
// (MODELYARD_RUN_TOKEN); when the program ends, the watchdog also kills every process whose
// starting environment carries that token (read from /proc/<pid>/environ, Linux; elsewhere only
// the group is ended). A process that clears its environment and leaves the group still escapes.
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
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';

const REPORT_FD = 3;
/** Process group id of the program once started. */
let group = null;
let orphaned = false;
/** Marks the program's descendants, wherever their process group or session. */
const TOKEN = `MODELYARD_RUN_TOKEN=${process.pid}-${randomBytes(12).toString('hex')}`;

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

/** SIGKILLs the processes outside the group that carry this run's token (none where /proc is missing). */
function killStragglers() {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return;
  }
  const marker = `\0${TOKEN}\0`;
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      // The environment the process started with, NUL-separated; unreadable ones are not ours.
      if (`\0${readFileSync(`/proc/${entry}/environ`, 'latin1')}`.includes(marker))
        process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, or not ours to read.
    }
  }
}

/** Ends the group and the stragglers that left it. */
function killEverything() {
  signalGroup('SIGKILL');
  killStragglers();
}

/** The executor's process died: SIGTERM the program (waking it if paused), SIGKILL after the grace. */
function onOrphaned(killGraceMs) {
  if (orphaned) return;
  orphaned = true;
  if (group === null) process.exit(1);
  signalGroup('SIGTERM');
  signalGroup('SIGCONT');
  setTimeout(killEverything, killGraceMs);
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
    const env = { ...spec.env, MODELYARD_RUN_TOKEN: TOKEN.slice(TOKEN.indexOf('=') + 1) };
    child = spawn(file, args, { env, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    failed(e);
  }
  child.on('error', (e) => {
    if (child.pid === undefined) failed(e);
  });
  child.on('exit', (code, signal) => {
    // The program is done: end whatever it left running, in its group or not (the executor ends
    // the group too).
    killEverything();
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
