/**
 * IBM WMLA hypersearch input (`algoDef`, `hyperParams`, `experiments`) converted to study options.
 * WMLA sends numbers as strings in places, so values are parsed leniently and validated strictly;
 * every error names the parameter or field it is about.
 */
import { SearchSpaceError } from './space.js';
import type { Params, ParamSpec, ParamValue, SearchSpace } from './space.js';
import { TuneError } from './study.js';
import type { StudyOptions } from './study.js';

export interface WmlaHyperParam {
  name: string;
  type: string;
  dataType: string;
  minDbVal?: number | string;
  maxDbVal?: number | string;
  minIntVal?: number | string;
  maxIntVal?: number | string;
  discreteDbVal?: (number | string)[];
  discreteIntVal?: (number | string)[];
  /** Spelled this way in WMLA; `discreteStrVal` is accepted too. */
  discreateStrVal?: string[];
  discreteStrVal?: string[];
  power?: string | number;
  step?: string | number;
}

export interface WmlaExperiment {
  id: number;
  hyperParams: { name: string; dataType?: string; fixedVal: ParamValue }[];
}

export interface WmlaAlgoDef {
  algorithm: string;
  objective: string;
  objectiveMetric?: string;
  maxJobNum?: number;
  algoParams?: { name: string; value: string | number }[];
  hyperbandEta?: number | string;
}

export interface WmlaInput {
  algoDef: WmlaAlgoDef;
  hyperParams?: WmlaHyperParam[];
  experiments?: WmlaExperiment[];
}

const num = (v: unknown): number =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;

function required(hp: WmlaHyperParam, field: keyof WmlaHyperParam, integer: boolean): number {
  const v = num(hp[field]);
  if (!Number.isFinite(v)) throw new SearchSpaceError(hp.name, `${field} is required and must be a number`);
  if (integer && !Number.isInteger(v)) throw new SearchSpaceError(hp.name, `${field} must be an integer`);
  return v;
}

/** One WMLA hyperParam → our parameter spec. `power` b means value = b^x with x in [min, max]. */
export function wmlaParamToSpec(hp: WmlaHyperParam): ParamSpec {
  if (!hp || typeof hp.name !== 'string' || hp.name === '')
    throw new SearchSpaceError('(unnamed)', 'name is required');
  const type = String(hp.type ?? '').toLowerCase();
  const dataType = String(hp.dataType ?? '').toLowerCase();
  if (!['int', 'double', 'str'].includes(dataType)) {
    throw new SearchSpaceError(hp.name, `dataType must be one of int, double, str (got "${hp.dataType}")`);
  }
  const hasPower = hp.power !== undefined && hp.power !== '';
  const hasStep = hp.step !== undefined && hp.step !== '';
  if (type === 'discrete') {
    if (hasPower || hasStep)
      throw new SearchSpaceError(hp.name, 'power and step are only valid when type is Range');
    if (dataType === 'str') {
      const list = hp.discreateStrVal ?? hp.discreteStrVal;
      if (!Array.isArray(list) || list.length === 0)
        throw new SearchSpaceError(hp.name, 'discreateStrVal must be a non-empty list');
      return { type: 'categorical', choices: [...new Set(list.map(String))] };
    }
    const field = dataType === 'int' ? 'discreteIntVal' : 'discreteDbVal';
    const list = hp[field];
    if (!Array.isArray(list) || list.length === 0)
      throw new SearchSpaceError(hp.name, `${field} must be a non-empty list`);
    const values = list.map(num);
    if (!values.every(Number.isFinite))
      throw new SearchSpaceError(hp.name, `${field} must contain only numbers`);
    if (dataType === 'int' && !values.every(Number.isInteger))
      throw new SearchSpaceError(hp.name, `${field} must contain integers`);
    return { type: 'ordinal', values: [...new Set(values)].sort((a, b) => a - b) };
  }
  if (type !== 'range')
    throw new SearchSpaceError(hp.name, `type must be Range or Discrete (got "${hp.type}")`);
  if (dataType === 'str') throw new SearchSpaceError(hp.name, 'a Range cannot have dataType str');
  const isInt = dataType === 'int';
  const low = required(hp, isInt ? 'minIntVal' : 'minDbVal', isInt);
  const high = required(hp, isInt ? 'maxIntVal' : 'maxDbVal', isInt);
  if (!(low < high))
    throw new SearchSpaceError(hp.name, `${isInt ? 'minIntVal' : 'minDbVal'} must be less than the maximum`);
  const step = hasStep ? num(hp.step) : undefined;
  if (step !== undefined && !(step > 0))
    throw new SearchSpaceError(hp.name, 'step must be a positive number');
  if (step !== undefined && isInt && !Number.isInteger(step))
    throw new SearchSpaceError(hp.name, 'step must be an integer for int');
  if (hasPower) {
    const base = num(hp.power);
    if (!(base > 0) || base === 1)
      throw new SearchSpaceError(hp.name, 'power must be a positive number other than 1');
    if (!isInt && step === undefined) {
      const pow = (x: number): number => Number((base ** x).toPrecision(12));
      const [a, b] = [pow(low), pow(high)].sort((x, y) => x - y) as [number, number];
      return { type: 'float', low: a, high: b, log: true };
    }
    const exps: number[] = [];
    const inc = step ?? 1;
    for (let x = low; x <= high + 1e-9; x += inc) exps.push(x);
    if (exps.length > 10000) throw new SearchSpaceError(hp.name, 'power range has too many steps');
    return {
      type: 'ordinal',
      values: [...new Set(exps.map((x) => Number((base ** x).toPrecision(12))))].sort((a, b) => a - b),
    };
  }
  return isInt
    ? { type: 'int', low, high, ...(step !== undefined ? { step } : {}) }
    : { type: 'float', low, high, ...(step !== undefined ? { step } : {}) };
}

