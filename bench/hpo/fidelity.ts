/**
 * Suite P (hpo.md §5.1): multi-fidelity functions with K = 27 steps, intermediate value at step k
 * = f(x, s = k/K). Compares full-budget random search with Hyperband, ASHA (WMLA-style: each
 * trial trains with the proposed resource from scratch, so cost = resource, no checkpoint reuse)
 * and random search with the median / successive-halving pruners (cost = steps actually run).
 */
import { createStudy } from '../../src/tune/index.js';
import type { StudyOptions } from '../../src/tune/index.js';
import { MULTI_FIDELITY } from './functions.js';
import { floatSpace, toVector } from './problems.js';
import { median } from './stats.js';

export const FIDELITY_ALGOS = ['random-full', 'hyperband', 'asha', 'random+median', 'random+sha'];
const K = 27;
/** Resource budget per run: 100 full-fidelity evaluations. */
const BUDGET = 100 * K;

export interface FidelityJob {
  kind: 'mf';
  problem: string;
  algo: string;
  seed: number;
}
export interface FidelityResult {
  kind: 'mf';
  problem: string;
  algo: string;
  seed: number;
  /** [cumulative resource units, log10 best regret among full-fidelity evaluations]. */
  curve: [number, number][];
}

export function runFidelityJob(job: FidelityJob): FidelityResult {
  const p = MULTI_FIDELITY.find((m) => m.name === job.problem)!;
  const d = p.bounds.length;
  const space = floatSpace(p.bounds);
  const opts: Record<string, Partial<StudyOptions>> = {
    'random-full': { algorithm: 'random' },
    hyperband: {
      algorithm: 'hyperband',
      algorithmOptions: { resourceName: 'steps', maxResource: K, eta: 3 },
    },
    asha: { algorithm: 'asha', algorithmOptions: { resourceName: 'steps', maxResource: K, eta: 3 } },
    'random+median': { algorithm: 'random', pruner: 'median' },
    'random+sha': {
      algorithm: 'random',
      pruner: 'successive-halving',
      prunerOptions: { reductionFactor: 3 },
    },
  };
  const study = createStudy({ space, seed: job.seed, ...opts[job.algo]! });
  const curve: [number, number][] = [];
  let used = 0;
  let best = Infinity;
  const record = (x: number[], full: boolean): void => {
    if (full) best = Math.min(best, p.f(x, 1) - p.fStar);
    if (Number.isFinite(best)) curve.push([used, Math.log10(Math.max(best, 1e-8))]);
  };
  while (used < BUDGET) {
    const t = study.ask()!;
    const x = toVector(t.params, d);
    if (job.algo === 'hyperband' || job.algo === 'asha') {
      const steps = t.params.steps as number;
      used += steps;
      study.tell(t.id, { value: p.f(x, steps / K) });
      record(x, steps >= K);
    } else if (job.algo === 'random-full') {
      used += K;
      study.tell(t.id, { value: p.f(x, 1) });
      record(x, true);
    } else {
      let pruned = false;
      for (let k = 1; k <= K; k++) {
        used++;
        if (study.tell(t.id, { intermediate: { step: k, value: p.f(x, k / K) } }).prune) {
          study.tell(t.id, { pruned: true });
          pruned = true;
          break;
        }
      }
      if (!pruned) study.tell(t.id, { value: p.f(x, 1) });
      record(x, !pruned);
    }
  }
  return { kind: 'mf', problem: job.problem, algo: job.algo, seed: job.seed, curve };
}

export interface FidelitySummary {
  goal: unknown;
  print(): void;
}

/** Units needed to reach the target regret (random-full's median best after 30 full evaluations). */
export function summariseFidelity(results: FidelityResult[]): FidelitySummary {
  const goal: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const p of MULTI_FIDELITY.map((m) => m.name)) {
    const of = (algo: string): FidelityResult[] => results.filter((r) => r.problem === p && r.algo === algo);
    const full = of('random-full');
    if (full.length === 0) continue;
    const bestAt = (r: FidelityResult, units: number): number => {
      let v = Infinity;
      for (const [u, lr] of r.curve) if (u <= units) v = lr;
      return v;
    };
    const target = median(full.map((r) => bestAt(r, 30 * K)));
    const unitsTo = (r: FidelityResult): number => r.curve.find(([, lr]) => lr <= target)?.[0] ?? Infinity;
    const row: Record<string, { medianUnits: number | null; finalLog10Regret: number }> = {};
    for (const algo of FIDELITY_ALGOS) {
      const rs = of(algo);
      if (rs.length === 0) continue;
      const u = median(rs.map(unitsTo));
      row[algo] = {
        medianUnits: Number.isFinite(u) ? u : null,
        finalLog10Regret: Number(median(rs.map((r) => bestAt(r, BUDGET))).toFixed(3)),
      };
    }
    const ref = row['random-full']?.medianUnits ?? Infinity;
    const fewer = (a: string): boolean => (row[a]?.medianUnits ?? Infinity) < ref;
    goal[p] = {
      targetLog10Regret: Number(target.toFixed(3)),
      units: row,
      hyperbandFewer: fewer('hyperband'),
      ashaFewer: fewer('asha'),
    };
    lines.push(
      `  ${p}: target log10 regret ${target.toFixed(2)}; median units to reach it: ` +
        Object.entries(row)
          .map(([a, v]) => `${a} ${v.medianUnits ?? '>' + BUDGET} (final ${v.finalLog10Regret.toFixed(2)})`)
          .join(', '),
    );
  }
  return {
    goal,
    print() {
      if (lines.length === 0) return;
      console.log(
        `\nMulti-fidelity (K=${K} steps, budget ${BUDGET} units; target = random-full's median after 30 full evaluations)`,
      );
      for (const l of lines) console.log(l);
    },
  };
}
