/** Reads the stored per-seed Optuna runs (../shared/hpo/optuna-reference-runs.csv). */
import { existsSync, readFileSync } from 'node:fs';

export interface RefRun {
  problem: string;
  algo: string;
  seed: number;
  /** log10 simple regret at 50/100/200 trials (NaN when not run). */
  at: Record<number, number>;
  anytime100: number;
  secPerRun: number;
}

/** Returns null when the file is absent (the bench then says so and skips the stored comparison). */
export function loadReferenceRuns(path: string): RefRun[] | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string): number => header.indexOf(name);
  const num = (s: string | undefined): number => (s === undefined || s === '' ? NaN : Number(s));
  return lines.slice(1).map((line) => {
    const c = line.split(',');
    return {
      problem: c[col('problem')]!,
      algo: `optuna-${c[col('optuna_version')]}:${c[col('sampler')]}`,
      seed: Number(c[col('seed')]),
      at: { 50: num(c[col('at_50')]), 100: num(c[col('at_100')]), 200: num(c[col('at_200')]) },
      anytime100: num(c[col('mean_log10_regret_t1_100')]),
      secPerRun: num(c[col('sec_per_run')]),
    };
  });
}
