/**
 * Batch prediction over the complete-tree layout (implicit-trees.ts): tree-major over blocks of
 * rows. For one block, each tree is walked for every row before the next tree, so the tree's
 * ~1.3 KB of nodes stays in L1 while the block's rows (BLOCK × nFeatures values) stay there too;
 * eight rows walk the same tree in lockstep so their dependent load chains overlap. Each row still
 * adds the base and then the trees in ensemble order, so its sums are bit-identical to
 * implicitRawInto's. Rows with a missing value take the same exact walk as the single-row path.
 */
import type { ImplicitTrees } from './implicit-trees.js';
import { createWasmBatch } from './predict-wasm.js';

/** Rows per block: 128 rows × 30 features × 8 bytes is 30 KB, about L1-sized. */
export const BATCH_BLOCK = 128;

/**
 * Raw scores of rows row0 .. row0+nRows-1 of x (row-major, the nCols given at creation per
 * row, in the single-row layout): row r's nRaw scores go to raw[(r - row0) * nRaw ..].
 */
export type BatchRawFn = (x: Float64Array, row0: number, nRows: number, raw: Float64Array) => void;

/** A batch scorer over m for rows of nCols values, with its own wasm memory: no allocation per call. */
export function createImplicitBatch(m: ImplicitTrees, nCols: number): BatchRawFn {
  const w = createWasmBatch(m, BATCH_BLOCK, nCols);
  const { f64, xBase, rawBase } = w;
  const { base, nUsed } = m;
  const nRaw = base.length;
  // Where each row the kernel walks goes in raw (rows with a missing value are left out).
  const rawAt = new Int32Array(BATCH_BLOCK);
  return (x, row0, nRows, raw) => {
    const end = row0 + nRows;
    for (let b0 = row0; b0 < end; b0 += BATCH_BLOCK) {
      const b1 = Math.min(end, b0 + BATCH_BLOCK);
      const nb = b1 - b0;
      // Most blocks have no missing value: bulk copies in and out, the NaN test in wasm.
      f64.set(x.subarray(b0 * nCols, b1 * nCols), xBase);
      if (!w.hasNaN(nb * nCols)) {
        for (let q = 0; q < nb * nRaw; q += nRaw)
          for (let k = 0; k < nRaw; k++) f64[rawBase + q + k] = base[k]!;
        w.walk(nb);
        raw.set(f64.subarray(rawBase, rawBase + nb * nRaw), (b0 - row0) * nRaw);
        continue;
      }
      let cnt = 0;
      for (let r = b0; r < b1; r++) {
        const xo = r * nCols;
        const ro = (r - row0) * nRaw;
        // Copy the row into wasm memory (only the columns the trees read), watching for NaN.
        const wo = xBase + cnt * nCols;
        let missing = false;
        for (let j = 0; j < nUsed; j++) {
          const v = x[xo + j]!;
          if (v !== v) missing = true;
          f64[wo + j] = v;
        }
        if (missing) {
          for (let k = 0; k < nRaw; k++) raw[ro + k] = base[k]!;
          missingRawAt(m, x, xo, raw, ro);
          continue;
        }
        const so = rawBase + cnt * nRaw;
        for (let k = 0; k < nRaw; k++) f64[so + k] = base[k]!;
        rawAt[cnt++] = ro;
      }
      w.walk(cnt);
      for (let c = 0; c < cnt; c++) {
        const so = rawBase + c * nRaw;
        const ro = rawAt[c]!;
        for (let k = 0; k < nRaw; k++) raw[ro + k] = f64[so + k]!;
      }
    }
  };
}

/** The exact walk of one row with a missing value (NaN follows each node's learned direction). */
function missingRawAt(m: ImplicitTrees, x: Float64Array, xo: number, raw: Float64Array, ro: number): void {
  const { feature: fe, threshold: th, defaultRight: dr, leaf, outputs, depth: D, nInternal: NI } = m;
  for (let t = 0; t < outputs.length; t++) {
    const o = t * NI;
    let i = 0;
    for (let d = 0; d < D; d++) {
      const v = x[xo + fe[o + i]!]!;
      i = 2 * i + 1 + (v !== v ? dr[o + i]! : +(v > th[o + i]!));
    }
    raw[ro + outputs[t]!]! += leaf[t * (NI + 1) - NI + i]!;
  }
}
