/**
 * The MLP's batch matrix products over Float64Array, written for V8: register-blocked (several
 * rows share each load) with independent accumulators, no allocation. Plain loops measured ~2x
 * faster than the per-row dot/axpy version on digits (CPU 1.15 s vs 2.30 s for 172 epochs).
 */

/**
 * C[r][o] = bias[o] + Σ_j X[r][j]·Y[o][j] for r < R, o < O (X, Y, C row-major; X rows and Y rows
 * have length n, Y starts at yOff, bias at bOff or none when bOff < 0). `relu` clips C at 0;
 * `mask` zeroes C where mask[r][o] <= 0 (the ReLU derivative). Four rows of X share each load of
 * Y and keep four independent sums (one running sum is bound by the add latency).
 */
export function rowsDotRows(
  X: Float64Array,
  R: number,
  n: number,
  Y: Float64Array,
  yOff: number,
  O: number,
  C: Float64Array,
  bOff: number,
  relu: boolean,
  mask: Float64Array | null,
): void {
  let r = 0;
  for (; r + 3 < R; r += 4) {
    const x0 = r * n;
    const x1 = x0 + n;
    const x2 = x1 + n;
    const x3 = x2 + n;
    let o = 0;
    for (; o + 1 < O; o += 2) {
      const ya = yOff + o * n;
      const yb = ya + n;
      const ba = bOff >= 0 ? Y[bOff + o]! : 0;
      const bb = bOff >= 0 ? Y[bOff + o + 1]! : 0;
      let s0 = ba;
      let s1 = ba;
      let s2 = ba;
      let s3 = ba;
      let t0 = bb;
      let t1 = bb;
      let t2 = bb;
      let t3 = bb;
      for (let j = 0; j < n; j++) {
        const y = Y[ya + j]!;
        const u = Y[yb + j]!;
        const v0 = X[x0 + j]!;
        const v1 = X[x1 + j]!;
        const v2 = X[x2 + j]!;
        const v3 = X[x3 + j]!;
        s0 += v0 * y;
        s1 += v1 * y;
        s2 += v2 * y;
        s3 += v3 * y;
        t0 += v0 * u;
        t1 += v1 * u;
        t2 += v2 * u;
        t3 += v3 * u;
      }
      const c = r * O + o;
      C[c] = relu ? (s0 + Math.abs(s0)) * 0.5 : s0;
      C[c + O] = relu ? (s1 + Math.abs(s1)) * 0.5 : s1;
      C[c + 2 * O] = relu ? (s2 + Math.abs(s2)) * 0.5 : s2;
      C[c + 3 * O] = relu ? (s3 + Math.abs(s3)) * 0.5 : s3;
      C[c + 1] = relu ? (t0 + Math.abs(t0)) * 0.5 : t0;
      C[c + 1 + O] = relu ? (t1 + Math.abs(t1)) * 0.5 : t1;
      C[c + 1 + 2 * O] = relu ? (t2 + Math.abs(t2)) * 0.5 : t2;
      C[c + 1 + 3 * O] = relu ? (t3 + Math.abs(t3)) * 0.5 : t3;
    }
    for (; o < O; o++) {
      const yo = yOff + o * n;
      const b = bOff >= 0 ? Y[bOff + o]! : 0;
      let s0 = b;
      let s1 = b;
      let s2 = b;
      let s3 = b;
      for (let j = 0; j < n; j++) {
        const y = Y[yo + j]!;
        s0 += X[x0 + j]! * y;
        s1 += X[x1 + j]! * y;
        s2 += X[x2 + j]! * y;
        s3 += X[x3 + j]! * y;
      }
      const c = r * O + o;
      C[c] = relu ? (s0 + Math.abs(s0)) * 0.5 : s0;
      C[c + O] = relu ? (s1 + Math.abs(s1)) * 0.5 : s1;
      C[c + 2 * O] = relu ? (s2 + Math.abs(s2)) * 0.5 : s2;
      C[c + 3 * O] = relu ? (s3 + Math.abs(s3)) * 0.5 : s3;
    }
  }
  for (; r < R; r++) {
    const x0 = r * n;
    for (let o = 0; o < O; o++) {
      const yo = yOff + o * n;
      let s0 = bOff >= 0 ? Y[bOff + o]! : 0;
      for (let j = 0; j < n; j++) s0 += X[x0 + j]! * Y[yo + j]!;
      C[r * O + o] = relu ? (s0 + Math.abs(s0)) * 0.5 : s0;
    }
  }
  // (s + |s|) / 2 is max(s, 0) exactly, without a branch the signs would make unpredictable.
  // Multiplying by the 0/1 of the comparison: no branch for the (random) signs to mispredict.
  if (mask) for (let i = 0, m = R * O; i < m; i++) C[i]! *= +(mask[i]! > 0);
}

