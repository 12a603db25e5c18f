/**
 * Checks a tuning-job request before anything is written, with errors naming the field: the
 * learner and its params, the search space (the tune library's own validation), the algorithm,
 * the direction and the limits. Returns the new study, ready to be stored.
 */
import { invalid } from '../../errors.js';
import { getLearner, learners, LearnParamError } from '../../learn/index.js';
import { createStudy, SearchSpaceError, TuneError, type SearchSpace, type Study } from '../../tune/index.js';
import type { DatasetsService } from '../datasets/index.js';
import type { CreateTuningJob } from './tuning.schemas.js';

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const METRIC_RULE = /^[A-Za-z0-9._/:-]{1,200}$/;
/** Algorithms a job may use: Hyperband/ASHA need intermediate reports, which built-in runs do not send. */
export const JOB_ALGORITHMS = ['random', 'grid', 'tpe', 'gp'] as const;
export const MAX_TRIALS = 10_000;
export const MAX_PARALLELISM = 64;
/** Proposals checked against the learner at create, so a space outside its bounds fails now. */
const PROBE_TRIALS = 8;

const bad = (field: string, message: string, reason = 'invalid_tuning_job') =>
  invalid(`${field}: ${message}`, { reason, errors: [{ field, message }] });

export async function checkJobInput(
  input: CreateTuningJob,
  datasets: DatasetsService,
): Promise<{ study: Study; seed: number }> {
  if (!NAME_RULE.test(input.name))
    throw bad('name', 'letters, digits, . _ - (1–100), starting with a letter or digit');
  if (!(input.learner in learners))
    throw bad(
      'learner',
      `unknown learner '${input.learner}' (known: ${Object.keys(learners).join(', ')})`,
      'unknown_learner',
    );
  if (input.direction !== 'minimize' && input.direction !== 'maximize')
    throw bad('direction', `must be minimize or maximize, got '${input.direction}'`);
  if (!METRIC_RULE.test(input.metric)) throw bad('metric', 'a run metric name, e.g. validation_roc_auc');
  if (!Number.isInteger(input.maxTrials) || input.maxTrials < 1 || input.maxTrials > MAX_TRIALS)
    throw bad('maxTrials', `must be an integer from 1 to ${MAX_TRIALS}`);
  const parallelism = input.parallelism ?? 1;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > MAX_PARALLELISM)
    throw bad('parallelism', `must be an integer from 1 to ${MAX_PARALLELISM}`);
  const algorithm = input.algorithm ?? 'tpe';
  if (!(JOB_ALGORITHMS as readonly string[]).includes(algorithm))
    throw bad('algorithm', `must be one of ${JOB_ALGORITHMS.join(', ')}`);

  const learner = getLearner(input.learner);
  const names = Object.keys(input.space);
  if (names.length === 0) throw bad('space', 'needs at least one parameter');
  for (const name of names) {
    if (!(name in learner.params))
      throw bad(
        `space.${name}`,
        `not a parameter of ${input.learner} (known: ${Object.keys(learner.params).join(', ')})`,
      );
    if (input.params && name in input.params)
      throw bad(`space.${name}`, 'also given in params: search it or fix it');
  }
  const seed = input.seed ?? Math.floor(Math.random() * 2 ** 31);
  const options = {
    space: input.space as SearchSpace,
    algorithm,
    algorithmOptions: input.algorithmOptions ?? {},
    direction: input.direction,
    seed,
  } as const;
  const study = makeStudy(options);
  probe(makeStudy(options), input);

  const m = /^(.+?)(?:@(\d+|latest))?$/.exec(input.dataset)!;
  const version = await datasets.getVersion(m[1]!, m[2] && m[2] !== 'latest' ? Number(m[2]) : 'latest');
  if (version.format !== 'csv') throw bad('dataset', 'must be a CSV dataset');
  const target = input.target ?? version.target;
  if (!target) throw bad('target', 'required: the dataset has none');
  if (!version.columns.some((c) => c.name === target))
    throw bad('target', `'${target}' is not a column of the dataset`);
  return { study, seed };
}

function makeStudy(options: Parameters<typeof createStudy>[0]): Study {
  try {
    return createStudy(options);
  } catch (e) {
    if (e instanceof SearchSpaceError) throw bad(`space.${e.param}`, e.message, 'invalid_space');
    if (e instanceof TuneError) throw bad('algorithmOptions', e.message);
    if (e instanceof Error) throw bad('space', e.message, 'invalid_space');
    throw e;
  }
}

/** Validates a few proposals (with the fixed params) against the learner's parameter rules. */
function probe(study: Study, input: CreateTuningJob): void {
  const learner = getLearner(input.learner);
  for (let i = 0; i < PROBE_TRIALS; i++) {
    let asked;
    try {
      asked = study.ask();
    } catch (e) {
      if (e instanceof SearchSpaceError) throw bad(`space.${e.param}`, e.message, 'invalid_space');
      if (e instanceof TuneError) throw bad('algorithmOptions', e.message);
      throw e;
    }
    if (!asked) return;
    try {
      learner.validate({ ...(input.params ?? {}), ...asked.params });
    } catch (e) {
      if (!(e instanceof LearnParamError)) throw e;
      throw bad(
        e.param in input.space ? `space.${e.param}` : `params.${e.param}`,
        e.message,
        'invalid_param',
      );
    }
    study.tell(asked.id, { failed: 'probe' });
  }
}
