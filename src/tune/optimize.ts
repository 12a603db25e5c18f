/**
 * Box-constrained quasi-Newton minimiser (projected L-BFGS with Armijo backtracking). Used for GP
 * hyperparameter fits and for refining the acquisition around the best candidates.
 */
export interface MinimizeOptions {
  lower: Float64Array;
  upper: Float64Array;
  maxIter: number;
  /** Stop when the projected gradient's max-norm falls below this. */
  gtol?: number;
  memory?: number;
}

/** `fg(x, grad)` writes the gradient into `grad` and returns f(x). Returns the best point found. */
export function minimizeBox(
  fg: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  o: MinimizeOptions,
): { x: Float64Array; f: number } {
  const n = x0.length;
  const m = o.memory ?? 6;
  const gtol = o.gtol ?? 1e-5;
  const clamp = (v: Float64Array): void => {
    for (let i = 0; i < n; i++) v[i] = Math.min(o.upper[i]!, Math.max(o.lower[i]!, v[i]!));
  };
  let x = Float64Array.from(x0);
  clamp(x);
  let g = new Float64Array(n);
  let f = fg(x, g);
  if (!Number.isFinite(f)) return { x, f };
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const dir = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  for (let iter = 0; iter < o.maxIter; iter++) {
    // Projected gradient norm: ignore components pushing against an active bound.
    let pg = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const blocked = (x[i]! <= o.lower[i]! && gi > 0) || (x[i]! >= o.upper[i]! && gi < 0);
      if (!blocked) pg = Math.max(pg, Math.abs(gi));
    }
    if (pg < gtol) break;
    twoLoop(g, S, Y, dir);
    for (let i = 0; i < n; i++) {
      const blocked = (x[i]! <= o.lower[i]! && dir[i]! < 0) || (x[i]! >= o.upper[i]! && dir[i]! > 0);
      if (blocked) dir[i] = 0;
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += dir[i]! * g[i]!;
    if (!(slope < 0)) {
      // Not a descent direction: restart from steepest descent.
      S.length = Y.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i]!;
      slope = 0;
      for (let i = 0; i < n; i++) slope += dir[i]! * g[i]!;
      if (!(slope < 0)) break;
    }
    let t = 1;
    let fNew = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 20; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + t * dir[i]!;
      clamp(xNew);
      fNew = fg(xNew, gNew);
      let dec = 0;
      for (let i = 0; i < n; i++) dec += g[i]! * (xNew[i]! - x[i]!);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * dec) {
        accepted = true;
        break;
      }
      t *= 0.3;
    }
    if (!accepted) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
      sy += s[i]! * y[i]!;
    }
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    const improvement = f - fNew;
    x = Float64Array.from(xNew);
    g = Float64Array.from(gNew);
    f = fNew;
    if (improvement < 1e-10 * (1 + Math.abs(f))) break;
  }
  return { x, f };
}

function twoLoop(g: Float64Array, S: Float64Array[], Y: Float64Array[], out: Float64Array): void {
  const n = g.length;
  const k = S.length;
  const alpha = new Float64Array(k);
  for (let i = 0; i < n; i++) out[i] = -g[i]!;
  const dot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
    return s;
  };
  for (let j = k - 1; j >= 0; j--) {
    const a = dot(S[j]!, out) / dot(Y[j]!, S[j]!);
    alpha[j] = a;
    for (let i = 0; i < n; i++) out[i] = out[i]! - a * Y[j]![i]!;
  }
  if (k > 0) {
    const gamma = dot(S[k - 1]!, Y[k - 1]!) / dot(Y[k - 1]!, Y[k - 1]!);
    for (let i = 0; i < n; i++) out[i] = out[i]! * gamma;
  }
  for (let j = 0; j < k; j++) {
    const b = dot(Y[j]!, out) / dot(Y[j]!, S[j]!);
    for (let i = 0; i < n; i++) out[i] = out[i]! + S[j]![i]! * (alpha[j]! - b);
  }
}
