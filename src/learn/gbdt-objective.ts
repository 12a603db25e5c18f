/** GBDT objectives: base scores, gradients/hessians and the loss reported per round. */
import type { Target } from './types.js';

/** Prior score: mean (regression), log-odds (binary) or log class priors (multiclass). */
export function baseScore(target: Target, y: Float64Array, K: number): Float64Array {
  const n = y.length;
  if (target.task === 'regression') return Float64Array.of(y.reduce((a, b) => a + b, 0) / n);
  const counts = new Float64Array(Math.max(K, 2));
  for (let i = 0; i < n; i++) counts[y[i]!]! += 1;
  const prior = (c: number): number => Math.min(1 - 1e-6, Math.max(1e-6, c / n));
  if (target.task === 'binary') return Float64Array.of(Math.log(prior(counts[1]!) / (1 - prior(counts[1]!))));
  return Float64Array.from({ length: K }, (_, k) => Math.log(prior(counts[k]!)));
}

/** Every row starts at the base score. */
export function initScores(n: number, base: Float64Array): Float64Array {
  const K = base.length;
  const s = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) s[i * K + k] = base[k]!;
  return s;
}

/**
 * First and second derivatives of the loss at the current scores for rows [start, end),
 * interleaved per row ([g0, h0, g1, h1, ...]) in gh[k] for class k, so a histogram pass reads one
 * cache line per row. Self-contained (no outer references): its source is also run by the
 * histogram worker, which computes half of the rows.
 */
export function computeGradients(
  t: Pick<Target, 'task'>,
  y: Float64Array,
  s: Float64Array,
  K: number,
  gh: Float64Array[],
  start = 0,
  end = y.length,
): void {
  if (t.task === 'regression') {
    const a = gh[0]!;
    for (let i = start; i < end; i++) {
      a[2 * i] = s[i]! - y[i]!;
      a[2 * i + 1] = 1;
    }
  } else if (t.task === 'binary') {
    const a = gh[0]!;
    for (let i = start; i < end; i++) {
      const pr = 1 / (1 + Math.exp(-s[i]!));
      a[2 * i] = pr - y[i]!;
      a[2 * i + 1] = Math.max(pr * (1 - pr), 1e-16);
    }
  } else {
    for (let i = start; i < end; i++) {
      const o = i * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, s[o + k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(s[o + k]! - max);
      for (let k = 0; k < K; k++) {
        const pr = Math.exp(s[o + k]! - max) / sum;
        gh[k]![2 * i] = pr - (y[i] === k ? 1 : 0);
        gh[k]![2 * i + 1] = Math.max(pr * (1 - pr), 1e-16);
      }
    }
  }
}

/** Mean training loss: squared error, log-loss or softmax cross-entropy. */
export function loss(t: Target, y: Float64Array, s: Float64Array, K: number): number {
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (t.task === 'regression') sum += (s[i]! - y[i]!) ** 2;
    else if (t.task === 'binary') {
      const z = y[i] === 1 ? s[i]! : -s[i]!;
      sum += z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
    } else {
      const o = i * K;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, s[o + k]!);
      let lse = 0;
      for (let k = 0; k < K; k++) lse += Math.exp(s[o + k]! - max);
      sum += max + Math.log(lse) - s[o + y[i]!]!;
    }
  }
  return sum / n;
}
