/**
 * Gaussian-process Bayesian optimisation (WMLA "Bayesian"): Matérn-5/2 ARD GP fitted by MAP,
 * log expected improvement maximised over many random candidates plus local perturbations of the
 * best points, refined by projected L-BFGS. Pending trials enter as kriging-believer fantasies.
 */
import { backSolve, choleskyRows, defaultTheta, fitTheta, forwardSolve, kernelMatrix } from './gp-model.js';
import type { GpTrainSet, Theta } from './gp-model.js';
import { logNormCdf, normLogPdf } from './math.js';
import { minimizeBox } from './optimize.js';
import { sampleRandomParams } from './random.js';
import { warpLosses } from './warp.js';
import { encode, isGridDim, keyOf, mergeDuplicates, randomPoint, rowKeys, snapToGrid } from './gp-encode.js';
import { fromInternal, fromUnit } from './space.js';
import type { Params } from './space.js';
import type { Sampler, TrialRecord } from './sampler.js';
import { lossOf } from './sampler.js';

export interface GpOptions {
  /** Random trials before the GP is used (WMLA InitPoints). Default 10. */
  nStartupTrials?: number;
  /** Random candidates scored per suggestion (WMLA CubeSize). Default 512. */
  nCandidates?: number;
  /** Deterministic objective: noise variance fixed at a 1e-9 jitter instead of fitted (WMLA Noiseless). Default true. */
  noiseless?: boolean;
  /** Candidates refined by L-BFGS. Default 3. */
  nLocalStarts?: number;
}

interface GpState {
  theta: number[] | null;
  fitN: number;
}

const SQRT5 = Math.sqrt(5);

/** log(z·Φ(z) + φ(z)), stable for very negative z (asymptotic Mills-ratio series). */
export function logH(z: number): number {
  if (z > -8) return Math.log(Math.max(1e-300, z * Math.exp(logNormCdf(z)) + Math.exp(normLogPdf(z))));
  const z2 = z * z;
  return normLogPdf(z) - Math.log(z2) + Math.log(1 - 3 / z2 + 15 / (z2 * z2));
}

