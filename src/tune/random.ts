/** Random search: every active parameter drawn independently, uniformly on its internal scale. */
import { isActive, sampleDim } from './space.js';
import type { Params } from './space.js';
import type { Sampler, SamplerContext } from './sampler.js';

/** Draws one configuration, respecting conditions (parents are drawn before children). */
export function sampleRandomParams(ctx: Pick<SamplerContext, 'space' | 'dims' | 'rng'>): Params {
  const params: Params = {};
  for (const d of ctx.dims) if (isActive(ctx.space, d.name, params)) params[d.name] = sampleDim(d, ctx.rng);
  return params;
}

/** WMLA "Random" (RandomSeed maps to the study seed). */
export function createRandomSampler(): Sampler {
  return { name: 'random', suggest: (ctx) => ({ params: sampleRandomParams(ctx) }) };
}
