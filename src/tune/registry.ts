/** Built-in algorithms by name (the names WMLA and the tuning service use). */
import { createRandomSampler } from './random.js';
import { createTpeSampler } from './tpe.js';
import type { TpeOptions } from './tpe.js';
import type { PrunerFactory, SamplerFactory } from './sampler.js';

export const builtinSamplers: Record<string, SamplerFactory> = {
  random: () => createRandomSampler(),
  tpe: (o) => createTpeSampler(o as TpeOptions),
};

export const builtinPruners: Record<string, PrunerFactory> = {};
