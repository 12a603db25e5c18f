/**
 * bench:serve — our prediction server as users start it (`modelyard serve`, one process, and `--workers 2`) vs a Flask +
 * pandas + scikit-learn server under gunicorn (2 workers) vs a bare node:http server returning a
 * constant, all loaded by wrk over loopback. The reference runs twice: as users run it (the
 * command in ../shared/bench/README.md, default thread settings: `reference`) and tuned with
 * OMP_NUM_THREADS=1 (`reference_tuned`: one OpenMP thread per gunicorn worker instead of two
 * workers' OpenMP pools fighting over the same cores, several times faster here)
 * with 1-row and 1000-row CSV payloads; also the server CPU time per request (all its processes
 * and threads), a figure that moves less than throughput when the machine is shared.
 * Writes bench/results/serve.json.
 * All servers stay up and the wrk runs alternate between them in rounds.
 * Usage: npm run bench:serve [-- --duration 10 --connections 16 --rounds 2]
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseCsv, saveModel, train } from '../../src/learn/index.js';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '..', '..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const DURATION_S = arg('duration', 10);
const CONNECTIONS = arg('connections', 16);
/** Each server's DURATION_S per payload is split into this many alternating rounds. */
const ROUNDS = arg('rounds', 2);

interface Load {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}
interface Figures {
  rps_1row: number;
  p50_ms_1row: number;
  p99_ms_1row: number;
  /** Each round's p99 (the machine's noise shows as their spread). */
  p99_ms_1row_rounds: number[];
  rows_per_s_1000: number;
  p50_ms_1000: number;
  /** Server CPU (user + system, all processes/threads) per request: steadier than rps on a shared machine. */
  cpu_ms_1row: number;
  cpu_ms_1000: number;
}

function need(cmd: string, hint: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new Error(`${cmd} not found: ${hint}`);
}

function ms(v: string, unit: string): number {
  const x = Number(v);
  return unit === 'us' ? x / 1000 : unit === 's' ? x * 1000 : unit === 'm' ? x * 60000 : x;
}

