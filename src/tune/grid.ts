/**
 * Grid search over the product of every parameter's values, and WMLA's ExperimentGridSearch
 * (an explicit list of experiments, run in order). The position in the grid is kept in each
 * trial's meta, so the sampler has no state of its own and resumes where it stopped.
 */
import { createRng } from './rng.js';
import { checkValue, compileSpace, fromInternal, SearchSpaceError } from './space.js';
import type { Dim, Params, ParamValue, SearchSpace } from './space.js';
import type { Sampler } from './sampler.js';

export interface GridOptions {
  space: SearchSpace;
  /** ExperimentGridSearch: run exactly these configurations instead of the product grid. */
  experiments?: Params[];
  /** Points per continuous float parameter (evenly spaced, log-spaced for log params). Required if any. */
  floatPoints?: number;
  /** Visit the grid in a seeded random order (useful when the study may stop early). */
  shuffleSeed?: number;
}

/** All values of one parameter on the grid. */
export function gridValues(dim: Dim, floatPoints?: number): ParamValue[] {
  const spec = dim.spec;
  if (spec.type === 'categorical') return [...spec.choices];
  if (spec.type === 'ordinal') return [...spec.values];
  if (dim.q > 0) {
    const out: ParamValue[] = [];
    for (let x = dim.lo + dim.q / 2; x < dim.hi; x += dim.q) out.push(fromInternal(dim, x));
    return [...new Set(out)];
  }
  if (spec.type === 'int') {
    const out = new Set<ParamValue>();
    for (let v = spec.low; v <= spec.high; v++) out.add(v);
    return [...out];
  }
  if (!floatPoints || floatPoints < 2) {
    throw new SearchSpaceError(
      dim.name,
      'grid search needs a step, or the floatPoints option, for continuous floats',
    );
  }
  return Array.from({ length: floatPoints }, (_, i) =>
    fromInternal(dim, dim.lo + ((dim.hi - dim.lo) * i) / (floatPoints - 1)),
  );
}

export function createGridSampler(options: GridOptions): Sampler {
  const dims = compileSpace(options.space);
  let size: number;
  let at: (i: number) => Params;
  if (options.experiments) {
    const list = options.experiments;
    if (!Array.isArray(list) || list.length === 0)
      throw new Error('grid: experiments must be a non-empty list');
    list.forEach((p) => dims.forEach((d) => p[d.name] !== undefined && checkValue(d, p[d.name]!)));
    size = list.length;
    at = (i) => ({ ...list[i]! });
  } else {
    const values = dims.map((d) => gridValues(d, options.floatPoints));
    size = values.reduce((a, v) => a * v.length, 1);
    at = (i) => {
      const p: Params = {};
      for (let j = dims.length - 1; j >= 0; j--) {
        const v = values[j]!;
        p[dims[j]!.name] = v[i % v.length]!;
        i = Math.floor(i / v.length);
      }
      return p;
    };
  }
  let order: Uint32Array | undefined;
  if (options.shuffleSeed !== undefined) {
    if (size > 5_000_000) throw new Error('grid: too many points to shuffle');
    const rng = createRng(options.shuffleSeed);
    order = Uint32Array.from({ length: size }, (_, i) => i);
    for (let i = size - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  return {
    name: 'grid',
    suggest(ctx) {
      let next = 0;
      for (const t of ctx.trials)
        if (typeof t.meta?.grid === 'number') next = Math.max(next, t.meta.grid + 1);
      if (next >= size) return null;
      return { params: at(order ? order[next]! : next), meta: { grid: next, gridSize: size } };
    },
  };
}