export function wmlaHyperParamsToSpace(hyperParams: WmlaHyperParam[]): SearchSpace {
  if (!Array.isArray(hyperParams) || hyperParams.length === 0)
    throw new SearchSpaceError('(hyperParams)', 'must be a non-empty list');
  const space: SearchSpace = {};
  for (const hp of hyperParams) {
    const spec = wmlaParamToSpec(hp);
    if (hp.name in space) throw new SearchSpaceError(hp.name, 'is defined twice');
    space[hp.name] = spec;
  }
  return space;
}

function experimentsToGrid(experiments: WmlaExperiment[]): { space: SearchSpace; list: Params[] } {
  if (!Array.isArray(experiments) || experiments.length === 0)
    throw new TuneError('invalid', 'experiments must be a non-empty list');
  const seen = new Map<string, ParamValue[]>();
  const list = experiments.map((e, i) => {
    if (!e || !Array.isArray(e.hyperParams))
      throw new TuneError('invalid', `experiments[${i}].hyperParams must be a list`);
    const p: Params = {};
    for (const hp of e.hyperParams) {
      if (!hp?.name || hp.fixedVal === undefined)
        throw new TuneError('invalid', `experiments[${i}]: every hyperParam needs name and fixedVal`);
      const dt = String(hp.dataType ?? '').toLowerCase();
      const v = dt === 'int' || dt === 'double' ? num(hp.fixedVal) : hp.fixedVal;
      if (typeof v === 'number' && !Number.isFinite(v))
        throw new SearchSpaceError(hp.name, `experiments[${i}] fixedVal is not a number`);
      p[hp.name] = v;
      const vals = seen.get(hp.name) ?? [];
      if (!vals.includes(v)) vals.push(v);
      seen.set(hp.name, vals);
    }
    return p;
  });
  const space: SearchSpace = {};
  for (const [name, vals] of seen) space[name] = { type: 'categorical', choices: vals };
  return { space, list };
}

