/**
 * Checks of what MISTK calls carry, made before a call is accepted so a mistake is a 400 naming
 * the field instead of an instance in `failed`: the initialisation parameters (learner, target,
 * hyperparameters) and the datasets of /loadData.
 */
import { invalid } from '../../errors.js';
import { getLearner, LearnParamError, type ParamSpec } from '../../learn/index.js';

/** What /initialize fixes for the instance's life (until /reset). */
export interface InstanceConfig {
  learner: string;
  /** Target column; null: `target` when the data has one, else its last column. */
  target: string | null;
  hyperparameters: Record<string, unknown>;
  objectives: string[];
  modelProperties: Record<string, unknown>;
}

/** Where one objective's data is: a server path, or a Modelyard dataset version. */
export type DataRef = { path: string } | { dataset: string; version: number | 'latest' };

export const OBJECTIVES = ['train', 'test', 'generate'] as const;
export const DEFAULT_LEARNER = 'gbdt';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const field = (f: string, message: string, reason = 'invalid_init_params') =>
  invalid(`${f} ${message}`, { reason, errors: [{ field: f, message }] });

/**
 * MISTK clients often carry hyperparameters as strings (from config files or command lines): a
 * string is read as the number or boolean the learner's parameter expects.
 */
function coerce(spec: ParamSpec | undefined, v: unknown): unknown {
  if (typeof v !== 'string' || !spec) return v;
  if ((spec.type === 'number' || spec.type === 'integer') && v.trim() !== '' && Number.isFinite(Number(v)))
    return Number(v);
  if (spec.type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  return v;
}

/** ModelInstanceInitParams → the instance's config; a 400 names the bad field. */
export function parseInitParams(body: unknown): InstanceConfig {
  const b = body ?? {};
  if (!isObject(b)) throw field('body', 'must be a ModelInstanceInitParams object');
  const props = b.modelProperties ?? {};
  if (!isObject(props)) throw field('modelProperties', 'must be an object');
  const hp = b.hyperparameters ?? {};
  if (!isObject(hp)) throw field('hyperparameters', 'must be an object');
  const objectives = b.objectives ?? [];
  if (!Array.isArray(objectives) || objectives.some((x) => typeof x !== 'string'))
    throw field('objectives', 'must be an array of strings');
  const learnerName = props.learner ?? DEFAULT_LEARNER;
  if (typeof learnerName !== 'string') throw field('modelProperties.learner', 'must be a string');
  let learner;
  try {
    learner = getLearner(learnerName);
  } catch (e) {
    throw field('modelProperties.learner', (e as Error).message);
  }
  const target = props.target ?? null;
  if (target !== null && (typeof target !== 'string' || target === ''))
    throw field('modelProperties.target', 'must be a column name');
  const hyperparameters = Object.fromEntries(
    Object.entries(hp).map(([k, v]) => [k, coerce(learner.params[k], v)]),
  );
  try {
    learner.validate(hyperparameters);
  } catch (e) {
    if (e instanceof LearnParamError) throw field(`hyperparameters.${e.param}`, e.message);
    throw e;
  }
  return {
    learner: learnerName,
    target,
    hyperparameters,
    objectives: objectives as string[],
    modelProperties: props,
  };
}

/** A MistkDataset → where its data is: `dataPath`, else `objectInfo.name` as `dataset[@version]`. */
export function parseDataset(objective: string, value: unknown): DataRef {
  const f = (name: string, msg: string) => field(`${objective}.${name}`, msg, 'invalid_dataset');
  if (!isObject(value)) throw f('', 'must be a MistkDataset object');
  if (value.dataPath !== undefined && value.dataPath !== null) {
    if (typeof value.dataPath !== 'string' || value.dataPath === '')
      throw f('dataPath', 'must be a server-side path');
    return { path: value.dataPath };
  }
  const info = value.objectInfo;
  const name = isObject(info) ? info.name : undefined;
  if (typeof name !== 'string' || name === '')
    throw f('dataPath', 'is required (or objectInfo.name naming a Modelyard dataset)');
  const m = /^(.+?)(?:@(\d+|latest))?$/.exec(name)!;
  const v = m[2];
  return { dataset: m[1]!, version: v === undefined || v === 'latest' ? 'latest' : Number(v) };
}

/** Checks the body of /loadData: objective → MistkDataset, objectives train, test, generate. */
export function parseDataMap(body: unknown): Record<string, DataRef> {
  if (!isObject(body) || Object.keys(body).length === 0)
    throw field(
      'body',
      `must map an objective (${OBJECTIVES.join(', ')}) to a MistkDataset`,
      'invalid_dataset',
    );
  const out: Record<string, DataRef> = {};
  for (const [k, v] of Object.entries(body)) {
    if (!(OBJECTIVES as readonly string[]).includes(k))
      throw field(k, `is not an objective (use ${OBJECTIVES.join(', ')})`, 'invalid_dataset');
    out[k] = parseDataset(k, v);
  }
  return out;
}
