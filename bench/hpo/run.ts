/**
 * npm run bench:hpo [-- --seeds 20 --budgets 50,100,200 --algos random,tpe,tpe-indep,gp --problems a,b
 *                      --workers 2 --no-optuna --install-optuna --no-fidelity --gp-budget 100
 *                      --optuna-seeds 20 --optuna-samplers tpe,random,cmaes
 *                      --variant name='{"algorithm":"tpe","algorithmOptions":{…}}' --out file]
 * Runs our samplers on the synthetic suite and HPOLib tables, Optuna 3.1 live on the same problems,
 * compares with the stored Optuna v5/v4.5 runs, prints the tables and writes bench/results/hpo.json.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYNTHETIC, MULTI_FIDELITY } from './functions.js';
import { HPOLIB_DATASETS } from './problems.js';
import { loadReferenceRuns } from './reference.js';
import { runPool } from './pool.js';
import type { BlackBoxJob, BlackBoxResult } from './worker.js';
import type { FidelityJob, FidelityResult } from './fidelity.js';
import { FIDELITY_ALGOS, summariseFidelity } from './fidelity.js';
import { runOptunaLive } from './optuna.js';
import { emptySamples, summarise } from './report.js';
import type { Samples } from './report.js';
import { printReport } from './print.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const variants: [string, string][] = process.argv
  .map((a, i) => (a === '--variant' ? process.argv[i + 1] : undefined))
  .filter((v): v is string => !!v)
  .map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]);

const seeds = Number(arg('seeds', '20'));
const budgets = arg('budgets', '50,100,200').split(',').map(Number);
const maxBudget = Math.max(...budgets, 100);
const algos = arg('algos', 'random,tpe,gp').split(',');
// The GP's cost grows with n²–n³; its budget can be capped separately (Optuna's GP reference stops at 100).
const gpBudget = Number(arg('gp-budget', String(maxBudgetOf())));
const optunaSeeds = Number(arg('optuna-seeds', arg('seeds', '20')));
const optunaSamplers = arg('optuna-samplers', 'tpe,random,cmaes');
function maxBudgetOf(): number {
  return Math.max(...arg('budgets', '50,100,200').split(',').map(Number), 100);
}
const workers = Number(arg('workers', '2'));
const sharedDir = resolve(arg('shared', process.env.MODELYARD_HPO_SHARED ?? join(ROOT, '../shared/hpo')));
const haveShared = existsSync(sharedDir);

const synthetic = SYNTHETIC.map((p) => p.name);
const tabular = haveShared ? HPOLIB_DATASETS.map((d) => `hpolib_${d}`) : [];
const problemFilter = arg('problems', '');
const problems = [...synthetic, ...tabular].filter(
  (p) => !problemFilter || problemFilter.split(',').includes(p),
);

async function main(): Promise<void> {
  const started = Date.now();
  if (!haveShared) {
    console.log(`NOTE: ${sharedDir} is absent: HPOLib problems and stored Optuna runs are skipped.`);
  }
  console.log(
    `bench:hpo — ${problems.length} problems × ${algos.join('/')} × ${seeds} seeds, budget ${maxBudget}, ${workers} workers`,
  );

  // Expensive algorithms first so the two workers finish together.
  const cost = (a: string): number => (a === 'gp' ? 3 : a.startsWith('tpe') ? 1 : 0);
  const jobs: (BlackBoxJob | FidelityJob)[] = [];
  for (const algo of [...algos].sort((a, b) => cost(b) - cost(a))) {
    for (const problem of problems) {
      for (let seed = 0; seed < seeds; seed++)
        jobs.push({
          kind: 'bb',
          problem,
          algo,
          seed,
          budget: algo === 'gp' ? gpBudget : maxBudget,
          sharedDir,
          variants,
        });
    }
  }
  if (!flag('no-fidelity')) {
    for (const problem of MULTI_FIDELITY.map((p) => p.name)) {
      for (const algo of FIDELITY_ALGOS)
        for (let seed = 0; seed < seeds; seed++) jobs.push({ kind: 'mf', problem, algo, seed });
    }
  }
  const results = await runPool<BlackBoxJob | FidelityJob, BlackBoxResult | FidelityResult>(
    jobs,
    workers,
    (_r, done) => {
      if (done % 50 === 0 || done === jobs.length) process.stdout.write(`  ${done}/${jobs.length} runs\r`);
    },
  );
  console.log(`\nour runs: ${((Date.now() - started) / 1000).toFixed(0)} s`);

  // samples[problem][algo]
  const samples: Record<string, Record<string, Samples>> = {};
  const add = (problem: string, algo: string): Samples =>
    ((samples[problem] ??= {})[algo] ??= emptySamples());
  for (const r of results) {
    if (r.kind !== 'bb') continue;
    const s = add(r.problem, r.algo);
    for (const b of budgets) (s.at[b] ??= []).push(r.trace[b - 1] ?? NaN);
    s.anytime100.push(r.trace.slice(0, 100).reduce((a, v) => a + v, 0) / Math.min(100, r.trace.length));
    s.msAt100.push(r.msAt100);
    s.msAt200.push(r.msAt200);
  }

  const optunaStarted = Date.now();
  const live = flag('no-optuna')
    ? { status: 'skipped (--no-optuna)', runs: [] }
    : await runOptunaLive({
        problems,
        seeds: optunaSeeds,
        samplers: optunaSamplers,
        budget: maxBudget,
        workers,
        sharedDir,
        install: flag('install-optuna'),
      });
  console.log(`Optuna live: ${live.status} (${((Date.now() - optunaStarted) / 1000).toFixed(0)} s)`);
  for (const r of live.runs) {
    const s = add(r.problem, r.algo);
    for (const b of budgets) (s.at[b] ??= []).push(r.trace[b - 1] ?? NaN);
    s.anytime100.push(r.trace.slice(0, 100).reduce((a, v) => a + v, 0) / Math.min(100, r.trace.length));
    s.msAt100.push(r.msAt100);
    s.msAt200.push(r.msAt200);
  }

  const refs = haveShared ? loadReferenceRuns(join(sharedDir, 'optuna-reference-runs.csv')) : null;
  if (!refs) console.log('NOTE: stored Optuna reference runs not found; stored comparison skipped.');
  for (const r of refs ?? []) {
    if (!problems.includes(r.problem)) continue;
    const s = add(r.problem, `stored:${r.algo}`);
    for (const b of budgets) (s.at[b] ??= []).push(r.at[b] ?? NaN);
    s.anytime100.push(r.anytime100);
    // The CSV has seconds per whole run; per-suggestion cost at n=100/200 is not separable, leave timing empty.
  }

  const summaries: Record<string, Record<string, ReturnType<typeof summarise>>> = {};
  for (const [p, byAlgo] of Object.entries(samples)) {
    summaries[p] = {};
    for (const [a, s] of Object.entries(byAlgo)) summaries[p]![a] = summarise(s, budgets);
  }
  const fidelity = summariseFidelity(results.filter((r): r is FidelityResult => r.kind === 'mf'));
  const report = printReport({
    samples,
    summaries,
    budgets,
    synthetic,
    tabular,
    liveStatus: live.status,
    fidelity,
  });

  const out = {
    generatedAt: new Date().toISOString(),
    command: `npm run bench:hpo -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memBytes: totalmem(), node: process.version },
    config: {
      seeds,
      budgets,
      algos,
      gpBudget,
      optunaSeeds,
      optunaSamplers,
      workers,
      sharedDir: haveShared ? sharedDir : null,
      optunaLive: live.status,
    },
    wallSeconds: Math.round((Date.now() - started) / 1000),
    results: summaries,
    comparisons: report.comparisons,
    fidelity,
    summary: report.summary,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(resolve(ROOT, arg('out', 'bench/results/hpo.json')), JSON.stringify(out, null, 1) + '\n');
  console.log(`\nwrote ${arg('out', 'bench/results/hpo.json')} (${out.wallSeconds} s total)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
