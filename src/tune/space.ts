/**
 * Search spaces: the parameter kinds a study can tune, their validation, and the internal numeric
 * encoding the model-based samplers work in (log scale for log params, widened by half a step for
 * discrete params so every grid value owns an equal-width bin).
 */
import type { Rng } from './rng.js';

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

/** Makes a parameter active only when another parameter took one of the listed values. */
export interface Condition {
  parent: string;
  values: readonly ParamValue[];
}

export interface FloatParam {
  type: 'float';
  low: number;
  high: number;
  /** Sample uniformly in log space (low must be > 0). */
  log?: boolean;
  /** Grid spacing from `low`; not allowed together with `log`. */
  step?: number;
  condition?: Condition;
}

export interface IntParam {
  type: 'int';
  low: number;
  high: number;
  log?: boolean;
  step?: number;
  condition?: Condition;
}

/** An ordered list of numbers (e.g. batch sizes 8/16/32, or 10^k for k=-5..-1): modelled as an index. */
export interface OrdinalParam {
  type: 'ordinal';
  values: readonly number[];
  condition?: Condition;
}

export interface CategoricalParam {
  type: 'categorical';
  choices: readonly ParamValue[];
  condition?: Condition;
}

export type ParamSpec = FloatParam | IntParam | OrdinalParam | CategoricalParam;
/** Parameter name → spec. Order of keys is the order parameters are sampled in. */
export type SearchSpace = Record<string, ParamSpec>;

/** A validation error that names the offending parameter. */
export class SearchSpaceError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`parameter "${param}": ${message}`);
    this.name = 'SearchSpaceError';
  }
}

