/**
 * Stable LSD radix argsort of float64 values (11-bit digits over the 64-bit key), several times
 * faster than Float64Array#sort for the 10⁵–10⁶ values a GBDT bins per feature, and it yields the
 * order, not just the values. The order equals the default numeric sort's: -0 before +0.
 */
/**
 * Returns the entries of idx (row numbers into values, none NaN) ordered by ascending value; ties
 * keep their order in idx.
 */
export function sortedOrder(values: Float64Array, idx: Uint32Array): Uint32Array {
  // Constants are local: the GBDT worker thread runs this function from its source text.
  const BITS = 11;
  const RADIX = 1 << BITS;
  const MASK = RADIX - 1;
  const n = idx.length;
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let ix = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  let ix2 = new Uint32Array(n);
  const counts = new Uint32Array(6 * RADIX);
  for (let i = 0; i < n; i++) {
    const r = idx[i]!;
    let h = words[2 * r + 1]!;
    let l = words[2 * r]!;
    // Order-preserving map of IEEE doubles to unsigned integers: flip negatives, set the sign bit of positives.
    if (h >>> 31 === 1) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    lo[i] = l;
    hi[i] = h;
    ix[i] = r;
    counts[l & MASK]!++;
    counts[RADIX + ((l >>> BITS) & MASK)]!++;
    counts[2 * RADIX + (l >>> (2 * BITS))]!++;
    counts[3 * RADIX + (h & MASK)]!++;
    counts[4 * RADIX + ((h >>> BITS) & MASK)]!++;
    counts[5 * RADIX + (h >>> (2 * BITS))]!++;
  }
  const offsets = new Uint32Array(RADIX);
  for (let pass = 0; pass < 6; pass++) {
    const c = counts.subarray(pass * RADIX, (pass + 1) * RADIX);
    // A digit that is the same for every value does not reorder anything.
    let single = false;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      if (c[d] === n) single = true;
      offsets[d] = sum;
      sum += c[d]!;
    }
    if (single) continue;
    const shift = (pass % 3) * BITS;
    if (pass < 3) {
      for (let i = 0; i < n; i++) {
        const j = offsets[(lo[i]! >>> shift) & MASK]!++;
        lo2[j] = lo[i]!;
        hi2[j] = hi[i]!;
        ix2[j] = ix[i]!;
      }
      [lo, lo2] = [lo2, lo];
    } else {
      for (let i = 0; i < n; i++) {
        const j = offsets[(hi[i]! >>> shift) & MASK]!++;
        hi2[j] = hi[i]!;
        ix2[j] = ix[i]!;
      }
    }
    [hi, hi2] = [hi2, hi];
    [ix, ix2] = [ix2, ix];
  }
  return ix;
}
