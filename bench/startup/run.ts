/**
 * Start-up benchmark: wall time from spawning `node bin/modelyard.js up` on a fresh data directory
 * to the first `/healthz` 200, median of several spawns. Bare `node -e ''` start is measured in
 * the same run as the floor no server can beat; `--compare <dir>` also times another checkout's
 * built `bin/modelyard.js` (e.g. a worktree of an older commit) in alternation, so before/after
 * figures share the same load.
 *
 *   npm run bench:startup                                # 7 spawns
 *   npm run bench:startup -- --runs 11 --compare /tmp/modelyard-old --compare-label 'commit 40868bf'
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
    compare: { type: 'string' },
    'compare-label': { type: 'string' },
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

const ours: number[] = [];
const compare: number[] = [];
const oursCpu: Array<number | null> = [];
const compareCpu: Array<number | null> = [];
const bare: number[] = [];
const compareBin = values.compare ? join(resolve(values.compare), 'bin', 'modelyard.js') : undefined;
const loadBefore = loadavg()[0]!;
// One unmeasured start of each warms the page cache, as on a machine that ran the command before.
await oneStart(join(ROOT, 'bin', 'modelyard.js'));
if (compareBin) await oneStart(compareBin);
for (let i = 0; i < RUNS; i++) {
  bare.push(await bareNode());
  const a = await oneStart(join(ROOT, 'bin', 'modelyard.js'));
  ours.push(a.wallMs);
  oursCpu.push(a.cpuMs);
  if (compareBin) {
    const b = await oneStart(compareBin);
    compare.push(b.wallMs);
    compareCpu.push(b.cpuMs);
  }
}
const loadAfter = loadavg()[0]!;

const out = {
  benchmark: 'start-up: spawn `modelyard up` (fresh data dir, SQLite, local blobs) → first /healthz 200',
  goal: 'well under a second on a warm install (issue #2); target < 0.7 s',
  ours: summary(ours, oursCpu),
  ...(compareBin
    ? { compare: { label: values['compare-label'] ?? compareBin, ...summary(compare, compareCpu) } }
    : {}),
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
process.stdout.write(line('modelyard up', ours, oursCpu));
if (compareBin) process.stdout.write(line('compare', compare, compareCpu));
process.stdout.write(line('bare node', bare));
process.stdout.write(`load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}\n`);