/** One parameter in the internal encoding. */
export interface Dim {
  name: string;
  spec: ParamSpec;
  categorical: boolean;
  /** Internal interval (numeric) or [0, nChoices-1] (categorical). */
  lo: number;
  hi: number;
  /** Internal grid step; 0 for continuous. */
  q: number;
  nChoices: number;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Throws SearchSpaceError on the first invalid parameter; returns the compiled dimensions. */
export function compileSpace(space: SearchSpace): Dim[] {
  const names = Object.keys(space);
  if (names.length === 0) throw new SearchSpaceError('(space)', 'the search space has no parameters');
  const dims: Dim[] = [];
  for (const name of names) {
    const spec = space[name]!;
    dims.push(compileParam(name, spec));
    if (spec.condition) {
      const parentIdx = names.indexOf(spec.condition.parent);
      if (parentIdx < 0 || parentIdx >= names.indexOf(name)) {
        throw new SearchSpaceError(
          name,
          `condition parent "${spec.condition.parent}" must be declared before it`,
        );
      }
      if (!Array.isArray(spec.condition.values) || spec.condition.values.length === 0) {
        throw new SearchSpaceError(name, 'condition.values must be a non-empty list');
      }
    }
  }
  return dims;
}

function compileParam(name: string, spec: ParamSpec): Dim {
  const base = { name, spec, categorical: false, nChoices: 0 };
  switch (spec.type) {
    case 'float':
    case 'int': {
      const { low, high, log, step } = spec;
      if (!finite(low) || !finite(high))
        throw new SearchSpaceError(name, 'low and high must be finite numbers');
      if (!(low < high)) throw new SearchSpaceError(name, `low (${low}) must be less than high (${high})`);
      if (spec.type === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) {
        throw new SearchSpaceError(name, 'int bounds must be integers');
      }
      if (log && low <= 0) throw new SearchSpaceError(name, `log scale needs low > 0 (got ${low})`);
      if (step !== undefined) {
        if (!finite(step) || step <= 0) throw new SearchSpaceError(name, 'step must be a positive number');
        if (log) throw new SearchSpaceError(name, 'step cannot be combined with log scale');
        if (spec.type === 'int' && !Number.isInteger(step))
          throw new SearchSpaceError(name, 'int step must be an integer');
      }
      if (log) {
        const widen = spec.type === 'int' ? 0.5 : 0;
        return { ...base, lo: Math.log(low - widen), hi: Math.log(high + widen), q: 0 };
      }
      const q = spec.type === 'int' ? (step ?? 1) : (step ?? 0);
      const top = q > 0 ? low + Math.floor((high - low) / q + 1e-9) * q : high;
      return { ...base, lo: low - q / 2, hi: top + q / 2, q };
    }
    case 'ordinal': {
      if (!Array.isArray(spec.values) || spec.values.length === 0 || !spec.values.every(finite)) {
        throw new SearchSpaceError(name, 'values must be a non-empty list of finite numbers');
      }
      return { ...base, lo: -0.5, hi: spec.values.length - 0.5, q: 1 };
    }
    case 'categorical': {
      if (!Array.isArray(spec.choices) || spec.choices.length === 0) {
        throw new SearchSpaceError(name, 'choices must be a non-empty list');
      }
      if (new Set(spec.choices).size !== spec.choices.length)
        throw new SearchSpaceError(name, 'choices must be distinct');
      return {
        ...base,
        categorical: true,
        lo: 0,
        hi: spec.choices.length - 1,
        q: 1,
        nChoices: spec.choices.length,
      };
    }
    default:
      throw new SearchSpaceError(name, `unknown type "${(spec as { type: unknown }).type}"`);
  }
}

/** Maps a parameter value to the internal scale (index for categorical/ordinal). */
export function toInternal(dim: Dim, value: ParamValue): number {
  const spec = dim.spec;
  if (spec.type === 'categorical') return spec.choices.indexOf(value);
  if (spec.type === 'ordinal') return nearestIndex(spec.values, value as number);
  return spec.log ? Math.log(value as number) : (value as number);
}

/** Maps an internal value back to a valid parameter value (rounded to the grid, clamped to bounds). */
export function fromInternal(dim: Dim, x: number): ParamValue {
  const spec = dim.spec;
  if (spec.type === 'categorical') return spec.choices[clampIdx(Math.round(x), spec.choices.length)]!;
  if (spec.type === 'ordinal') return spec.values[clampIdx(Math.round(x), spec.values.length)]!;
  let v = spec.log ? Math.exp(x) : x;
  if (spec.type === 'int') {
    const step = spec.log ? 1 : (spec.step ?? 1);
    v = spec.low + Math.round((v - spec.low) / step) * step;
    if (v > spec.high) v -= step;
  } else if (spec.step !== undefined) {
    v = spec.low + Math.round((v - spec.low) / spec.step) * spec.step;
    if (v > spec.high + 1e-12) v -= spec.step;
    v = Number(v.toPrecision(12));
  }
  return Math.min(spec.high, Math.max(spec.low, v));
}

/** Internal value → [0, 1] (used by the GP). */
export const toUnit = (dim: Dim, x: number): number =>
  dim.categorical ? x : (x - dim.lo) / (dim.hi - dim.lo);
export const fromUnit = (dim: Dim, u: number): number =>
  dim.categorical ? u : dim.lo + u * (dim.hi - dim.lo);

function clampIdx(i: number, n: number): number {
  return Math.min(n - 1, Math.max(0, i));
}

function nearestIndex(values: readonly number[], v: number): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if (Math.abs(values[i]! - v) < Math.abs(values[best]! - v)) best = i;
  return best;
}

/** True when the parameter's condition (and its parent's, recursively) holds for `params`. */
export function isActive(space: SearchSpace, name: string, params: Params): boolean {
  const cond = space[name]?.condition;
  if (!cond) return true;
  const parentValue = params[cond.parent];
  return (
    parentValue !== undefined && cond.values.includes(parentValue) && isActive(space, cond.parent, params)
  );
}

/** Draws one value uniformly on the internal scale. */
export function sampleDim(dim: Dim, rng: Rng): ParamValue {
  if (dim.categorical) return fromInternal(dim, rng.int(dim.nChoices));
  return fromInternal(dim, dim.lo + rng.next() * (dim.hi - dim.lo));
}

/** Checks that a user-supplied value is valid for the parameter (used by `Study.enqueue`). */
export function checkValue(dim: Dim, value: ParamValue): void {
  const spec = dim.spec;
  if (spec.type === 'categorical') {
    if (!spec.choices.includes(value))
      throw new SearchSpaceError(dim.name, `value ${String(value)} is not a choice`);
    return;
  }
  if (spec.type === 'ordinal') {
    if (!spec.values.includes(value as number))
      throw new SearchSpaceError(dim.name, `value ${String(value)} is not listed`);
    return;
  }
  if (!finite(value) || value < spec.low || value > spec.high) {
    throw new SearchSpaceError(dim.name, `value ${String(value)} is outside [${spec.low}, ${spec.high}]`);
  }
}
