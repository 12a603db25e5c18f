/** Aggregates per-seed runs into the medians, IQRs, anytime means and verdicts the bench prints. */
import { mean, median, quantile, verdict } from './stats.js';
import type { Verdict } from './stats.js';

/** One (problem, algorithm) sample set: per seed, log10 regret at each budget + anytime + timing. */
export interface Samples {
  at: Record<number, number[]>;
  anytime100: number[];
  msAt100: number[];
  msAt200: number[];
}

export interface Cell {
  median: number;
  q25: number;
  q75: number;
  n: number;
}

export interface Summary {
  at: Record<number, Cell | null>;
  anytime100: number | null;
  msAt100: number | null;
  msAt200: number | null;
}

export const emptySamples = (): Samples => ({ at: {}, anytime100: [], msAt100: [], msAt200: [] });

const finiteOnly = (v: number[]): number[] => v.filter((x) => Number.isFinite(x));
const round = (x: number, d = 3): number => Number(x.toFixed(d));

export function summarise(s: Samples, budgets: number[]): Summary {
  const at: Record<number, Cell | null> = {};
  for (const b of budgets) {
    const v = finiteOnly(s.at[b] ?? []);
    at[b] = v.length
      ? {
          median: round(median(v)),
          q25: round(quantile(v, 0.25)),
          q75: round(quantile(v, 0.75)),
          n: v.length,
        }
      : null;
  }
  const any = finiteOnly(s.anytime100);
  const m1 = finiteOnly(s.msAt100);
  const m2 = finiteOnly(s.msAt200);
  return {
    at,
    anytime100: any.length ? round(mean(any)) : null,
    msAt100: m1.length ? round(mean(m1), 2) : null,
    msAt200: m2.length ? round(mean(m2), 2) : null,
  };
}

export const fmtCell = (c: Cell | null | undefined): string =>
  c ? `${c.median.toFixed(2)} [${c.q25.toFixed(2)},${c.q75.toFixed(2)}]` : '·';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface Comparison {
  problem: string;
  ours: string;
  baseline: string;
  budget: number;
  oursMedian: number;
  baselineMedian: number;
  p: number;
  verdict: Verdict;
}

/** Compares our samples with the baseline's at one budget; null when either side is missing. */
export function compare(
  problem: string,
  ours: [string, Samples | undefined],
  baseline: [string, Samples | undefined],
  budget: number,
): Comparison | null {
  const a = finiteOnly(ours[1]?.at[budget] ?? []);
  const b = finiteOnly(baseline[1]?.at[budget] ?? []);
  if (a.length === 0 || b.length === 0) return null;
  const v = verdict(a, b);
  return {
    problem,
    ours: ours[0],
    baseline: baseline[0],
    budget,
    oursMedian: round(median(a)),
    baselineMedian: round(median(b)),
    p: round(v.p, 4),
    verdict: v.verdict,
  };
}
