/** Seeded train/test splits and k-fold cross-validation indices. */
import { createRng, shuffleInPlace } from './random.js';

export interface Split {
  train: Uint32Array;
  test: Uint32Array;
}

export interface SplitOptions {
  /** Fraction of rows in the test part, in (0, 1) (default 0.2). */
  testFraction?: number;
  seed?: number;
  /** Class index per row; when given, each class is split in the same proportion. */
  stratify?: ArrayLike<number>;
}

/** Splits row indices 0..n-1 into sorted train and test sets, reproducibly for a seed. */
export function trainTestSplit(n: number, options: SplitOptions = {}): Split {
  const frac = options.testFraction ?? 0.2;
  if (!(frac > 0 && frac < 1)) throw new Error('testFraction must be in (0, 1)');
  const rng = createRng(options.seed ?? 0);
  const test: number[] = [];
  const train: number[] = [];
  for (const group of groups(n, options.stratify)) {
    shuffleInPlace(group, rng);
    const nTest = Math.round(group.length * frac);
    group.forEach((row, i) => (i < nTest ? test : train).push(row));
  }
  return { train: Uint32Array.from(train).sort(), test: Uint32Array.from(test).sort() };
}

/** K folds; fold i tests on its part and trains on the rest. Stratified when `stratify` is given. */
export function kFold(
  n: number,
  k: number,
  options: { seed?: number; stratify?: ArrayLike<number> } = {},
): Split[] {
  if (!Number.isInteger(k) || k < 2 || k > n) throw new Error(`k must be an integer in [2, ${n}]`);
  const rng = createRng(options.seed ?? 0);
  const foldOf = new Int32Array(n);
  let offset = 0;
  for (const group of groups(n, options.stratify)) {
    shuffleInPlace(group, rng);
    // Continuing the round-robin across classes keeps fold sizes within one row of each other.
    group.forEach((row, i) => (foldOf[row] = (offset + i) % k));
    offset += group.length;
  }
  return Array.from({ length: k }, (_, f) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? test : train).push(i);
    return { train: Uint32Array.from(train), test: Uint32Array.from(test) };
  });
}

function groups(n: number, stratify?: ArrayLike<number>): number[][] {
  if (!stratify) return [Array.from({ length: n }, (_, i) => i)];
  if (stratify.length !== n) throw new Error('stratify must have one entry per row');
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = stratify[i]!;
    let g = byClass.get(c);
    if (!g) byClass.set(c, (g = []));
    g.push(i);
  }
  return [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c)!);
}
