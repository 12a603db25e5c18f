/**
 * Parzen estimators for TPE: a weighted mixture of per-observation kernels (truncated normals on
 * numeric dimensions, smoothed one-hot distributions on categorical ones) plus one wide prior kernel.
 * Bandwidths follow Optuna v5 (neighbour rule per dimension, magic clip); discrete dimensions
 * can use the Scott-like width of Optuna v4 multivariate TPE, which suits coarse ordinal grids.
 */
import { logNormMass, sampleTruncNormal } from './math.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
import type { Rng } from './rng.js';
import type { Dim } from './space.js';

export interface ParzenOptions {
  priorWeight: number;
  magicClip: boolean;
  /** Bandwidth rule for discrete numeric dimensions (continuous ones always use the neighbour rule). */
  discreteBandwidth: 'neighbour' | 'scott';
  /**
   * Continuous dimensions only: when > 0, the magic clip's count is this many (all finished and
   * pending trials × clipFraction) instead of the mixture's own kernel count. See TpeOptions.
   */
  clipCount?: number;
}

export interface Parzen {
  dims: readonly Dim[];
  nKernels: number;
  logW: Float64Array;
  /** Per dimension: kernel means, widths, log normalisers (numeric) or log-probability tables (categorical). */
  mus: Float64Array[];
  /** Per dimension: −log σ − log Z − ½log 2π, so a continuous log-density is one multiply-add. */
  consts: Float64Array[];
  /** Per dimension: number of grid bins when the per-bin log masses are tabulated in logP (else 0). */
  bins: number[];
  sigmas: Float64Array[];
  logZ: Float64Array[];
  logP: Float64Array[];
}

/** Optuna's observation weights: uniform, or a linear ramp for all but the newest 25 (ids ascending). */
export function observationWeights(n: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  if (n >= 25) {
    const m = n - 25;
    for (let i = 0; i < m; i++) w[i] = m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1);
  }
  return w;
}

/** Builds a mixture over `dims` from observation rows (`obs[i][j]` = internal value of dims[j]). */
export function buildParzen(dims: readonly Dim[], obs: readonly Float64Array[], opts: ParzenOptions): Parzen {
  const n = obs.length;
  const nKernels = n + 1;
  const w = observationWeights(n);
  let total = opts.priorWeight;
  for (let i = 0; i < n; i++) total += w[i]!;
  const logW = new Float64Array(nKernels);
  for (let i = 0; i < n; i++) logW[i] = Math.log(w[i]! / total);
  logW[n] = Math.log(opts.priorWeight / total);
  const p: Parzen = { dims, nKernels, logW, mus: [], sigmas: [], logZ: [], logP: [], consts: [], bins: [] };
  dims.forEach((d, j) => {
    if (d.categorical) {
      const k = d.nChoices;
      const table = new Float64Array(nKernels * k);
      for (let i = 0; i <= n; i++) {
        const base = opts.priorWeight / nKernels;
        const obsIdx = i < n ? obs[i]![j]! : -1;
        const rowSum = base * k + (i < n ? 1 : 0);
        for (let c = 0; c < k; c++) table[i * k + c] = Math.log((base + (c === obsIdx ? 1 : 0)) / rowSum);
      }
      p.logP[j] = table;
      p.mus[j] = p.sigmas[j] = p.logZ[j] = p.consts[j] = new Float64Array(0);
      p.bins[j] = 0;
      return;
    }
    const range = d.hi - d.lo;
    const mus = new Float64Array(nKernels);
    for (let i = 0; i < n; i++) mus[i] = obs[i]![j]!;
    mus[n] = (d.lo + d.hi) / 2;
    const sigmas = new Float64Array(nKernels);
    if (d.q > 0 && opts.discreteBandwidth === 'scott') {
      sigmas.fill(0.2 * Math.pow(Math.max(n, 1), -1 / (dims.length + 4)) * range);
    } else neighbourSigmas(mus, n, d.lo, d.hi, sigmas);
    sigmas[n] = range;
    const clipCount = d.q === 0 && opts.clipCount ? opts.clipCount : nKernels;
    const minSigma = opts.magicClip ? range / Math.min(100, 1 + clipCount) : 1e-12 * range;
    const logZ = new Float64Array(nKernels);
    for (let i = 0; i < nKernels; i++) {
      const s = Math.min(range, Math.max(minSigma, sigmas[i]!));
      sigmas[i] = s;
      logZ[i] = logNormMass((d.lo - mus[i]!) / s, (d.hi - mus[i]!) / s);
    }
    p.mus[j] = mus;
    p.sigmas[j] = sigmas;
    p.logZ[j] = logZ;
    p.consts[j] = Float64Array.from(sigmas, (s, i) => -Math.log(s) - logZ[i]! - LOG_SQRT_2PI);
    p.logP[j] = new Float64Array(0);
    p.bins[j] = 0;
    const nBins = d.q > 0 ? Math.round(range / d.q) : 0;
    if (nBins > 0 && nBins <= 256) {
      // Coarse grids (ordinal/int): tabulate each kernel's log mass per bin once per build.
      const table = new Float64Array(nKernels * nBins);
      for (let i = 0; i < nKernels; i++) {
        const s = sigmas[i]!;
        for (let b = 0; b < nBins; b++) {
          const a = d.lo + b * d.q;
          table[i * nBins + b] = logNormMass((a - mus[i]!) / s, (a + d.q - mus[i]!) / s) - logZ[i]!;
        }
      }
      p.logP[j] = table;
      p.bins[j] = nBins;
    }
  });
  return p;
}