/**
 * G[o][j] += Σ_r D[r][o]·A[r][j] and gb[o] += Σ_r D[r][o] (weight and bias gradients of a
 * layer over a batch). Rows whose delta is 0 (ReLU off) are skipped; the rest are taken four at a
 * time so each gradient element is read and written once per four rows.
 */
export function addOuter(
  D: Float64Array,
  R: number,
  O: number,
  A: Float64Array,
  n: number,
  G: Float64Array,
  gOff: number,
  gbOff: number,
  rows: Int32Array,
): void {
  for (let o = 0; o < O; o++) {
    let k = 0;
    let gb = 0;
    for (let r = 0; r < R; r++) {
      const g = D[r * O + o]!;
      if (g !== 0) {
        rows[k++] = r;
        gb += g;
      }
    }
    G[gbOff + o]! += gb;
    const go = gOff + o * n;
    let i = 0;
    for (; i + 7 < k; i += 8) {
      const r0 = rows[i]!;
      const r1 = rows[i + 1]!;
      const r2 = rows[i + 2]!;
      const r3 = rows[i + 3]!;
      const r4 = rows[i + 4]!;
      const r5 = rows[i + 5]!;
      const r6 = rows[i + 6]!;
      const r7 = rows[i + 7]!;
      const g0 = D[r0 * O + o]!;
      const g1 = D[r1 * O + o]!;
      const g2 = D[r2 * O + o]!;
      const g3 = D[r3 * O + o]!;
      const g4 = D[r4 * O + o]!;
      const g5 = D[r5 * O + o]!;
      const g6 = D[r6 * O + o]!;
      const g7 = D[r7 * O + o]!;
      const a0 = r0 * n;
      const a1 = r1 * n;
      const a2 = r2 * n;
      const a3 = r3 * n;
      const a4 = r4 * n;
      const a5 = r5 * n;
      const a6 = r6 * n;
      const a7 = r7 * n;
      for (let j = 0; j < n; j++)
        G[go + j]! +=
          g0 * A[a0 + j]! +
          g1 * A[a1 + j]! +
          (g2 * A[a2 + j]! + g3 * A[a3 + j]!) +
          (g4 * A[a4 + j]! + g5 * A[a5 + j]! + (g6 * A[a6 + j]! + g7 * A[a7 + j]!));
    }
    for (; i + 3 < k; i += 4) {
      const r0 = rows[i]!;
      const r1 = rows[i + 1]!;
      const r2 = rows[i + 2]!;
      const r3 = rows[i + 3]!;
      const g0 = D[r0 * O + o]!;
      const g1 = D[r1 * O + o]!;
      const g2 = D[r2 * O + o]!;
      const g3 = D[r3 * O + o]!;
      const a0 = r0 * n;
      const a1 = r1 * n;
      const a2 = r2 * n;
      const a3 = r3 * n;
      for (let j = 0; j < n; j++)
        G[go + j]! += g0 * A[a0 + j]! + g1 * A[a1 + j]! + (g2 * A[a2 + j]! + g3 * A[a3 + j]!);
    }
    for (; i < k; i++) {
      const r0 = rows[i]!;
      const g0 = D[r0 * O + o]!;
      const a0 = r0 * n;
      for (let j = 0; j < n; j++) G[go + j]! += g0 * A[a0 + j]!;
    }
  }
}
