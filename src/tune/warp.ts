/**
 * Output warping for the GP: a Yeo–Johnson power transform whose exponent maximises the Gaussian
 * log-likelihood of the transformed losses, followed by standardisation. Objectives such as Branin
 * or Rosenbrock span several orders of magnitude; a stationary GP fitted to raw standardised values
 * spends its lengthscales on the huge values far from the optimum. The transform is monotone, so
 * the best observation stays the best and expected improvement keeps its meaning.
 */

/** Yeo–Johnson transform of one value with exponent `l`. */
export function yeoJohnson(v: number, l: number): number {
  if (v >= 0) return Math.abs(l) < 1e-9 ? Math.log1p(v) : ((v + 1) ** l - 1) / l;
  return Math.abs(l - 2) < 1e-9 ? -Math.log1p(-v) : -((1 - v) ** (2 - l) - 1) / (2 - l);
}

/** Profile log-likelihood of `l` for standardised inputs `y` (normal model + log-Jacobian). */
function logLikelihood(y: Float64Array, l: number): number {
  const n = y.length;
  let mean = 0;
  let jac = 0;
  for (const v of y) {
    mean += yeoJohnson(v, l);
    jac += Math.sign(v) * Math.log1p(Math.abs(v));
  }
  mean /= n;
  let ss = 0;
  for (const v of y) ss += (yeoJohnson(v, l) - mean) ** 2;
  return -0.5 * n * Math.log(ss / n + 1e-300) + (l - 1) * jac;
}

const standardise = (v: Float64Array): Float64Array => {
  const n = v.length;
  const m = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / n) || 1;
  return Float64Array.from(v, (x) => (x - m) / sd);
};

/**
 * Standardises `raw`, applies the maximum-likelihood Yeo–Johnson transform (exponent searched by
 * golden section on [−3, 3]; the likelihood is unimodal in practice) and standardises again.
 */
export function warpLosses(raw: readonly number[]): { y: Float64Array; lambda: number } {
  const y = standardise(Float64Array.from(raw));
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = -3;
  let b = 3;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = logLikelihood(y, c);
  let fd = logLikelihood(y, d);
  for (let it = 0; it < 40; it++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = logLikelihood(y, c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = logLikelihood(y, d);
    }
  }
  const lambda = (a + b) / 2;
  return { y: standardise(Float64Array.from(y, (v) => yeoJohnson(v, lambda))), lambda };
}
