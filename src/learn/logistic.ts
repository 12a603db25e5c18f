/**
 * L2-regularised logistic regression: sigmoid for two classes, softmax (multinomial) for more.
 * Objective as scikit-learn: Σ log-loss + ‖W‖² / (2C), intercepts unpenalised; solved by L-BFGS.
 */
import { initLbfgs, stepLbfgs } from './lbfgs.js';
import type { LbfgsState } from './lbfgs.js';
import type { Design, FitOptions, FitResult, Target } from './types.js';

export interface LogisticParams {
  C: number;
  max_iter: number;
  tol: number;
}

/** Trains logistic regression; each L-BFGS iteration is reported and can be checkpointed. */
export function fitLogistic(
  design: Design,
  target: Target,
  p: LogisticParams,
  opts: FitOptions = {},
): FitResult {
  const { nRows: n, nCols: d, columns } = design;
  const K = target.task === 'binary' ? 1 : target.nClasses;
  const x = new Float64Array(n * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) x[i * d + j] = columns[j]![i]!;
  const y = target.y;
  const lam = 1 / p.C;
  const z = new Float64Array(K);
  // Parameters: K×d weights then K intercepts. Loss is divided by n (same minimiser, better scaled).
  const fg = (w: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const o = i * d;
      for (let k = 0; k < K; k++) {
        let s = w[K * d + k]!;
        for (let j = 0; j < d; j++) s += w[k * d + j]! * x[o + j]!;
        z[k] = s;
      }
      const yi = y[i]!;
      if (K === 1) {
        const s = z[0]!;
        const zz = yi === 1 ? s : -s;
        loss += zz > 0 ? Math.log1p(Math.exp(-zz)) : -zz + Math.log1p(Math.exp(zz));
        z[0] = 1 / (1 + Math.exp(-s)) - yi;
      } else {
        let max = -Infinity;
        for (let k = 0; k < K; k++) max = Math.max(max, z[k]!);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(z[k]! - max);
        loss += max + Math.log(sum) - z[yi]!;
        for (let k = 0; k < K; k++) z[k] = Math.exp(z[k]! - max) / sum - (k === yi ? 1 : 0);
      }
      for (let k = 0; k < K; k++) {
        const r = z[k]!;
        for (let j = 0; j < d; j++) g[k * d + j]! += r * x[o + j]!;
        g[K * d + k]! += r;
      }
    }
    let reg = 0;
    for (let j = 0; j < K * d; j++) {
      reg += w[j]! * w[j]!;
      g[j]! += lam * w[j]!;
    }
    for (let j = 0; j < g.length; j++) g[j]! /= n;
    return (loss + 0.5 * lam * reg) / n;
  };
  if (opts.resumeFrom && opts.resumeFrom.learner !== 'logistic_regression')
    throw new Error('checkpoint is not from logistic_regression');
  const st: LbfgsState = opts.resumeFrom
    ? structuredClone(opts.resumeFrom.state as unknown as LbfgsState)
    : initLbfgs(new Float64Array(K * d + K), fg);
  // tol applies to the sum-scale gradient (as scikit-learn); ours is divided by n.
  const tol = p.tol / n;
  while (!st.converged && st.iteration < p.max_iter) {
    stepLbfgs(st, fg, tol);
    if (opts.onIteration?.({ iteration: st.iteration, metrics: { train_loss: st.f } }) === 'stop') break;
  }
  const w = Float64Array.from(st.x);
  return {
    predictor: {
      kind: 'linear',
      link: K === 1 ? 'sigmoid' : 'softmax',
      nRaw: K,
      nIn: d,
      weights: w.slice(0, K * d),
      bias: w.slice(K * d),
    },
    iterations: st.iteration,
    checkpoint: {
      learner: 'logistic_regression',
      iteration: st.iteration,
      state: st as unknown as Record<string, unknown>,
    },
    metrics: { train_loss: st.f },
  };
}
