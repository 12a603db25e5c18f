/** Turns a benchmark name into a search space and a regret function (synthetic or HPOLib tabular). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Params, SearchSpace } from '../../src/tune/index.js';
import { MULTI_FIDELITY, SYNTHETIC } from './functions.js';

export interface BenchProblem {
  name: string;
  space: SearchSpace;
  /** Simple regret of one evaluation (objective − optimum, ≥ 0 up to rounding). */
  regret(params: Params): number;
}

export const HPOLIB_DATASETS = [
  'naval_propulsion',
  'parkinsons_telemonitoring',
  'protein_structure',
  'slice_localization',
];

interface HpolibFile {
  space: { name: string; choices: (number | string)[] }[];
  values: number[][];
  optimum_mean_over_seeds: number;
}

const cache = new Map<string, BenchProblem>();

export function floatSpace(bounds: [number, number][]): SearchSpace {
  const space: SearchSpace = {};
  bounds.forEach(([low, high], j) => (space[`x${j}`] = { type: 'float', low, high }));
  return space;
}

export const toVector = (params: Params, d: number): number[] =>
  Array.from({ length: d }, (_, j) => params[`x${j}`] as number);

export function getProblem(name: string, sharedDir: string): BenchProblem {
  const hit = cache.get(name);
  if (hit) return hit;
  let p: BenchProblem;
  const syn = SYNTHETIC.find((s) => s.name === name);
  if (syn) {
    const d = syn.bounds.length;
    p = { name, space: floatSpace(syn.bounds), regret: (params) => syn.f(toVector(params, d)) - syn.fStar };
  } else if (name.startsWith('hpolib_')) {
    const data = JSON.parse(readFileSync(join(sharedDir, `${name}.json`), 'utf8')) as HpolibFile;
    const space: SearchSpace = {};
    for (const s of data.space) {
      space[s.name] = s.choices.every((c) => typeof c === 'number')
        ? { type: 'ordinal', values: s.choices as number[] }
        : { type: 'categorical', choices: s.choices };
    }
    const means = Float64Array.from(data.values, (v) => v.reduce((a, b) => a + b, 0) / v.length);
    p = {
      name,
      space,
      regret(params) {
        let idx = 0;
        for (const s of data.space) idx = idx * s.choices.length + s.choices.indexOf(params[s.name] as never);
        return means[idx]! - data.optimum_mean_over_seeds;
      },
    };
  } else throw new Error(`unknown problem ${name}`);
  cache.set(name, p);
  return p;
}

export { MULTI_FIDELITY };