/** Optuna v5 neighbour rule: the larger gap to the sorted neighbours, inner gap only at the ends. */
function neighbourSigmas(mus: Float64Array, n: number, lo: number, hi: number, out: Float64Array): void {
  if (n === 0) return;
  const sorted = mus.slice(0, n).sort();
  for (let i = 0; i < n; i++) {
    // Rank by binary search in the sorted copy (typed-array sort is much cheaper than an argsort).
    const v = mus[i]!;
    let a = 0;
    let b = n - 1;
    while (a < b) {
      const m = (a + b) >> 1;
      if (sorted[m]! < v) a = m + 1;
      else b = m;
    }
    const left = a > 0 ? sorted[a - 1]! : lo;
    const right = a < n - 1 ? sorted[a + 1]! : hi;
    let s = Math.max(v - left, right - v);
    if (n >= 2 && a === 0) s = sorted[1]! - v;
    if (n >= 2 && a === n - 1) s = v - sorted[n - 2]!;
    out[i] = s;
  }
}

/** Draws `count` vectors from the mixture (one kernel per draw, then every dimension from it). */
export function sampleParzen(p: Parzen, count: number, rng: Rng): Float64Array[] {
  const out: Float64Array[] = [];
  const cum = new Float64Array(p.nKernels);
  let acc = 0;
  for (let i = 0; i < p.nKernels; i++) cum[i] = acc += Math.exp(p.logW[i]!);
  for (let c = 0; c < count; c++) {
    const u = rng.next() * acc;
    let k = 0;
    while (k < p.nKernels - 1 && cum[k]! < u) k++;
    const x = new Float64Array(p.dims.length);
    p.dims.forEach((d, j) => {
      if (d.categorical) {
        const table = p.logP[j]!;
        let r = rng.next();
        let choice = d.nChoices - 1;
        for (let ci = 0; ci < d.nChoices; ci++) {
          r -= Math.exp(table[k * d.nChoices + ci]!);
          if (r <= 0) {
            choice = ci;
            break;
          }
        }
        x[j] = choice;
        return;
      }
      let v = sampleTruncNormal(p.mus[j]![k]!, p.sigmas[j]![k]!, d.lo, d.hi, rng.next());
      if (d.q > 0) v = snap(d, v);
      x[j] = v;
    });
    out.push(x);
  }
  return out;
}

/** Rounds an internal value to the centre of its grid bin. */
export function snap(d: Dim, v: number): number {
  const nBins = Math.round((d.hi - d.lo) / d.q);
  const bin = Math.min(nBins - 1, Math.max(0, Math.floor((v - d.lo) / d.q)));
  return d.lo + (bin + 0.5) * d.q;
}

/** Mixture log-density of one vector (log mass per grid bin for discrete dimensions). */
export function logPdfParzen(p: Parzen, x: Float64Array, scratch: Float64Array): number {
  const nk = p.nKernels;
  for (let k = 0; k < nk; k++) scratch[k] = p.logW[k]!;
  const nd = p.dims.length;
  for (let j = 0; j < nd; j++) {
    const d = p.dims[j]!;
    const xj = x[j]!;
    if (d.categorical) {
      const table = p.logP[j]!;
      const nc = d.nChoices;
      for (let k = 0; k < nk; k++) scratch[k] = scratch[k]! + table[k * nc + xj]!;
      continue;
    }
    const nb = p.bins[j]!;
    if (nb > 0) {
      const table = p.logP[j]!;
      const bin = Math.min(nb - 1, Math.max(0, Math.floor((xj - d.lo) / d.q)));
      for (let k = 0; k < nk; k++) scratch[k] = scratch[k]! + table[k * nb + bin]!;
      continue;
    }
    const mus = p.mus[j]!;
    const sig = p.sigmas[j]!;
    if (d.q > 0) {
      const logZ = p.logZ[j]!;
      const h = d.q / 2;
      for (let k = 0; k < nk; k++) {
        const s = sig[k]!;
        scratch[k] = scratch[k]! + logNormMass((xj - h - mus[k]!) / s, (xj + h - mus[k]!) / s) - logZ[k]!;
      }
    } else {
      const c = p.consts[j]!;
      for (let k = 0; k < nk; k++) {
        const z = (xj - mus[k]!) / sig[k]!;
        scratch[k] = scratch[k]! + c[k]! - 0.5 * z * z;
      }
    }
  }
  let m = -Infinity;
  for (let k = 0; k < nk; k++) if (scratch[k]! > m) m = scratch[k]!;
  let s = 0;
  for (let k = 0; k < nk; k++) s += Math.exp(scratch[k]! - m);
  return m + Math.log(s);
}
