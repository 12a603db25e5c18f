/**
 * bench/runs/warm-threads: 5 consecutive built-in GBDT trainings through the thread executor, on a
 * fresh thread per task (maxIdle 0: as before threads were kept) vs on warm pooled threads (the
 * default pool settings). Both in the same process, rounds alternating A/B; the figure is the
 * median over rounds of each sequence's wall time, and of each position in the sequence. Also the
 * latency of a trivial task (sample-tasks 'succeed') each way: the part of the difference that is
 * thread start-up (worker, tsx when run from source, module loading) rather than V8 warm-up.
 *
 *   npx tsx bench/runs/warm-threads.ts        (BENCH_WARM_ROWS, BENCH_WARM_TREES, BENCH_WARM_ROUNDS)
 */
import { cpus, loadavg } from 'node:os';
import { createThreadExecutor, type ThreadExecutor } from '../../src/infra/executor/thread-executor.js';
import type { BuiltinTrainInput, BuiltinTrainOutput } from '../../src/modules/runs/builtin-train.worker.js';

const ROWS = Number(process.env.BENCH_WARM_ROWS ?? 50_000);
const TREES = Number(process.env.BENCH_WARM_TREES ?? 100);
const ROUNDS = Number(process.env.BENCH_WARM_ROUNDS ?? 3);
const SEQUENCE = 5;
const FEATURES = 10;

/** Deterministic synthetic binary task: a nonlinear logit of the features, plus label noise. */
function dataset(): BuiltinTrainInput {
  let seed = 42;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const lines = [[...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'y'].join(',')];
  const assignment = new Uint8Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    const x = Array.from({ length: FEATURES }, () => rand() * 2 - 1);
    const logit = 2 * x[0]! * x[1]! + Math.sin(3 * x[2]!) - x[3]! ** 2 + 0.5 * x[4]!;
    const y = rand() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    lines.push([...x.map((v) => v.toFixed(5)), y].join(','));
    assignment[i] = i % 10 === 0 ? 1 : i % 10 === 1 ? 2 : 0;
  }
  return {
    learner: 'gbdt',
    params: { n_estimators: TREES },
    target: 'y',
    csv: new TextEncoder().encode(lines.join('\n') + '\n'),
    assignment,
  };
}

async function sequence(exec: ThreadExecutor, input: BuiltinTrainInput): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SEQUENCE; i++) {
    const t0 = performance.now();
    const execution = await exec.start({
      module: exec.moduleUrl('modules/runs/builtin-train.worker'),
      input,
    });
    const result = await execution.wait();
    if (result.exitCode !== 0) throw new Error(`training failed: ${result.error ?? result.reason}`);
    const out = result.value as BuiltinTrainOutput;
    if (!(out.iterations > 0)) throw new Error('no iterations');
    times.push(performance.now() - t0);
  }
  return times;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function trivial(exec: ThreadExecutor): Promise<number> {
  const t0 = performance.now();
  const execution = await exec.start({
    module: exec.moduleUrl('infra/executor/sample-tasks.worker'),
    input: { mode: 'succeed' },
  });
  if ((await execution.wait()).exitCode !== 0) throw new Error('trivial task failed');
  return performance.now() - t0;
}

const input = dataset();
const cold = createThreadExecutor({ pool: { maxIdle: 0 } });
const warm = createThreadExecutor({ pool: { maxIdle: 2, idleTimeoutMs: 60_000 } });
const runs: Record<'cold' | 'warm', number[][]> = { cold: [], warm: [] };
for (let round = 0; round < ROUNDS; round++) {
  // Each warm sequence starts from a new thread too: only reuse within the sequence counts.
  await warm.close();
  for (const name of round % 2 ? (['warm', 'cold'] as const) : (['cold', 'warm'] as const)) {
    const times = await sequence(name === 'cold' ? cold : warm, input);
    runs[name].push(times);
    console.log(`round ${round + 1} ${name}: ${times.map((t) => t.toFixed(0)).join(' ')} ms`);
  }
}
await warm.close();
const trivialTimes = { cold: [] as number[], warm: [] as number[] };
await trivial(warm);
for (let i = 0; i < 10; i++) {
  trivialTimes.cold.push(await trivial(cold));
  trivialTimes.warm.push(await trivial(warm));
}
await warm.close();

const row = (name: 'cold' | 'warm') => {
  const totals = runs[name].map((ts) => ts.reduce((a, b) => a + b, 0));
  const perPosition = Array.from({ length: SEQUENCE }, (_, i) => median(runs[name].map((ts) => ts[i]!)));
  return { total: median(totals), perPosition };
};
const c = row('cold');
const w = row('warm');
console.log(
  `\n${ROWS} rows × ${FEATURES} features, ${TREES} trees, ${SEQUENCE} trainings in a row, median of ${ROUNDS} rounds` +
    ` (${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)})`,
);
console.log('| threads | total ms | per training ms (1st … 5th) |');
console.log('|---|---|---|');
for (const [name, r] of [
  ['new thread per task (before)', c],
  ['warm pooled threads (after)', w],
] as const)
  console.log(`| ${name} | ${r.total.toFixed(0)} | ${r.perPosition.map((t) => t.toFixed(0)).join(' · ')} |`);
console.log(`warm/cold total: ${(w.total / c.total).toFixed(2)}`);
console.log(
  `trivial task: new thread ${median(trivialTimes.cold).toFixed(1)} ms, warm thread ${median(trivialTimes.warm).toFixed(1)} ms (median of 10)`,
);
