import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addOuter, rowsDotRows } from './mlp-kernels.js';
import { createRng } from './random.js';

const rng = createRng(7);
const rand = (len: number, zeros = 0) =>
  Float64Array.from({ length: len }, () => (rng.next() < zeros ? 0 : rng.next() * 2 - 1));
const close = (a: Float64Array, b: Float64Array) =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12, `element ${i}: ${v} vs ${b[i]}`));

// Sizes that exercise the 4-row / 2-column blocks and every remainder path.
for (const [R, n, O] of [
  [7, 5, 3],
  [8, 4, 2],
  [1, 3, 1],
  [13, 9, 6],
] as const) {
  test(`rowsDotRows ${R}x${n} · (${O}x${n})ᵀ matches the plain sums, with bias, ReLU and mask`, () => {
    const X = rand(R * n);
    const Y = rand(2 + O * n + O); // weights at offset 2, then the bias
    const mask = rand(R * O, 0.5).map(Math.abs);
    for (const [bOff, relu, m] of [
      [2 + O * n, true, null],
      [-1, false, mask],
    ] as const) {
      const want = new Float64Array(R * O);
      for (let r = 0; r < R; r++)
        for (let o = 0; o < O; o++) {
          let s = bOff >= 0 ? Y[bOff + o]! : 0;
          for (let j = 0; j < n; j++) s += X[r * n + j]! * Y[2 + o * n + j]!;
          if (relu) s = Math.max(s, 0);
          if (m && m[r * O + o]! <= 0) s = 0;
          want[r * O + o] = s;
        }
      const got = new Float64Array(R * O).fill(NaN);
      rowsDotRows(X, R, n, Y, 2, O, got, bOff, relu, m);
      close(got, want);
    }
  });

  test(`addOuter ${R} rows: weight and bias gradients add to what is there, zero deltas skipped`, () => {
    const Dl = rand(R * O, 0.4);
    const A = rand(R * n);
    const G = rand(3 + O * n + O);
    const want = G.slice();
    for (let o = 0; o < O; o++)
      for (let r = 0; r < R; r++) {
        const g = Dl[r * O + o]!;
        want[3 + O * n + o]! += g;
        for (let j = 0; j < n; j++) want[3 + o * n + j]! += g * A[r * n + j]!;
      }
    addOuter(Dl, R, O, A, n, G, 3, 3 + O * n, new Int32Array(R));
    close(G, want);
  });
}
