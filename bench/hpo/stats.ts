/** Summary statistics and the hpo.md §5.4 decision rule. */
import { normCdf } from '../../src/tune/math.js';

export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (v: readonly number[]): number => quantile(v, 0.5);
export const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * One-sided Mann–Whitney U test, H1: values in `a` tend to be smaller than in `b`.
 * Normal approximation with tie correction and continuity correction (fine for n = 20 each).
 */
export function mannWhitneyLess(a: readonly number[], b: readonly number[]): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return 1;
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Float64Array(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  let r1 = 0;
  all.forEach((e, i) => {
    if (e.g === 0) r1 += ranks[i]!;
  });
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return 1;
  // Small U means `a` ranks low (better); p = P(U ≤ u1) under H0.
  return normCdf((u1 - mu + 0.5) / sigma);
}

export type Verdict = 'win' | 'match' | 'lose';

/** hpo.md §5.4: beats = lower median and p < 0.05; matches = median within +0.1 decades. */
export function verdict(
  ours: readonly number[],
  baseline: readonly number[],
): { verdict: Verdict; p: number } {
  const mo = median(ours);
  const mb = median(baseline);
  const p = mannWhitneyLess(ours, baseline);
  if (mo < mb && p < 0.05) return { verdict: 'win', p };
  if (mo <= mb + 0.1) return { verdict: 'match', p };
  return { verdict: 'lose', p };
}