/** Posterior of a fitted GP, with log-EI and its gradient in the continuous dimensions. */
class Posterior {
  readonly lam: Float64Array;
  readonly s: number;
  private readonly kv: Float64Array;
  private readonly w: Float64Array;
  constructor(
    readonly set: GpTrainSet,
    readonly L: Float64Array,
    readonly alpha: Float64Array,
    theta: Theta,
  ) {
    this.lam = Float64Array.from({ length: set.d }, (_, j) => Math.exp(theta[j]!));
    this.s = Math.exp(theta[set.d]!);
    this.kv = new Float64Array(set.n);
    this.w = new Float64Array(set.n);
    const n = set.n;
    this.LT = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) this.LT[j * n + i] = L[i * n + j]!;
  }

  private readonly LT: Float64Array;

  /** Mean and sd of many points at once: one multi-right-hand-side solve with contiguous inner loops. */
  predictBatch(xs: readonly Float64Array[]): { mu: Float64Array; sd: Float64Array } {
    const { n, d, X, cat } = this.set;
    const { lam, s } = this;
    const m = xs.length;
    const V = new Float64Array(n * m);
    const mu = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      const ai = this.alpha[i]!;
      for (let c = 0; c < m; c++) {
        const x = xs[c]!;
        let rr = 0;
        for (let j = 0; j < d; j++) {
          const diff = X[i * d + j]! - x[j]!;
          rr += cat[j] ? (diff !== 0 ? lam[j]! : 0) : lam[j]! * diff * diff;
        }
        const r = Math.sqrt(rr);
        const k = s * (1 + SQRT5 * r + (5 / 3) * rr) * Math.exp(-SQRT5 * r);
        V[i * m + c] = k;
        mu[c] = mu[c]! + k * ai;
      }
    }
    const L = this.L;
    for (let i = 0; i < n; i++) {
      const ri = i * m;
      for (let k = 0; k < i; k++) {
        const lik = L[i * n + k]!;
        if (lik === 0) continue;
        const rk = k * m;
        for (let c = 0; c < m; c++) V[ri + c] = V[ri + c]! - lik * V[rk + c]!;
      }
      const inv = 1 / L[i * n + i]!;
      for (let c = 0; c < m; c++) V[ri + c] = V[ri + c]! * inv;
    }
    const sd = new Float64Array(m);
    for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) sd[c] = sd[c]! + V[i * m + c]! ** 2;
    for (let c = 0; c < m; c++) sd[c] = Math.sqrt(Math.max(1e-12 * s, s - sd[c]!));
    return { mu, sd };
  }

  /** log EI of many points (no gradient). */
  logEiBatch(xs: readonly Float64Array[], best: number): Float64Array {
    const { mu, sd } = this.predictBatch(xs);
    return Float64Array.from(mu, (m, c) => logH((best - m) / sd[c]!) + Math.log(sd[c]!));
  }

  /** Returns [mean, sd]; fills gradients (continuous dims) when `gMu`/`gSd` are given. */
  predict(x: Float64Array, gMu?: Float64Array, gSd?: Float64Array): [number, number] {
    const { n, d, X, cat } = this.set;
    const { lam, s, kv } = this;
    let mu = 0;
    const dk = gMu ? new Float64Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      let rr = 0;
      for (let j = 0; j < d; j++) {
        const diff = X[i * d + j]! - x[j]!;
        rr += cat[j] ? (diff !== 0 ? lam[j]! : 0) : lam[j]! * diff * diff;
      }
      const r = Math.sqrt(rr);
      const e = Math.exp(-SQRT5 * r);
      kv[i] = s * (1 + SQRT5 * r + (5 / 3) * rr) * e;
      if (dk) dk[i] = (-5 / 6) * s * (1 + SQRT5 * r) * e;
      mu += kv[i]! * this.alpha[i]!;
    }
    const w = this.w;
    w.set(kv);
    forwardSolve(this.L, n, w);
    let vv = 0;
    for (let i = 0; i < n; i++) vv += w[i]! * w[i]!;
    const sd = Math.sqrt(Math.max(1e-12 * s, s - vv));
    if (gMu && gSd && dk) {
      // w = K⁻¹ k*: back substitution on the stored transpose (contiguous rows).
      const LT = this.LT;
      for (let i = n - 1; i >= 0; i--) {
        let acc = w[i]!;
        for (let k = i + 1; k < n; k++) acc -= LT[i * n + k]! * w[k]!;
        w[i] = acc / LT[i * n + i]!;
      }
      gMu.fill(0);
      gSd.fill(0);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          if (cat[j]) continue;
          const dkij = dk[i]! * 2 * lam[j]! * (x[j]! - X[i * d + j]!);
          gMu[j] = gMu[j]! + dkij * this.alpha[i]!;
          gSd[j] = gSd[j]! - (2 * w[i]! * dkij) / (2 * sd);
        }
      }
    }
    return [mu, sd];
  }

  /** log EI for minimisation below `best`, and optionally its gradient. */
  logEi(x: Float64Array, best: number, grad?: Float64Array): number {
    const d = this.set.d;
    const gMu = grad ? new Float64Array(d) : undefined;
    const gSd = grad ? new Float64Array(d) : undefined;
    const [mu, sd] = this.predict(x, gMu, gSd);
    const z = (best - mu) / sd;
    const lh = logH(z);
    if (grad && gMu && gSd) {
      const rPhi = Math.exp(logNormCdf(z) - lh); // Φ(z)/h(z)
      const rphi = Math.exp(normLogPdf(z) - lh); // φ(z)/h(z)
      // d log EI = (−Φ/h·dμ + φ/h·dσ)/σ, using h' = Φ and h = zΦ + φ.
      for (let j = 0; j < d; j++) grad[j] = (-rPhi * gMu[j]! + rphi * gSd[j]!) / sd;
    }
    return lh + Math.log(sd);
  }
}

