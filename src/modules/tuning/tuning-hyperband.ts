/**
 * Checks the options of a Hyperband / ASHA tuning job. Each Hyperband trial is one ordinary run
 * whose params carry its budget (`resourceName`): the resource must be a parameter the trial can
 * take (for a built-in learner, one of its integer parameters, with the budgets inside its limits)
 * and must not also be searched or fixed, since Hyperband sets it.
 */
import { invalid } from '../../errors.js';
import type { Learner } from '../../learn/index.js';
import type { CreateTuningJob } from './tuning.schemas.js';

/** Algorithms that put a budget into each trial's params. */
export const BUDGET_ALGORITHMS = ['hyperband', 'asha'] as const;
const KNOWN = ['resourceName', 'maxResource', 'minResource', 'eta', 'brackets'];

const bad = (field: string, message: string) =>
  invalid(`${field}: ${message}`, { reason: 'invalid_tuning_job', errors: [{ field, message }] });

const f = (name: string) => `algorithmOptions.${name}`;

/** Throws a 400 naming `algorithmOptions.<field>` (or `params.<name>`) when the options are wrong. */
export function checkHyperbandOptions(input: CreateTuningJob, learner: Learner | null): void {
  const o = input.algorithmOptions ?? {};
  for (const key of Object.keys(o))
    if (!KNOWN.includes(key)) throw bad(f(key), `unknown option (known: ${KNOWN.join(', ')})`);
  const name = o.resourceName;
  if (typeof name !== 'string' || name === '')
    throw bad(
      f('resourceName'),
      'required: the parameter that carries each trial’s budget, e.g. n_estimators',
    );
  if (name in input.space)
    throw bad(f('resourceName'), `'${name}' is also in space: Hyperband sets it, remove it from space`);
  if (input.params && name in input.params)
    throw bad(f('resourceName'), `'${name}' is also in params: Hyperband sets it, remove it from params`);
  const spec = learner?.params[name];
  if (learner) {
    if (!spec)
      throw bad(
        f('resourceName'),
        `'${name}' is not a parameter of ${learner.name} (integer ones: ${Object.entries(learner.params)
          .filter(([, s]) => s.type === 'integer')
          .map(([n]) => n)
          .join(', ')})`,
      );
    if (spec.type !== 'integer')
      throw bad(f('resourceName'), `'${name}' is not an integer parameter of ${learner.name}`);
  }
  const intOnly = spec?.type === 'integer';
  const lo = spec?.type === 'integer' ? spec.min : undefined;
  const hi = spec?.type === 'integer' ? spec.max : undefined;
  const budget = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw bad(f(field), `must be a number > 0 (got ${JSON.stringify(v)})`);
    if (intOnly && !Number.isInteger(v)) throw bad(f(field), `must be an integer: ${name} is one`);
    if (lo !== undefined && v < lo) throw bad(f(field), `must be ≥ ${lo}, the least ${name} allows`);
    if (hi !== undefined && v > hi) throw bad(f(field), `must be ≤ ${hi}, the most ${name} allows`);
    return v;
  };
  if (o.maxResource === undefined) throw bad(f('maxResource'), 'required: the largest budget');
  const max = budget('maxResource', o.maxResource);
  if (o.minResource !== undefined) {
    const min = budget('minResource', o.minResource);
    if (min > max) throw bad(f('minResource'), `must be ≤ maxResource (${max})`);
  } else if (lo !== undefined && lo > 1) {
    throw bad(f('minResource'), `required: the default 1 is below the least ${name} allows (${lo})`);
  }
  if (o.eta !== undefined && !(typeof o.eta === 'number' && Number.isFinite(o.eta) && o.eta >= 2))
    throw bad(f('eta'), `must be a number ≥ 2 (got ${JSON.stringify(o.eta)})`);
  if (
    o.brackets !== undefined &&
    !(typeof o.brackets === 'number' && Number.isInteger(o.brackets) && o.brackets >= 1)
  )
    throw bad(f('brackets'), `must be an integer ≥ 1 (got ${JSON.stringify(o.brackets)})`);
}
