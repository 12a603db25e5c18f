/**
 * Limited-memory BFGS with Armijo backtracking, written as a resumable state machine: all state is
 * plain numbers and arrays, so a checkpoint taken between iterations resumes bit-identically.
 */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsState {
  x: number[];
  f: number;
  g: number[];
  s: number[][];
  y: number[][];
  iteration: number;
  converged: boolean;
}

export function initLbfgs(x0: Float64Array, fg: Objective): LbfgsState {
  const g = new Float64Array(x0.length);
  const f = fg(x0, g);
  return { x: Array.from(x0), f, g: Array.from(g), s: [], y: [], iteration: 0, converged: maxAbs(g) === 0 };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** One iteration in place; sets `converged` when max|grad| ≤ tol or no progress is possible. */
export function stepLbfgs(st: LbfgsState, fg: Objective, tol: number, memory = 10): void {
  const n = st.x.length;
  const g = st.g;
  // Two-loop recursion: d = −H·g.
  const q = Float64Array.from(g);
  const m = st.s.length;
  const alpha = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    const rho = 1 / dot(st.y[i]!, st.s[i]!);
    alpha[i] = rho * dot(st.s[i]!, q);
    const yi = st.y[i]!;
    for (let j = 0; j < n; j++) q[j]! -= alpha[i]! * yi[j]!;
  }
  const gamma =
    m > 0 ? dot(st.s[m - 1]!, st.y[m - 1]!) / dot(st.y[m - 1]!, st.y[m - 1]!) : 1 / Math.max(1, maxAbs(g));
  for (let j = 0; j < n; j++) q[j]! *= gamma;
  for (let i = 0; i < m; i++) {
    const rho = 1 / dot(st.y[i]!, st.s[i]!);
    const beta = rho * dot(st.y[i]!, q);
    const si = st.s[i]!;
    for (let j = 0; j < n; j++) q[j]! += si[j]! * (alpha[i]! - beta);
  }
  for (let j = 0; j < n; j++) q[j] = -q[j]!;
  let gd = dot(g, q);
  if (!(gd < 0)) {
    for (let j = 0; j < n; j++) q[j] = -g[j]!;
    gd = dot(g, q);
    st.s = [];
    st.y = [];
  }
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  let t = 1;
  let fNew = Infinity;
  for (let k = 0; k < 40; k++) {
    for (let j = 0; j < n; j++) xNew[j] = st.x[j]! + t * q[j]!;
    fNew = fg(xNew, gNew);
    if (fNew <= st.f + 1e-4 * t * gd) break;
    t *= 0.5;
  }
  st.iteration++;
  if (!(fNew < st.f)) {
    st.converged = true;
    return;
  }
  const s = new Array<number>(n);
  const y = new Array<number>(n);
  for (let j = 0; j < n; j++) {
    s[j] = xNew[j]! - st.x[j]!;
    y[j] = gNew[j]! - g[j]!;
  }
  if (dot(s, y) > 1e-12) {
    st.s.push(s);
    st.y.push(y);
    if (st.s.length > memory) {
      st.s.shift();
      st.y.shift();
    }
  }
  st.x = Array.from(xNew);
  st.g = Array.from(gNew);
  st.f = fNew;
  st.converged = maxAbs(gNew) <= tol;
}
