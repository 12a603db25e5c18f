/**
 * Quantile binning for histogram trees: every feature is mapped to at most 255 value bins plus a
 * reserved missing bin (255), stored row-major as bytes so a histogram pass reads one contiguous
 * record per row. Bin b holds values v with upper[b-1] < v <= upper[b], so a split "bin <= b"
 * equals "v <= upper[b]" on raw values at predict time.
 */
import { sortedOrder } from './radix-sort.js';

export const MISSING_BIN = 255;

export interface BinMapper {
  /** Per feature, the ascending bin upper bounds (length = value bins - 1). */
  upper: Float64Array[];
}

export interface BinnedMatrix {
  nRows: number;
  nFeatures: number;
  /** Row-major n × nFeatures bin codes. */
  bins: Uint8Array;
}

/** Chooses bin bounds per column from the (non-missing) values; maxBins ≤ 256 includes the missing bin. */
export function fitBinMapper(columns: Float64Array[], maxBins = 256): BinMapper {
  return fitAndBin(columns, maxBins).mapper;
}

/**
 * fitBinMapper + applyBinMapper on the same columns in one sort per column: the sorted order that
 * yields the bounds also assigns the bins (a merge walk instead of a binary search per value).
 */
export function fitAndBin(
  columns: Float64Array[],
  maxBins = 256,
): { mapper: BinMapper; binned: BinnedMatrix } {
  const valueBins = valueBinCount(maxBins);
  const nFeatures = columns.length;
  const nRows = nFeatures === 0 ? 0 : columns[0]!.length;
  const bins = new Uint8Array(nRows * nFeatures).fill(MISSING_BIN);
  const scratch = { idx: new Uint32Array(nRows), vals: new Float64Array(nRows) };
  const upper = columns.map((col, f) => binColumn(col, valueBins, bins, nFeatures, f, scratch));
  return { mapper: { upper }, binned: { nRows, nFeatures, bins } };
}

/** Value bins (without the missing bin) for a max_bins setting. */
export function valueBinCount(maxBins: number): number {
  return Math.max(2, Math.min(255, maxBins - 1));
}

/**
 * Fits the bounds of one column and writes the bin of every non-missing value i to
 * out[i * stride + offset] (missing entries are left untouched: fill them with MISSING_BIN).
 * Returns the bounds. Self-contained apart from the helpers below, because the GBDT worker thread
 * runs it from source (hist-parallel.ts).
 */
export function binColumn(
  col: Float64Array,
  valueBins: number,
  out: Uint8Array,
  stride: number,
  offset: number,
  scratch: { idx: Uint32Array; vals: Float64Array },
): Float64Array {
  const { idx, vals } = scratch;
  const nRows = col.length;
  let n = 0;
  for (let i = 0; i < nRows; i++) {
    const v = col[i]!;
    if (v === v) idx[n++] = i;
  }
  const order = sortedOrder(col, idx.subarray(0, n));
  for (let i = 0; i < n; i++) vals[i] = col[order[i]!]!;
  const u = columnBounds(vals.subarray(0, n), valueBins);
  let b = 0;
  for (let i = 0; i < n; i++) {
    const v = vals[i]!;
    while (b < u.length && v > u[b]!) b++;
    out[order[i]! * stride + offset] = b;
  }
  return u;
}

/**
 * Copies feature f's codes from the feature-major layout (f·n + row) to the row-major one
 * (row·nf + f). Self-contained: the GBDT worker runs its source.
 */
export function rowMajorCodes(colBins: Uint8Array, bins: Uint8Array, f: number, n: number, nf: number): void {
  const o = f * n;
  for (let i = 0; i < n; i++) bins[i * nf + f] = colBins[o + i]!;
}

export function columnBounds(sorted: Float64Array, valueBins: number): Float64Array {
  const n = sorted.length;
  const distinct: number[] = [];
  for (let i = 0; i < n && distinct.length <= valueBins; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  }
  const bounds: number[] = [];
  if (distinct.length <= valueBins) {
    for (let i = 0; i + 1 < distinct.length; i++) bounds.push(midpoint(distinct[i]!, distinct[i + 1]!));
    return Float64Array.from(bounds);
  }
  // Quantile cuts; each cut sits between two distinct values so equal values never straddle bins.
  for (let b = 1; b < valueBins; b++) {
    let i = Math.floor((b * n) / valueBins) - 1;
    const v = sorted[i]!;
    while (i + 1 < n && sorted[i + 1] === v) i++;
    if (i + 1 >= n) break;
    const cut = midpoint(v, sorted[i + 1]!);
    if (bounds.length === 0 || cut > bounds[bounds.length - 1]!) bounds.push(cut);
  }
  return Float64Array.from(bounds);
}
export function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  // Rounding can land on b; the bound must stay strictly below it.
  return m < b ? m : a;
}

/** Bin index of one value. */
export function binOf(upper: Float64Array, v: number): number {
  if (Number.isNaN(v)) return MISSING_BIN;
  let lo = 0;
  let hi = upper.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= upper[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bins every value of the columns into a row-major byte matrix. */
export function applyBinMapper(mapper: BinMapper, columns: Float64Array[]): BinnedMatrix {
  const nFeatures = columns.length;
  const nRows = nFeatures === 0 ? 0 : columns[0]!.length;
  const bins = new Uint8Array(nRows * nFeatures);
  for (let f = 0; f < nFeatures; f++) {
    const col = columns[f]!;
    const upper = mapper.upper[f]!;
    for (let i = 0; i < nRows; i++) bins[i * nFeatures + f] = binOf(upper, col[i]!);
  }
  return { nRows, nFeatures, bins };
}
