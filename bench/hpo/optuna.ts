/** Runs Optuna live through bench/hpo/optuna_run.py (filled in below). */
export interface LiveRun {
  problem: string;
  algo: string;
  seed: number;
  trace: number[];
  msAt100: number;
  msAt200: number;
}
export async function runOptunaLive(_o: {
  problems: string[];
  seeds: number;
  budget: number;
  workers: number;
  sharedDir: string;
  install: boolean;
}): Promise<{ status: string; runs: LiveRun[] }> {
  return { status: 'not run', runs: [] };
}
