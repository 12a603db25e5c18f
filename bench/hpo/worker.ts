/** Bench worker process: runs black-box and multi-fidelity jobs sent by run.ts over IPC. */
import { performance } from 'node:perf_hooks';
import { createStudy } from '../../src/tune/index.js';
import type { StudyOptions } from '../../src/tune/index.js';
import { getProblem } from './problems.js';
import { runFidelityJob } from './fidelity.js';
import type { FidelityJob } from './fidelity.js';

/** Our algorithms as the bench names them. */
export const OUR_ALGOS: Record<string, Pick<StudyOptions, 'algorithm' | 'algorithmOptions'>> = {
  random: { algorithm: 'random' },
  tpe: { algorithm: 'tpe' },
  'tpe-indep': { algorithm: 'tpe', algorithmOptions: { multivariate: false } },
  gp: { algorithm: 'gp' },
};

export interface BlackBoxJob {
  kind: 'bb';
  problem: string;
  algo: string;
  seed: number;
  budget: number;
  sharedDir: string;
  variants?: [string, string][];
}

export interface BlackBoxResult {
  kind: 'bb';
  problem: string;
  algo: string;
  seed: number;
  /** log10 of the best simple regret after t trials (floor 1e-8), t = 1..budget. */
  trace: number[];
  msAt100: number;
  msAt200: number;
}

/** `--variant name='{"algorithm":"tpe","algorithmOptions":{…}}'` adds experimental configurations. */
export function addVariant(name: string, json: string): void {
  OUR_ALGOS[name] = JSON.parse(json) as Pick<StudyOptions, 'algorithm' | 'algorithmOptions'>;
}

export function runBlackBox(job: BlackBoxJob): BlackBoxResult {
  const p = getProblem(job.problem, job.sharedDir);
  for (const [name, json] of job.variants ?? []) addVariant(name, json);
  const study = createStudy({ space: p.space, seed: job.seed, ...OUR_ALGOS[job.algo]! });
  const trace: number[] = [];
  const askMs: number[] = [];
  let best = Infinity;
  for (let t = 0; t < job.budget; t++) {
    const t0 = performance.now();
    const trial = study.ask();
    askMs.push(performance.now() - t0);
    if (!trial) break;
    const r = p.regret(trial.params);
    study.tell(trial.id, { value: r });
    best = Math.min(best, r);
    trace.push(Math.log10(Math.max(best, 1e-8)));
  }
  const window = (end: number): number => {
    const w = askMs.slice(Math.max(0, end - 10), end);
    return w.length ? w.reduce((a, b) => a + b, 0) / w.length : NaN;
  };
  return {
    kind: 'bb',
    problem: job.problem,
    algo: job.algo,
    seed: job.seed,
    trace,
    msAt100: window(100),
    msAt200: window(200),
  };
}

if (process.send) {
  process.on('message', (job: BlackBoxJob | FidelityJob | { kind: 'exit' }) => {
    if (job.kind === 'exit') process.exit(0);
    const result = job.kind === 'bb' ? runBlackBox(job) : runFidelityJob(job);
    process.send!(result);
  });
}
