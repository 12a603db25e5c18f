/** Numeric helpers shared by the samplers: normal distribution functions in log space. */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Complementary error function (Numerical Recipes erfc, Chebyshev fit; relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF. */
export const normCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);

/** Standard normal log-density. */
export const normLogPdf = (z: number): number => -0.5 * z * z - LOG_SQRT_2PI;

/** log Φ(z), accurate in the lower tail (asymptotic series below −8). */
export function logNormCdf(z: number): number {
  if (z > -8) return Math.log(normCdf(z));
  const z2 = z * z;
  return -0.5 * z2 - Math.log(-z) - LOG_SQRT_2PI + Math.log(1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2));
}

/** log(Φ(b) − Φ(a)) for a < b, stable when both are in the same tail. */
export function logNormMass(a: number, b: number): number {
  if (a >= 0) return logNormMass(-b, -a);
  if (b <= 0) {
    const lb = logNormCdf(b);
    const la = logNormCdf(a);
    return lb + Math.log(Math.max(1e-300, -Math.expm1(la - lb)));
  }
  return Math.log(Math.max(1e-300, 1 - normCdf(a) - normCdf(-b)));
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9 after one refinement). */
export function normPpf(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  let x: number;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - pl) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}

/** Draws from N(mu, sigma²) truncated to [lo, hi] by inverting the CDF on the tail nearer zero. */
export function sampleTruncNormal(mu: number, sigma: number, lo: number, hi: number, u: number): number {
  let a = (lo - mu) / sigma;
  let b = (hi - mu) / sigma;
  let flip = 1;
  if (a > 0) {
    [a, b] = [-b, -a];
    flip = -1;
  }
  const pa = normCdf(a);
  const pb = normCdf(b);
  let z = pb - pa > 1e-300 ? normPpf(pa + u * (pb - pa)) : a;
  if (!Number.isFinite(z)) z = a;
  z = Math.min(b, Math.max(a, z));
  const x = mu + flip * sigma * z;
  return Math.min(hi, Math.max(lo, x));
}

/** log Σ exp(v_i) over a Float64Array slice. */
export function logSumExp(v: Float64Array, n = v.length): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (v[i]! > m) m = v[i]!;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(v[i]! - m);
  return m + Math.log(s);
}