/** WMLA "Bayesian". */
export function createGpSampler(options: GpOptions = {}): Sampler {
  const nStartup = options.nStartupTrials ?? 10;
  const nCandidates = options.nCandidates ?? 512;
  const noiseless = options.noiseless ?? true;
  const nLocal = options.nLocalStarts ?? 3;
  let state: GpState = { theta: null, fitN: 0 };

  return {
    name: 'gp',
    getState: () => ({ ...state }),
    setState: (s) => (state = { ...(s as GpState) }),
    suggest(ctx) {
      const done = ctx.trials.filter((t) => t.state === 'complete');
      if (done.length < nStartup) return { params: sampleRandomParams(ctx) };
      const dims = ctx.dims;
      const d = dims.length;
      const pending = ctx.trials.filter((t) => t.state === 'pending');
      const Xdone = new Float64Array(done.length * d);
      done.forEach((t, i) => Xdone.set(encode(dims, t.params), i * d));
      // Repeated configurations become one row with their mean loss (keeps K well conditioned).
      const merged = mergeDuplicates(
        Xdone,
        d,
        done.map((t) => lossOf(t, ctx.direction)),
      );
      const nd = merged.losses.length;
      const n = nd + pending.length;
      const X = new Float64Array(n * d);
      X.set(merged.X);
      pending.forEach((t: TrialRecord, i) => X.set(encode(dims, t.params), (nd + i) * d));
      const cat = Uint8Array.from(dims, (dm) => (dm.categorical ? 1 : 0));
      // Fixed during gradient refinement: categorical and grid dimensions (they move only between candidates).
      const fixed = Uint8Array.from(dims, (dm) => (dm.categorical || isGridDim(dm) ? 1 : 0));
      // Warp and standardise the losses; the fit and the acquisition work on this scale.
      const { y } = warpLosses(merged.losses);
      const doneSet: GpTrainSet = { n: nd, d, X: X.subarray(0, nd * d), cat };

      // Refit every trial while data is scarce, then geometrically (every +20%) with a warm start.
      let theta: Theta = state.theta ? Float64Array.from(state.theta) : defaultTheta(d, noiseless);
      if (!state.theta || nd <= 40 || nd >= state.fitN * 1.2) {
        theta = fitTheta(doneSet, y, theta, noiseless, nd <= 40 ? 60 : 25);
        state = { theta: Array.from(theta), fitN: nd };
      }
      let L = new Float64Array(n * n);
      // Factor the completed block first (pending rows are fantasies appended below).
      const Kd = kernelMatrix(doneSet, theta);
      let ok = choleskyRows(Kd, L, nd, 0);
      // Clustered points can make K numerically singular at a tiny jitter: raise it tenfold until it factors.
      for (let jitter = 1e-8; !ok && jitter <= 1e-4; jitter *= 10) {
        theta[d + 1] = Math.log(Math.exp(theta[d + 1]!) + jitter);
        L = new Float64Array(n * n);
        ok = choleskyRows(kernelMatrix(doneSet, theta), L, nd, 0);
      }
      if (!ok) return { params: sampleRandomParams(ctx) };
      const alpha = Float64Array.from(y);
      forwardSolve(L, nd, alpha);
      backSolve(L, nd, alpha);
      let post = new Posterior(doneSet, L, alpha, theta);
      const best = Math.min(...y);
      if (pending.length > 0) {
        // Kriging believer: pending points take the current posterior mean as their value.
        const yAll = new Float64Array(n);
        yAll.set(y);
        for (let i = nd; i < n; i++) yAll[i] = post.predict(X.subarray(i * d, (i + 1) * d))[0];
        const Lall = new Float64Array(n * n);
        for (let i = 0; i < nd; i++) for (let j = 0; j <= i; j++) Lall[i * n + j] = L[i * nd + j]!;
        if (choleskyRows(kernelMatrix({ n, d, X, cat }, theta), Lall, n, nd)) {
          const a2 = Float64Array.from(yAll);
          forwardSolve(Lall, n, a2);
          backSolve(Lall, n, a2);
          post = new Posterior({ n, d, X, cat }, Lall, a2, theta);
        }
      }

      // Global candidates, plus perturbations of the best observed points for late local precision.
      const order = Array.from(y, (v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
      let cands: Float64Array[] = [];
      // Scoring cost grows with n²: beyond 100 observations the candidate count shrinks ∝ 1/n.
      const nRandom = Math.max(128, Math.round(nCandidates * Math.min(1, 100 / n)));
      for (let c = 0; c < nRandom; c++) cands.push(randomPoint(dims, ctx.rng));
      for (const [, i] of order.slice(0, 5)) {
        for (let c = 0; c < 10; c++) {
          const x = Float64Array.from(X.subarray(i * d, (i + 1) * d));
          for (let j = 0; j < d; j++) {
            if (!cat[j])
              x[j] = Math.min(1, Math.max(0, x[j]! + (ctx.rng.normal() * 0.05) / Math.sqrt(post.lam[j]!)));
          }
          cands.push(snapToGrid(dims, x));
        }
      }
      if (noiseless) {
        // Re-evaluating a seen configuration teaches a deterministic objective nothing, yet once the model
        // is confident the incumbent's EI (≈0.4·√jitter) can top every unseen point: skip seen ones.
        const seen = rowKeys(X, d, n);
        cands = cands.filter((x) => !seen.has(keyOf(x)));
        if (cands.length === 0) return { params: sampleRandomParams(ctx) };
      }
      const acq = post.logEiBatch(cands, best);
      const scored = cands.map((x, c) => ({ x, v: acq[c]! })).sort((a, b) => b.v - a.v);
      const lower = new Float64Array(d);
      const upper = Float64Array.from(dims, (dm) => (dm.categorical ? 0 : 1));
      let winner = scored[0]!;
      for (const start of scored.slice(0, nLocal)) {
        // Categorical and grid dims stay fixed during refinement (bounds collapse onto the current value).
        const lo = Float64Array.from(lower, (v, j) => (fixed[j] ? start.x[j]! : v));
        const hi = Float64Array.from(upper, (v, j) => (fixed[j] ? start.x[j]! : v));
        const r = minimizeBox(
          (x, g) => {
            const v = post.logEi(x, best, g);
            for (let j = 0; j < d; j++) g[j] = -g[j]!;
            return -v;
          },
          start.x,
          { lower: lo, upper: hi, maxIter: n > 100 ? 15 : 25, gtol: 1e-6 },
        );
        if (-r.f > winner.v) winner = { x: r.x, v: -r.f };
      }
      const params: Params = {};
      dims.forEach((dm, j) => (params[dm.name] = fromInternal(dm, fromUnit(dm, winner.x[j]!))));
      return { params };
    },
  };
}
