/**
 * Start-up benchmark: wall time from spawning `node bin/modelyard.js up` on a fresh data directory
 * to the first `/healthz` 200, median of several spawns. Bare `node -e ''` start is measured in
 * the same run as the floor no server can beat; each `--compare <dir>=<label>` also times another
 * checkout's built `bin/modelyard.js` (e.g. an export of an older commit, built) in alternation,
 * so before/after figures share the same load.
 *
 *   npm run bench:startup                                # 7 spawns
 *   npm run bench:startup -- --runs 11 --compare '/tmp/modelyard-old=commit 40868bf'
 *
 * Writes bench/results/startup.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    compare: { type: 'string', multiple: true, default: [] },
  },
});
const RUNS = Math.max(5, Number(values.runs));
const ROOT = resolve(import.meta.dirname, '..', '..');
const DEADLINE_MS = 60_000;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * CPU time (user + system) a process has used so far, from /proc (10 ms ticks); null off Linux.
 * Unlike wall time it hardly depends on what else the machine runs.
 */
function cpuMs(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Spawns the server once; resolves with ms from spawn to the first /healthz 200 and the CPU ms spent. */
async function oneStart(bin: string): Promise<{ wallMs: number; cpuMs: number | null }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-startup-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [bin, 'up', '--data-dir', dataDir, '--port', String(port), '--log-level', 'silent'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (await healthy(port)) return { wallMs: performance.now() - started, cpuMs: cpuMs(child.pid!) };
      if (exited) throw new Error(`${bin} exited before answering /healthz`);
      if (performance.now() - started > DEADLINE_MS) throw new Error(`${bin}: no /healthz in 60 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    if (!exited) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function bareNode(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return performance.now() - started;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const summary = (xs: number[], cpu: Array<number | null> = []) => ({
  median_ms: Math.round(median(xs)),
  min_ms: Math.round(Math.min(...xs)),
  max_ms: Math.round(Math.max(...xs)),
  runs_ms: xs.map(Math.round),
  ...(cpu.length > 0 && cpu.every((c) => c !== null) ? { cpu_median_ms: median(cpu as number[]) } : {}),
});

interface Subject {
  label: string;
  bin: string;
  wall: number[];
  cpu: Array<number | null>;
}
const subject = (label: string, bin: string): Subject => ({ label, bin, wall: [], cpu: [] });
const ours = subject('modelyard up', join(ROOT, 'bin', 'modelyard.js'));
const compared = values.compare.map((c) => {
  const eq = c.indexOf('=');
  const dir = eq < 0 ? c : c.slice(0, eq);
  return subject(eq < 0 ? dir : c.slice(eq + 1), join(resolve(dir), 'bin', 'modelyard.js'));
});
const subjects = [ours, ...compared];
const bare: number[] = [];
const loadBefore = loadavg()[0]!;
// One unmeasured start of each warms the page cache, as on a machine that ran the command before.
for (const s of subjects) await oneStart(s.bin);
for (let i = 0; i < RUNS; i++) {
  bare.push(await bareNode());
  for (const s of subjects) {
    const r = await oneStart(s.bin);
    s.wall.push(r.wallMs);
    s.cpu.push(r.cpuMs);
  }
}
const loadAfter = loadavg()[0]!;

const out = {
  benchmark: 'start-up: spawn `modelyard up` (fresh data dir, SQLite, local blobs) → first /healthz 200',
  goal: 'well under a second on a warm install (issue #2); target < 0.7 s',
  ours: summary(ours.wall, ours.cpu),
  compare: compared.map((s) => ({ label: s.label, ...summary(s.wall, s.cpu) })),
  bare_node: summary(bare),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    node: process.version,
    load_avg_1m: [Number(loadBefore.toFixed(2)), Number(loadAfter.toFixed(2))],
  },
  date: new Date().toISOString(),
};
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'startup.json'), JSON.stringify(out, null, 2) + '\n');
const line = (name: string, xs: number[], cpu: Array<number | null> = []) =>
  `${name.padEnd(12)} median ${median(xs).toFixed(0).padStart(5)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})` +
  (cpu.length > 0 && cpu.every((c) => c !== null) ? `  cpu median ${median(cpu as number[])} ms\n` : '\n');
for (const s of subjects) process.stdout.write(line(s.label, s.wall, s.cpu));
process.stdout.write(line('bare node', bare));
process.stdout.write(`load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}\n`);
