/** Built-in algorithms by name (the names WMLA and the tuning service use). */
import { createRandomSampler } from './random.js';
import { createTpeSampler } from './tpe.js';
import type { TpeOptions } from './tpe.js';
import { createGpSampler } from './gp.js';
import type { GpOptions } from './gp.js';
import { createHyperbandSampler } from './hyperband.js';
import type { HyperbandOptions } from './hyperband.js';
import { createMedianPruner, createSuccessiveHalvingPruner } from './pruners.js';
import { createGridSampler } from './grid.js';
import type { GridOptions } from './grid.js';
import type { PrunerFactory, SamplerFactory } from './sampler.js';

export const builtinSamplers: Record<string, SamplerFactory> = {
  random: () => createRandomSampler(),
  tpe: (o) => createTpeSampler(o as TpeOptions),
  gp: (o) => createGpSampler(o as GpOptions),
  grid: (o) => createGridSampler(o as unknown as GridOptions),
  hyperband: (o) => createHyperbandSampler(o as unknown as HyperbandOptions),
  asha: (o) => createHyperbandSampler({ ...(o as unknown as HyperbandOptions), brackets: 1 }),
};

export const builtinPruners: Record<string, PrunerFactory> = {
  median: (o) => createMedianPruner(o),
  'successive-halving': (o) => createSuccessiveHalvingPruner(o),
};