/** Converts a WMLA hypersearch request into study options (plugins are looked up by algorithm name). */
export function wmlaToStudyOptions(input: WmlaInput, fallbackSeed = 0): StudyOptions {
  const def = input?.algoDef;
  if (!def || typeof def.algorithm !== 'string')
    throw new TuneError('invalid', 'algoDef.algorithm is required');
  const objective = String(def.objective ?? '').toLowerCase();
  if (objective !== 'minimize' && objective !== 'maximize')
    throw new TuneError('invalid', 'algoDef.objective must be minimize or maximize');
  const hasHp = input.hyperParams !== undefined;
  const hasEx = input.experiments !== undefined;
  if (hasHp === hasEx)
    throw new TuneError('invalid', 'exactly one of hyperParams and experiments must be given');
  const params = new Map((def.algoParams ?? []).map((p) => [String(p.name), p.value]));
  const get = (name: string, dflt: number, check: (v: number) => boolean, rule: string): number => {
    if (!params.has(name)) return dflt;
    const v = num(params.get(name));
    if (!Number.isFinite(v) || !check(v))
      throw new TuneError('invalid', `algoParams ${name} must be ${rule} (got "${params.get(name)}")`);
    return v;
  };
  const seed = get('RandomSeed', fallbackSeed, Number.isInteger, 'an integer');
  const maxJobNum = num(def.maxJobNum ?? -1);
  const base = { direction: objective as 'minimize' | 'maximize', seed };
  const algo = def.algorithm;
  if (algo === 'ExperimentGridSearch') {
    if (!hasEx) throw new TuneError('invalid', 'ExperimentGridSearch needs experiments, not hyperParams');
    const { space, list } = experimentsToGrid(input.experiments!);
    return { ...base, space, algorithm: 'grid', algorithmOptions: { experiments: list } };
  }
  if (!hasHp)
    throw new TuneError(
      'invalid',
      `${algo} needs hyperParams; experiments are only for ExperimentGridSearch`,
    );
  const space = wmlaHyperParamsToSpace(input.hyperParams!);
  switch (algo) {
    case 'Random':
      return { ...base, space, algorithm: 'random' };
    case 'Tpe': {
      let warmUp = get('WarmUp', 20, (v) => Number.isInteger(v) && v > 2, 'an integer > 2');
      if (maxJobNum > 0) warmUp = Math.min(warmUp, maxJobNum);
      const algorithmOptions = {
        nStartupTrials: warmUp,
        nEiCandidates: get('EICandidate', 24, (v) => Number.isInteger(v) && v > 1, 'an integer > 1'),
        gammaRatio: get('GoodRatio', 0.25, (v) => v > 0 && v <= 1, 'in (0, 1]'),
        gammaMax: get('GoodMax', 25, (v) => Number.isInteger(v) && v > 1, 'an integer > 1'),
      };
      return { ...base, space, algorithm: 'tpe', algorithmOptions };
    }
    case 'Bayesian': {
      const defaultCube = maxJobNum > 0 ? maxJobNum * 100 : 10000;
      const cube = get(
        'CubeSize',
        defaultCube,
        (v) => Number.isInteger(v) && v > 0 && (maxJobNum <= 0 || v >= maxJobNum),
        'an integer ≥ maxJobNum',
      );
      const noiseless = String(params.get('Noiseless') ?? 'true').toLowerCase();
      if (noiseless !== 'true' && noiseless !== 'false')
        throw new TuneError('invalid', 'algoParams Noiseless must be "true" or "false"');
      const algorithmOptions = {
        nStartupTrials: get('InitPoints', 10, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1'),
        // Candidates are scored exactly per suggestion, so very large cubes are capped for speed.
        nCandidates: Math.min(cube, 4096),
        noiseless: noiseless === 'true',
      };
      return { ...base, space, algorithm: 'gp', algorithmOptions };
    }
    case 'Hyperband': {
      const resourceName = params.get('ResourceName');
      if (typeof resourceName !== 'string' || resourceName === '')
        throw new TuneError('invalid', 'algoParams ResourceName is required for Hyperband');
      if (!params.has('ResourceValue'))
        throw new TuneError('invalid', 'algoParams ResourceValue is required for Hyperband');
      const maxResource = get('ResourceValue', 0, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
      const etaDefault = def.hyperbandEta !== undefined ? num(def.hyperbandEta) : 3;
      const eta = get('eta', etaDefault, (v) => v >= 2, 'a number ≥ 2');
      delete space[resourceName];
      if (Object.keys(space).length === 0)
        throw new TuneError('invalid', 'Hyperband needs at least one hyperParam besides the resource');
      return { ...base, space, algorithm: 'hyperband', algorithmOptions: { resourceName, maxResource, eta } };
    }
    default:
      // A user plugin algorithm: its algoParams are passed through as strings.
      return { ...base, space, algorithm: algo, algorithmOptions: Object.fromEntries(params) };
  }
}
