/** Ridge linear regression by the closed form; the intercept is not penalised (data are centred). */
import type { Design, FitResult, Target } from './types.js';

export interface LinearParams {
  alpha: number;
}

/** Solves (XcᵀXc + αI) w = Xcᵀyc with Cholesky; b = ȳ − x̄·w. */
export function fitLinear(design: Design, target: Target, p: LinearParams): FitResult {
  const { nRows: n, nCols: d, columns } = design;
  const y = target.y;
  const means = columns.map((c) => c.reduce((a, b) => a + b, 0) / n);
  const yMean = y.reduce((a, b) => a + b, 0) / n;
  const a = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const ci = columns[i]!;
    const mi = means[i]!;
    for (let j = 0; j <= i; j++) {
      const cj = columns[j]!;
      const mj = means[j]!;
      let s = 0;
      for (let r = 0; r < n; r++) s += (ci[r]! - mi) * (cj[r]! - mj);
      a[i * d + j] = s;
      a[j * d + i] = s;
    }
    let s = 0;
    for (let r = 0; r < n; r++) s += (ci[r]! - mi) * (y[r]! - yMean);
    rhs[i] = s;
    a[i * d + i]! += p.alpha;
  }
  const w = solveSpd(a, rhs, d);
  let b = yMean;
  for (let j = 0; j < d; j++) b -= means[j]! * w[j]!;
  return {
    predictor: { kind: 'linear', link: 'identity', nRaw: 1, nIn: d, weights: w, bias: Float64Array.of(b) },
  };
}

/**
 * Solves A x = b for symmetric positive (semi-)definite A. A rank-deficient A (collinear columns
 * with alpha = 0) gets a tiny diagonal jitter so the minimum-norm-like solution is still returned.
 */
export function solveSpd(a: Float64Array, b: Float64Array, d: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += a[i * d + i]!;
  for (let attempt = 0; attempt < 8; attempt++) {
    const jitter = attempt === 0 ? 0 : (trace / Math.max(1, d)) * 1e-12 * 100 ** attempt;
    const l = cholesky(a, d, jitter);
    if (!l) continue;
    const z = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = b[i]!;
      for (let k = 0; k < i; k++) s -= l[i * d + k]! * z[k]!;
      z[i] = s / l[i * d + i]!;
    }
    const x = new Float64Array(d);
    for (let i = d - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * x[k]!;
      x[i] = s / l[i * d + i]!;
    }
    return x;
  }
  throw new Error('linear system is not positive definite (check for constant or duplicate columns)');
}

function cholesky(a: Float64Array, d: number, jitter: number): Float64Array | undefined {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]! + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j]!;
    }
  }
  return l;
}