function wrk(url: string, bodyFile: string, seconds: number): Promise<Load> {
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      // A long timeout: a slow server's answers count (and show in its latency) rather than vanish.
      [
        '-t1',
        `-c${CONNECTIONS}`,
        `-d${seconds}s`,
        '--timeout',
        '60s',
        '--latency',
        '-s',
        join(HERE, 'post.lua'),
        url,
      ],
      { env: { ...process.env, BODY_FILE: bodyFile } },
      (err, stdout) => {
        if (err) return reject(err);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
        const p = (q: string) => {
          const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s|m)`).exec(stdout);
          return m ? ms(m[1]!, m[2]!) : NaN;
        };
        const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
        if (non2xx) return reject(new Error(`${url}: ${non2xx[1]} error responses`));
        const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
        resolve({ rps, p50Ms: p('50'), p99Ms: p('99'), requests });
      },
    );
  });
}

async function waitFor(url: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`server for ${url} exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up in ${timeoutMs} ms`);
}

const children: ChildProcess[] = [];
function startChild(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  base: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const c = spawn(cmd, args, {
    cwd: HERE,
    env: { ...base, ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  children.push(c);
  return c;
}
function stopAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);

const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim() || 100);

/** CPU time (ms) used so far by a process and its children (gunicorn's workers). */
function cpuMs(pid: number): number {
  const kids = spawnSync('pgrep', ['-P', String(pid)])
    .stdout.toString()
    .split('\n')
    .filter(Boolean);
  let ticks = 0;
  for (const p of [String(pid), ...kids]) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* exited */
    }
  }
  return ticks * TICK_MS;
}

interface Server {
  label: string;
  base: string;
  pid: number;
}
interface Tally {
  rps: number[];
  p50: number[];
  p99: number[];
  requests: number;
  cpuMs: number;
}
const tally = (): Tally => ({ rps: [], p50: [], p99: [], requests: 0, cpuMs: 0 });

async function round(s: Server, body: string, t: Tally): Promise<void> {
  const c0 = cpuMs(s.pid);
  const l = await wrk(`${s.base}/predict/`, body, Math.max(1, Math.round(DURATION_S / ROUNDS)));
  t.cpuMs += cpuMs(s.pid) - c0;
  t.requests += l.requests;
  t.rps.push(l.rps);
  t.p50.push(l.p50Ms);
  t.p99.push(l.p99Ms);
}

/** Means over the rounds (rps, p50), the worst p99, and CPU over all requests. */
function figures(one: Tally, thousand: Tally): Figures {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    rps_1row: Math.round(mean(one.rps)),
    p50_ms_1row: r3(mean(one.p50)),
    p99_ms_1row: Math.max(...one.p99),
    p99_ms_1row_rounds: one.p99,
    rows_per_s_1000: Math.round(mean(thousand.rps) * 1000),
    p50_ms_1000: r3(mean(thousand.p50)),
    cpu_ms_1row: r3(one.cpuMs / one.requests),
    cpu_ms_1000: r3(thousand.cpuMs / thousand.requests),
  };
}

need('wrk', 'apt-get install -y wrk');
need('gunicorn', 'apt-get install -y gunicorn python3-flask python3-pandas python3-sklearn');
if (!existsSync(join(ROOT, 'dist/cli/index.js'))) throw new Error('dist/ not built: npm run build');
const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
const csvText = readFileSync(join(ROOT, 'test/fixtures/datasets/breast_cancer.csv'), 'utf8').trim();
const frame = parseCsv(Buffer.from(csvText), { categorical: ['target'] });
const models: Record<string, string> = {};
for (const [name, learner, params] of [
  ['gbdt', 'gbdt', { n_estimators: 100 }],
  ['logreg', 'logistic_regression', {}],
] as const) {
  models[name] = join(dir, `${name}.myd`);
  writeFileSync(models[name]!, saveModel(train(learner, frame, 'target', params).model));
}
// Payloads: feature columns only (both servers select the model's columns by name).
const lines = csvText.split('\n').map((l) => l.split(',').slice(0, -1).join(','));
const oneFile = join(dir, 'one.csv');
const thousandFile = join(dir, 'thousand.csv');
writeFileSync(oneFile, `${lines[0]}\n${lines[1]}\n`);
writeFileSync(
  thousandFile,
  [lines[0], ...Array.from({ length: 1000 }, (_, i) => lines[1 + (i % (lines.length - 1))])].join('\n') +
    '\n',
);

// Every server runs for the whole benchmark and the measurements alternate between them (order
// reversed every other round), so a change in the machine's load during the run hits all alike.
let port = 18700;
const servers: Server[] = [];
const bareChild = startChild(process.execPath, [join(HERE, 'bare-server.mjs'), String(++port)]);
servers.push({ label: 'bare', base: `http://127.0.0.1:${port}`, pid: bareChild.pid! });
await waitFor(`http://127.0.0.1:${port}/`, 10_000, bareChild);
for (const kind of ['gbdt', 'logreg']) {
  // Our server as users start it (the bundled CLI): one process, and two worker processes on one
  // port like the reference's two gunicorn workers.
  for (const [label, workers] of [
    ['ours', '1'],
    ['ours_2w', '2'],
  ] as const) {
    const ourPort = ++port;
    const ours = startChild(process.execPath, [
      join(ROOT, 'bin/modelyard.js'),
      'serve',
      models[kind]!,
      '--address',
      `127.0.0.1:${ourPort}`,
      '--workers',
      workers,
    ]);
    await waitFor(`http://127.0.0.1:${ourPort}/ping/`, 60_000, ours);
    servers.push({ label: `${label} ${kind}`, base: `http://127.0.0.1:${ourPort}`, pid: ours.pid! });
  }
  for (const [label, env] of [
    ['reference', {}],
    ['reference_tuned', { OMP_NUM_THREADS: '1' }],
  ] as const) {
    const refPort = ++port;
    // OMP_NUM_THREADS from our own environment would turn the as-run reference into the tuned one.
    const { OMP_NUM_THREADS: _omp, ...inherited } = process.env;
    const ref = startChild(
      'gunicorn',
      ['-w', '2', '--timeout', '600', '-b', `127.0.0.1:${refPort}`, 'ref_server:app'],
      { MODEL_KIND: kind, ...env },
      inherited,
    );
    await waitFor(`http://127.0.0.1:${refPort}/ping/`, 300_000, ref);
    servers.push({ label: `${label} ${kind}`, base: `http://127.0.0.1:${refPort}`, pid: ref.pid! });
  }
}
// Warm-up (JIT, caches, pandas imports), not recorded.
for (const srv of servers) await wrk(`${srv.base}/predict/`, oneFile, DURATION_S);
const tallies = new Map(servers.map((srv) => [srv.label, { one: tally(), thousand: tally() }]));
for (const [payload, file] of [
  ['one', oneFile],
  ['thousand', thousandFile],
] as const) {
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? servers : [...servers].reverse();
    for (const srv of order) await round(srv, file, tallies.get(srv.label)![payload]);
  }
}
const figuresOf = (label: string) => {
  const t = tallies.get(label)!;
  return figures(t.one, t.thousand);
};
const bare = figuresOf('bare');
const results: Record<
  string,
  { ours: Figures; ours_2w: Figures; reference: Figures; reference_tuned: Figures }
> = {};
for (const kind of ['gbdt', 'logreg']) {
  const o = figuresOf(`ours ${kind}`);
  const w = figuresOf(`ours_2w ${kind}`);
  const r = figuresOf(`reference ${kind}`);
  const t = figuresOf(`reference_tuned ${kind}`);
  results[kind] = { ours: o, ours_2w: w, reference: r, reference_tuned: t };
  console.log(
    `${kind}: ours ${o.rps_1row} req/s (p99 ${o.p99_ms_1row} ms), ${o.rows_per_s_1000} rows/s; ours_2w ${w.rps_1row} req/s (p99 ${w.p99_ms_1row} ms), ${w.rows_per_s_1000} rows/s; reference ${r.rps_1row} req/s (p99 ${r.p99_ms_1row} ms), ${r.rows_per_s_1000} rows/s; reference_tuned ${t.rps_1row} req/s, ${t.rows_per_s_1000} rows/s`,
  );
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const g = results.gbdt!;
const ratios = Object.fromEntries(
  Object.entries(results).map(([k, v]) => [
    k,
    {
      ours_vs_bare_rps_1row: ratio(v.ours.rps_1row, bare.rps_1row),
      // The same comparison at equal CPU: bare's CPU per request over ours (1 = as cheap as bare).
      bare_vs_ours_cpu_per_request_1row: ratio(bare.cpu_ms_1row, v.ours.cpu_ms_1row),
      ours_vs_reference_rps_1row: ratio(v.ours.rps_1row, v.reference.rps_1row),
      ours_vs_reference_rows_per_s_1000: ratio(v.ours.rows_per_s_1000, v.reference.rows_per_s_1000),
      // Two worker processes each, like the reference's two gunicorn workers.
      ours_2w_vs_reference_rps_1row: ratio(v.ours_2w.rps_1row, v.reference.rps_1row),
      ours_2w_vs_reference_rows_per_s_1000: ratio(v.ours_2w.rows_per_s_1000, v.reference.rows_per_s_1000),
      ours_2w_vs_ours_rows_per_s_1000: ratio(v.ours_2w.rows_per_s_1000, v.ours.rows_per_s_1000),
      reference_vs_ours_cpu_per_request_1row: ratio(v.reference.cpu_ms_1row, v.ours.cpu_ms_1row),
      reference_vs_ours_cpu_per_request_1000: ratio(v.reference.cpu_ms_1000, v.ours.cpu_ms_1000),
      // Against the reference tuned with OMP_NUM_THREADS=1: the stricter comparison.
      ours_vs_reference_tuned_rps_1row: ratio(v.ours.rps_1row, v.reference_tuned.rps_1row),
      ours_vs_reference_tuned_rows_per_s_1000: ratio(
        v.ours.rows_per_s_1000,
        v.reference_tuned.rows_per_s_1000,
      ),
      ours_2w_vs_reference_tuned_rps_1row: ratio(v.ours_2w.rps_1row, v.reference_tuned.rps_1row),
      ours_2w_vs_reference_tuned_rows_per_s_1000: ratio(
        v.ours_2w.rows_per_s_1000,
        v.reference_tuned.rows_per_s_1000,
      ),
      reference_tuned_vs_ours_cpu_per_request_1000: ratio(v.reference_tuned.cpu_ms_1000, v.ours.cpu_ms_1000),
    },
  ]),
);
const out = {
  benchmark: 'serve',
  protocol: `wrk -t1 -c${CONNECTIONS} over loopback, POST text/csv to /predict/; 1-row and 1000-row breast_cancer payloads; per server and payload ${DURATION_S}s in ${ROUNDS} rounds alternating between the servers (order reversed every other round); rps and p50 are means over the rounds, p99 the worst round (each round's in p99_ms_1row_rounds); a ${DURATION_S}s 1-row warm-up per server first; ours is \`modelyard serve\` (the bundled CLI, one process), ours_2w \`modelyard serve --workers 2\` (node:cluster, 2 worker processes + an idle primary), the reference gunicorn with 2 workers, as users run it (reference) and with OMP_NUM_THREADS=1 (reference_tuned); wrk runs on the same ${cpus().length} cores and takes CPU from whichever server it loads`,
  headline_model: 'gbdt (100 trees)',
  ours: g.ours,
  ours_2w: g.ours_2w,
  reference: g.reference,
  reference_tuned: g.reference_tuned,
  bare_node: bare,
  models: results,
  ratios,
  goals: {
    'rps_1row >= 50% of bare node': ratios.gbdt!.ours_vs_bare_rps_1row >= 0.5,
    'p99_1row <= 2 ms': g.ours.p99_ms_1row <= 2,
    'rps_1row >= 50x reference': ratios.gbdt!.ours_vs_reference_rps_1row >= 50,
    'rows/s 1000 >= 20x reference': ratios.gbdt!.ours_vs_reference_rows_per_s_1000 >= 20,
    'rps_1row >= 50x reference (ours_2w)': ratios.gbdt!.ours_2w_vs_reference_rps_1row >= 50,
    'rows/s 1000 >= 20x reference (ours_2w)': ratios.gbdt!.ours_2w_vs_reference_rows_per_s_1000 >= 20,
    'rps_1row >= 50x reference_tuned': ratios.gbdt!.ours_vs_reference_tuned_rps_1row >= 50,
    'rows/s 1000 >= 20x reference_tuned': ratios.gbdt!.ours_vs_reference_tuned_rows_per_s_1000 >= 20,
    'rows/s 1000 >= 20x reference_tuned (ours_2w)':
      ratios.gbdt!.ours_2w_vs_reference_tuned_rows_per_s_1000 >= 20,
  },
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGb: Math.round(totalmem() / 1e9),
    node: process.version,
    loadavg: (await import('node:os')).loadavg(),
  },
  date: new Date().toISOString(),
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/serve.json'), JSON.stringify(out, null, 2) + '\n');
const row = (n: string, f: Figures) =>
  `${n.padEnd(22)} ${String(f.rps_1row).padStart(9)} ${f.p50_ms_1row.toFixed(2).padStart(8)} ${f.p99_ms_1row.toFixed(2).padStart(8)} ${String(f.rows_per_s_1000).padStart(12)} ${f.cpu_ms_1row.toFixed(3).padStart(10)} ${f.cpu_ms_1000.toFixed(2).padStart(10)}`;
console.log(
  `\n${'server'.padEnd(22)} ${'req/s 1row'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'rows/s 1000'.padStart(12)} ${'cpu ms 1row'.padStart(10)} ${'cpu ms 1000'.padStart(10)}`,
);
for (const [k, v] of Object.entries(results)) {
  console.log(row(`ours ${k}`, v.ours));
  console.log(row(`ours_2w ${k}`, v.ours_2w));
  console.log(row(`reference ${k}`, v.reference));
  console.log(row(`reference_tuned ${k}`, v.reference_tuned));
}
console.log(row('bare node:http', bare));
console.log('\nratios', JSON.stringify(ratios));
console.log('goals', JSON.stringify(out.goals));
stopAll();
