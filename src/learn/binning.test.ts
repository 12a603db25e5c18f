import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyBinMapper, binOf, fitAndBin, MISSING_BIN } from './binning.js';
import { sortedOrder } from './radix-sort.js';
import { createHistWorkspace } from './hist-parallel.js';
import { createRng } from './random.js';

function mixedColumn(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const special = [0, -0, Infinity, -Infinity, 1e-300, -1e-300, 5e-324, Number.MAX_VALUE];
  return Float64Array.from({ length: n }, () => {
    const u = rng.next();
    if (u < 0.05) return NaN;
    if (u < 0.1) return special[rng.int(special.length)]!;
    if (u < 0.4) return rng.int(7) - 3; // many ties
    return (rng.next() - 0.5) * 10 ** (rng.int(12) - 6);
  });
}

test('radix argsort orders values exactly like Float64Array#sort, stable on ties', () => {
  for (const seed of [1, 2, 3]) {
    const col = mixedColumn(20_000, seed);
    const idx = Uint32Array.from(
      Array.from({ length: col.length }, (_, i) => i).filter((i) => !Number.isNaN(col[i])),
    );
    const order = sortedOrder(col, idx);
    const expected = Float64Array.from(idx, (i) => col[i]!).sort();
    assert.equal(order.length, idx.length);
    for (let i = 0; i < order.length; i++) {
      assert.ok(Object.is(col[order[i]!], expected[i]), `position ${i}`);
      if (i > 0 && Object.is(col[order[i]!], col[order[i - 1]!]))
        assert.ok(order[i]! > order[i - 1]!, `tie at ${i} not stable`);
    }
  }
});

test('fitAndBin assigns the same bins as a binary search over its bounds', () => {
  const cols = [
    mixedColumn(5000, 7),
    mixedColumn(5000, 8),
    Float64Array.from({ length: 5000 }, (_, i) => i % 3),
  ];
  for (const maxBins of [256, 16, 3]) {
    const { mapper, binned } = fitAndBin(cols, maxBins);
    assert.deepEqual(binned.bins, applyBinMapper(mapper, cols).bins);
    for (let f = 0; f < cols.length; f++) {
      const u = mapper.upper[f]!;
      assert.ok(u.length <= Math.min(254, maxBins - 2), `feature ${f}: ${u.length} bounds`);
      for (let b = 1; b < u.length; b++) assert.ok(u[b]! > u[b - 1]!);
    }
    assert.equal(binned.bins[0 * 3 + 2], binOf(mapper.upper[2]!, 0));
  }
  const { binned } = fitAndBin(cols);
  for (let i = 0; i < 5000; i++) if (Number.isNaN(cols[0]![i])) assert.equal(binned.bins[i * 3], MISSING_BIN);
});

test('the GBDT workspace bins like fitAndBin with one or two threads (row- and feature-major)', async () => {
  const rng = createRng(5);
  const n = 30_000;
  const cols = Array.from({ length: 9 }, (_, j) =>
    Float64Array.from({ length: n }, () => (rng.next() < 0.03 * j ? NaN : Math.round(rng.next() * 10 ** j))),
  );
  const ref = fitAndBin(cols, 64);
  for (const threads of [1, 2]) {
    const ws = createHistWorkspace(n, cols.length, 1, threads);
    try {
      const upper = ws.binFeatures(cols, 64);
      assert.deepEqual(upper, ref.mapper.upper);
      assert.deepEqual(ws.bins, ref.binned.bins);
      for (let f = 0; f < cols.length; f++)
        for (let i = 0; i < n; i += 97)
          assert.equal(ws.colBins[f * n + i], ref.binned.bins[i * cols.length + f]);
    } finally {
      await ws.close();
    }
  }
});
