/** Multi-fidelity jobs (filled in with Hyperband/ASHA/median stopping). */
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
  /** [cumulative resource units, log10 best regret at full fidelity] after each finished evaluation. */
  curve: [number, number][];
}
export function runFidelityJob(job: FidelityJob): FidelityResult {
  return { kind: 'mf', problem: job.problem, algo: job.algo, seed: job.seed, curve: [] };
}
export const FIDELITY_ALGOS: string[] = [];
export interface FidelitySummary {
  goal: unknown;
  print(): void;
}
export function summariseFidelity(_r: FidelityResult[]): FidelitySummary {
  return { goal: null, print: () => undefined };
}
