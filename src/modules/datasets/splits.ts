/**
 * Train / validation / test assignment: one byte a row (0 train, 1 validation, 2 test), computed
 * once at upload from a seeded PRNG and stored as a blob, so every later read sees the same split.
 */
import { invalid, type FieldError } from '../../errors.js';
import { MISSING_CODE } from './csv-profile.js';

export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export interface SplitSpec {
  /** Percentages; they sum to 100. */
  train: number;
  validation: number;
  test: number;
  seed: number;
  stratified: boolean;
}

export type SplitCounts = Record<SplitName, number>;

export interface SplitInput {
  train?: number;
  validation?: number;
  test?: number;
  seed?: number;
  stratify?: boolean;
}

/** Validates split parameters (percentages that sum to 100, a 32-bit seed); a random seed when none. */
export function parseSplitSpec(input: SplitInput, defaults: { stratify: boolean }): SplitSpec {
  const errors: FieldError[] = [];
  const pct = (field: SplitName, fallback: number) => {
    const v = input[field] ?? fallback;
    if (!Number.isFinite(v) || v < 0 || v > 100) errors.push({ field, message: 'must be from 0 to 100' });
    return v;
  };
  const spec: SplitSpec = {
    train: pct('train', 80),
    validation: pct('validation', 10),
    test: pct('test', 10),
    seed: input.seed ?? Math.floor(Math.random() * 2 ** 32),
    stratified: input.stratify ?? defaults.stratify,
  };
  if (!Number.isInteger(spec.seed) || spec.seed < 0 || spec.seed >= 2 ** 32)
    errors.push({ field: 'seed', message: 'must be an integer from 0 to 4294967295' });
  const sum = spec.train + spec.validation + spec.test;
  if (errors.length === 0 && Math.abs(sum - 100) > 1e-9)
    errors.push({
      field: 'train',
      message: `train + validation + test must sum to 100 (got ${spec.train} + ${spec.validation} + ${spec.test} = ${sum})`,
    });
  if (spec.train <= 0 && errors.length === 0) errors.push({ field: 'train', message: 'must be above 0' });
  if (errors.length > 0) {
    throw invalid(`invalid split: ${errors[0]!.field} ${errors[0]!.message}`, {
      reason: 'invalid_split',
      errors,
    });
  }
  return spec;
}

/** mulberry32: small, fast, seedable; good enough to shuffle rows reproducibly. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many of m rows go to each split (rounded; test takes the remainder). */
function allocate(m: number, spec: SplitSpec): [number, number, number] {
  const train = Math.round((m * spec.train) / 100);
  const validation = Math.min(m - train, Math.round((m * spec.validation) / 100));
  return [train, validation, m - train - validation];
}

/** A shuffled bag of split codes with the allocated counts. */
function bag(m: number, spec: SplitSpec, rand: () => number): Uint8Array {
  const [t, v] = allocate(m, spec);
  const out = new Uint8Array(m);
  out.fill(1, t, t + v);
  out.fill(2, t + v);
  for (let i = m - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const x = out[i]!;
    out[i] = out[j]!;
    out[j] = x;
  }
  return out;
}

/**
 * Assigns each of n rows to a split. Stratified: each class (target code) is split on its own, so
 * class proportions match across splits; rows with a missing target form their own class.
 */
export function assignSplits(
  n: number,
  spec: SplitSpec,
  codes: Uint16Array | null,
): { assignment: Uint8Array; counts: SplitCounts } {
  const rand = mulberry32(spec.seed);
  let assignment: Uint8Array;
  if (!spec.stratified) {
    assignment = bag(n, spec, rand);
  } else {
    if (codes === null || codes.length !== n) {
      throw invalid('stratify needs a classification target (a label column with at most 1000 classes)', {
        reason: 'invalid_split',
        errors: [{ field: 'stratify', message: 'needs a classification target' }],
      });
    }
    const perCode = new Uint32Array(MISSING_CODE + 1);
    for (let i = 0; i < n; i++) perCode[codes[i]!]!++;
    const bags = new Map<number, Uint8Array>();
    for (let c = 0; c <= MISSING_CODE; c++) if (perCode[c]! > 0) bags.set(c, bag(perCode[c]!, spec, rand));
    const taken = new Uint32Array(MISSING_CODE + 1);
    assignment = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      assignment[i] = bags.get(c)![taken[c]!++]!;
    }
  }
  return { assignment, counts: countSplits(assignment) };
}

export function countSplits(assignment: Uint8Array): SplitCounts {
  const counts: SplitCounts = { train: 0, validation: 0, test: 0 };
  for (let i = 0; i < assignment.length; i++) counts[SPLIT_NAMES[assignment[i]!]!]++;
  return counts;
}

/**
 * Rows already in split order (data imported as separate train/validation/test files): the first
 * `rows.train` rows are train, then validation, then test. The spec records the percentages.
 */
export function contiguousSplits(
  n: number,
  rows: SplitCounts,
): { spec: SplitSpec; assignment: Uint8Array; counts: SplitCounts } {
  if (rows.train + rows.validation + rows.test !== n)
    throw invalid(
      `the split files hold ${rows.train} + ${rows.validation} + ${rows.test} rows but the data has ${n}`,
      { reason: 'invalid_split' },
    );
  if (rows.train <= 0) throw invalid('the train file has no rows', { reason: 'invalid_split' });
  const assignment = new Uint8Array(n);
  assignment.fill(1, rows.train, rows.train + rows.validation);
  assignment.fill(2, rows.train + rows.validation);
  const pct = (k: number) => (100 * k) / n;
  const spec: SplitSpec = {
    train: pct(rows.train),
    validation: pct(rows.validation),
    test: pct(rows.test),
    seed: 0,
    stratified: false,
  };
  return { spec, assignment, counts: { ...rows } };
}
