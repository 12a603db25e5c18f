import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHistWorkspace } from './hist-parallel.js';
import { createRng } from './random.js';

/** Plain scalar reference: per feature, per row in order, hist[f][bin] += (g, h). */
function reference(
  bins: Uint8Array,
  rows: Uint32Array,
  gh: Float64Array,
  nf: number,
  start: number,
  end: number,
  feats: Int32Array,
): Float64Array {
  const hist = new Float64Array(nf * 512);
  for (let r = start; r < end; r++) {
    const row = rows[r]!;
    for (const f of feats) {
      const o = f * 512 + bins[row * nf + f]! * 2;
      hist[o]! += gh[2 * row]!;
      hist[o + 1]! += gh[2 * row + 1]!;
    }
  }
  return hist;
}

// A worker that ignores the exit signal would hang close(): the timeout turns that into a failure.
test(
  'SIMD histogram kernel equals the scalar sums bit for bit, on one and two threads',
  { timeout: 120_000 },
  async () => {
    const rng = createRng(5);
    const n = 30_000;
    for (const nf of [7, 20]) {
      for (const threads of [1, 2]) {
        const ws = createHistWorkspace(n, nf, 2, threads);
        try {
          for (let i = 0; i < ws.bins.length; i++) ws.bins[i] = rng.int(256);
          for (let i = 0; i < ws.gh.length; i++) ws.gh[i] = rng.next() - 0.3;
          // A partitioned node: an ascending subset of rows in the middle of the rows array.
          for (let i = 0; i < n; i++) ws.rows[i] = (i * 7919) % n;
          ws.rows.subarray(1000, 25_000).sort();
          const all = Int32Array.from({ length: nf }, (_, f) => f);
          const some = Int32Array.from([0, 2, 3, nf - 1]);
          for (const [cls, feats, start, end] of [
            [0, all, 0, n],
            [1, all, 1000, 25_000],
            [1, some, 1000, 25_000],
            [0, all, 5, 900],
          ] as const) {
            const hist = ws.newHist().fill(NaN);
            ws.forClass(cls)(hist, start, end, feats);
            const gh = ws.gh.subarray(2 * cls * n, 2 * (cls + 1) * n);
            const want = reference(ws.bins, ws.rows, gh, nf, start, end, feats);
            for (const f of feats) {
              const o = f * 512;
              assert.deepEqual(
                hist.subarray(o, o + 512),
                want.subarray(o, o + 512),
                `nf ${nf}, feature ${f}`,
              );
            }
          }
        } finally {
          // Resolves only when the worker thread has really exited.
          await ws.close();
        }
      }
    }
  },
);

test(
  'gradients split across the worker equal the single-thread computation',
  { timeout: 120_000 },
  async () => {
    const n = 20_000;
    const out: Float64Array[] = [];
    for (const threads of [1, 2]) {
      const rng = createRng(21);
      const ws = createHistWorkspace(n, 2, 3, threads);
      for (let i = 0; i < n; i++) ws.y[i] = rng.int(3);
      for (let i = 0; i < 3 * n; i++) ws.scores[i] = rng.next() * 4 - 2;
      ws.gradients('multiclass');
      out.push(ws.gh.slice());
      await ws.close();
    }
    assert.deepEqual(out[1], out[0]);
  },
);

test('partition kernel is a stable split by bin with missing values sent the default way', () => {
  const rng = createRng(9);
  const n = 5000;
  const nf = 3;
  const ws = createHistWorkspace(n, nf, 1, 1);
  for (let i = 0; i < ws.colBins.length; i++) ws.colBins[i] = rng.next() < 0.1 ? 255 : rng.int(40);
  for (const [feature, bin, defaultLeft] of [
    [0, 10, false],
    [2, 0, true],
    [1, 254, false],
  ] as const) {
    for (let i = 0; i < n; i++) ws.rows[i] = (i * 2731) % n;
    const before = Array.from(ws.rows);
    const [start, end] = [100, 4321];
    const goesLeft = (row: number): boolean => {
      const b = ws.colBins[feature * n + row]!;
      return b === 255 ? defaultLeft : b <= bin;
    };
    const span = before.slice(start, end);
    const want = [...span.filter(goesLeft), ...span.filter((r) => !goesLeft(r))];
    const mid = ws.partition(start, end, feature, bin, defaultLeft);
    assert.equal(mid, start + span.filter(goesLeft).length);
    assert.deepEqual(Array.from(ws.rows.subarray(start, end)), want);
    assert.deepEqual(Array.from(ws.rows.subarray(0, start)), before.slice(0, start));
    assert.deepEqual(Array.from(ws.rows.subarray(end)), before.slice(end));
  }
});

test('histogram subtraction kernel equals elementwise f64 subtraction, all or some features', () => {
  const rng = createRng(13);
  const nf = 6;
  const ws = createHistWorkspace(10, nf, 1, 1);
  const large = ws.newHist();
  const small = ws.newHist();
  for (const feats of [Int32Array.from({ length: nf }, (_, f) => f), Int32Array.from([1, 4])]) {
    for (let i = 0; i < large.length; i++) large[i] = rng.next() * 100;
    for (let i = 0; i < small.length; i++) small[i] = rng.next() * 10;
    const want = Float64Array.from(large);
    for (const f of feats) for (let i = f * 512; i < (f + 1) * 512; i++) want[i]! -= small[i]!;
    ws.subtract(large, small, feats);
    assert.deepEqual(large, want);
  }
});

test('a job that fails in the worker thread throws on the main thread instead of hanging', async () => {
  const n = 20_000;
  const ws = createHistWorkspace(n, 5, 1, 2);
  try {
    for (let i = 0; i < n; i++) ws.rows[i] = i;
    // A feature subset (so the feature-list kernel runs) whose worker half names a feature far
    // outside the workspace memory: the worker's kernel traps.
    const feats = Int32Array.from([0, 1, 2, 1 << 19]);
    assert.throws(
      () => ws.forClass(0)(ws.newHist(), 0, n, feats),
      /GBDT worker thread failed: .*RuntimeError/s,
    );
  } finally {
    await ws.close();
  }
});
