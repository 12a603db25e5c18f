import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeGradients } from './gbdt-objective.js';
import { createHistWorkspace } from './hist-parallel.js';
import { histKernelModule, instantiateKernels } from './hist-wasm.js';
import { wasm } from './wasm-asm.js';
import type { TreeNode } from './hist-tree.js';
import { createRng } from './random.js';

/** A node job for the workspace's grower steps. */
function treeNode(start: number, end: number, fields: Partial<TreeNode> = {}): TreeNode {
  return {
    node: 0,
    start,
    end,
    depth: 0,
    hist: null,
    sibling: null,
    search: false,
    g: 0,
    h: 0,
    minH: 0,
    gain: 0,
    feature: -1,
    bin: 0,
    defaultLeft: false,
    gl: 0,
    hl: 0,
    ...fields,
  };
}

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
            ws.grower(cls).expand([treeNode(start, end, { hist })], feats, 1);
            const gh = ws.gh.subarray(2 * cls * n, 2 * (cls + 1) * n);
            const want = reference(ws.bins, ws.rows, gh, nf, start, end, feats);
            for (const f of feats) {
              const o = f * 512;
              assert.deepEqual(
                hist.subarray(o, o + 512),
                want.subarray(o, o + 512),
                `nf ${nf}, threads ${threads}, rows ${start}..${end}, ${feats.length} features: feature ${f}`,
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

/** Scores for the binary-gradient tests: a fine sweep of [-40, 40], ±700, 0 and the clamp edges. */
function binaryScores(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const edges = [
    0,
    -0,
    700,
    -700,
    708,
    -708,
    2 ** -28,
    -(2 ** -28),
    2 ** -29,
    0.5 * Math.LN2,
    1.5 * Math.LN2,
  ];
  return Float64Array.from({ length: n }, (_, i) => {
    if (i < edges.length) return edges[i]!;
    if (i % 4 === 0) return (rng.next() * 2 - 1) * 708;
    if (i % 4 === 1) return (rng.next() * 2 - 1) * 1e-6;
    return -40 + (80 * i) / n;
  });
}

test('binary-gradient kernel equals computeGradients bit for bit on |s| <= 708, any row range', () => {
  const n = 200_001;
  const mem = new wasm.Memory({ initial: Math.ceil((32 * n + 64) / 65536), maximum: 65536, shared: true });
  const k = instantiateKernels(histKernelModule(), mem);
  const [yAt, sAt, ghAt] = [16, 16 + 8 * n, 16 + 16 * n];
  const y = new Float64Array(mem.buffer, yAt, n);
  const s = new Float64Array(mem.buffer, sAt, n);
  const gh = new Float64Array(mem.buffer, ghAt, 2 * n);
  s.set(binaryScores(n, 3));
  for (let i = 0; i < n; i++) y[i] = (i >> 1) & 1;
  const want = new Float64Array(2 * n);
  computeGradients({ task: 'binary' }, y, s, 1, [want]);
  // Counts around the kernel's 16-row step, even and odd starts: leftover pairs take the 2-row
  // loop, an odd last row the one-row path.
  for (const [start, end] of [
    [0, n],
    [1, n - 1],
    [7, 8],
    [3, 3],
    [2, 8],
    [0, 16],
    [5, 40],
    [9, 9 + 31],
  ] as const) {
    gh.fill(NaN);
    k.binaryGradients(yAt, sAt, ghAt, start, end);
    for (let i = 0; i < 2 * n; i++) {
      const row = i >> 1;
      const expect = row >= start && row < end ? want[i] : NaN;
      if (!Object.is(gh[i], expect))
        assert.fail(`rows ${start}..${end}: row ${row} (s ${s[row]}): ${gh[i]} vs ${expect}`);
    }
  }
});

test('binary-gradient kernel clamps -s to 708: finite gradients, h as in JS, g within 4e-308', () => {
  const scores = [-708.5, -709.5, -710, -800, -1e300, -Infinity, 708.5, 800, 1e300, Infinity];
  const n = scores.length * 2;
  const mem = new wasm.Memory({ initial: 1, maximum: 65536, shared: true });
  const k = instantiateKernels(histKernelModule(), mem);
  const [yAt, sAt, ghAt] = [16, 16 + 8 * n, 16 + 16 * n];
  const y = new Float64Array(mem.buffer, yAt, n);
  const s = new Float64Array(mem.buffer, sAt, n);
  const gh = new Float64Array(mem.buffer, ghAt, 2 * n);
  for (let i = 0; i < n; i++) {
    s[i] = scores[i >> 1]!;
    y[i] = i & 1;
  }
  k.binaryGradients(yAt, sAt, ghAt, 0, n);
  const want = new Float64Array(2 * n);
  computeGradients({ task: 'binary' }, y, s, 1, [want]);
  for (let i = 0; i < n; i++) {
    const [g, h] = [gh[2 * i]!, gh[2 * i + 1]!];
    assert.ok(Number.isFinite(g) && Number.isFinite(h), `s ${s[i]}: ${g}, ${h}`);
    assert.equal(h, want[2 * i + 1], `h at s ${s[i]}`);
    assert.ok(Math.abs(g - want[2 * i]!) < 4e-308, `g at s ${s[i]}, y ${y[i]}: ${g} vs ${want[2 * i]}`);
    // Above the lower clamp (s > 708) the results are JS's exactly: pr = 1.
    if (s[i]! > 0) assert.equal(g, want[2 * i], `g at s ${s[i]}`);
  }
});

test(
  'binary gradients: the wasm kernel on one and two threads equals computeGradients',
  { timeout: 120_000 },
  async () => {
    const n = 20_001;
    const scores = binaryScores(n, 8);
    const labels = Float64Array.from({ length: n }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
    const want = new Float64Array(2 * n);
    computeGradients({ task: 'binary' }, labels, scores, 1, [want]);
    for (const threads of [1, 2]) {
      const ws = createHistWorkspace(n, 2, 1, threads);
      try {
        ws.y.set(labels);
        ws.scores.set(scores);
        ws.gh.fill(NaN);
        ws.gradients('binary');
        assert.deepEqual(ws.gh, want, `threads ${threads}`);
      } finally {
        await ws.close();
      }
    }
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
    const [mid] = ws.grower(0).partition([treeNode(start, end, { feature, bin, defaultLeft })]);
    assert.equal(mid, start + span.filter(goesLeft).length);
    assert.deepEqual(Array.from(ws.rows.subarray(start, end)), want);
    assert.deepEqual(Array.from(ws.rows.subarray(0, start)), before.slice(0, start));
    assert.deepEqual(Array.from(ws.rows.subarray(end)), before.slice(end));
  }
});

test(
  'a step partitions several nodes at once, the same on one and two threads',
  { timeout: 120_000 },
  async () => {
    const rng = createRng(10);
    const n = 60_000;
    const nf = 4;
    const runs: number[][] = [];
    for (const threads of [1, 2]) {
      const ws = createHistWorkspace(n, nf, 1, threads);
      try {
        const r2 = createRng(4);
        for (let i = 0; i < ws.colBins.length; i++) ws.colBins[i] = r2.next() < 0.1 ? 255 : r2.int(60);
        for (let i = 0; i < n; i++) ws.rows[i] = (i * 7919) % n;
        // Five disjoint nodes (with gaps), enough rows for the step to be shared.
        const bounds = [0, 9000, 20_000, 41_000, 41_001, 59_000];
        const nodes = bounds.slice(0, -1).map((start, i) =>
          treeNode(start, bounds[i + 1]! - (i === 2 ? 500 : 0), {
            feature: i % nf,
            bin: 5 + 11 * i,
            defaultLeft: i % 2 === 0,
          }),
        );
        const before = Array.from(ws.rows);
        const mids = ws.grower(0).partition(nodes);
        nodes.forEach((c, i) => {
          const goesLeft = (row: number): boolean => {
            const b = ws.colBins[c.feature * n + row]!;
            return b === 255 ? c.defaultLeft : b <= c.bin;
          };
          const span = before.slice(c.start, c.end);
          assert.equal(mids[i], c.start + span.filter(goesLeft).length);
          const want = [...span.filter(goesLeft), ...span.filter((r) => !goesLeft(r))];
          assert.deepEqual(Array.from(ws.rows.subarray(c.start, c.end)), want, `node ${i}`);
        });
        // Rows outside every node (the gap) are untouched.
        assert.deepEqual(Array.from(ws.rows.subarray(40_500, 41_000)), before.slice(40_500, 41_000));
        runs.push(Array.from(ws.rows));
      } finally {
        await ws.close();
      }
    }
    assert.deepEqual(runs[1], runs[0]);
    void rng;
  },
);

test(
  'the split scan finds the brute-force best split, missing values either way, on one and two threads',
  { timeout: 120_000 },
  async () => {
    const n = 40_000;
    const nf = 6;
    for (const threads of [1, 2]) {
      const rng = createRng(17);
      const ws = createHistWorkspace(n, nf, 1, threads);
      try {
        // Feature f takes 40 + 30f distinct values, 8% missing; y depends on features 2 and 4.
        const cols = Array.from({ length: nf }, (_, f) =>
          Float64Array.from({ length: n }, () => (rng.next() < 0.08 ? NaN : rng.int(40 + 30 * f))),
        );
        const upper = ws.binFeatures(cols, 256);
        for (let i = 0; i < n; i++) {
          const x2 = cols[2]![i]!;
          const x4 = cols[4]![i]!;
          const signal = (Number.isNaN(x2) ? 1 : x2 > 50 ? 0.8 : 0) + (x4 > 90 ? 0.5 : 0);
          ws.gh[2 * i] = rng.next() - 0.5 - signal;
          ws.gh[2 * i + 1] = 0.2 + rng.next();
          ws.rows[i] = i;
        }
        const feats = Int32Array.from([0, 1, 2, 3, 4, 5]);
        let G = 0;
        let H = 0;
        for (let i = 0; i < n; i++) [G, H] = [G + ws.gh[2 * i]!, H + ws.gh[2 * i + 1]!];
        const lambda = 1;
        const node = treeNode(0, n, { hist: ws.newHist(), search: true, g: G, h: H, minH: 1 });
        ws.grower(0).expand([node], feats, lambda);
        // Brute force: every (feature, threshold bin, missing side) by direct sums over the rows.
        let best = { gain: 0, feature: -1, bin: 0, dl: false };
        for (const f of feats) {
          const nb = upper[f]!.length + 1;
          for (let b = 0; b < nb - 1; b++)
            for (const dl of [false, true]) {
              let gl = 0;
              let hl = 0;
              for (let i = 0; i < n; i++) {
                const code = ws.colBins[f * n + i]!;
                if (code === 255 ? dl : code <= b) [gl, hl] = [gl + ws.gh[2 * i]!, hl + ws.gh[2 * i + 1]!];
              }
              if (hl < 1 || H - hl < 1) continue;
              const gain =
                (gl * gl) / (hl + lambda) + (G - gl) ** 2 / (H - hl + lambda) - (G * G) / (H + lambda);
              if (gain > best.gain * (1 + 1e-12)) best = { gain, feature: f, bin: b, dl };
            }
        }
        assert.equal(node.feature, best.feature, `threads ${threads}`);
        assert.equal(node.bin, best.bin);
        assert.equal(node.defaultLeft, best.dl);
        assert.ok(Math.abs(node.gain - best.gain) <= 1e-9 * best.gain, `${node.gain} vs ${best.gain}`);
      } finally {
        await ws.close();
      }
    }
  },
);

test('a step derives the larger child as parent minus sibling, all or some features', () => {
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
    ws.grower(0).expand([treeNode(0, 5, { hist: large, sibling: small })], feats, 1);
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
      () => ws.grower(0).expand([treeNode(0, n, { hist: ws.newHist() })], feats, 1),
      /GBDT worker thread failed: .*RuntimeError/s,
    );
  } finally {
    await ws.close();
  }
});
