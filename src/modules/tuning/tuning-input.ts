/**
 * Checks a tuning-job request before anything is written, with errors naming the field: what each
 * trial runs (a built-in learner and its params, or uploaded code and a command), the search space
 * (the tune library's own validation, plus the learner's rules for a built-in job), the algorithm,
 * the direction, the limits and the data. Returns the new study, ready to be stored.
 */
import { AppError, invalid } from '../../errors.js';
import { getLearner, learners, LearnParamError } from '../../learn/index.js';
import { createStudy, SearchSpaceError, TuneError, type SearchSpace, type Study } from '../../tune/index.js';
import type { DatasetsService, DatasetVersionView } from '../datasets/index.js';
import type { CreateTuningJob } from './tuning.schemas.js';
import { BUDGET_ALGORITHMS, checkHyperbandOptions } from './tuning-hyperband.js';

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const METRIC_RULE = /^[A-Za-z0-9._/:-]{1,200}$/;
/**
 * Algorithms a job may use. Hyperband/ASHA need no intermediate reports: each of their trials is
 * one run whose params carry its budget (algorithmOptions.resourceName), a promotion a new trial.
 */
export const JOB_ALGORITHMS = ['random', 'grid', 'tpe', 'gp', ...BUDGET_ALGORITHMS] as const;
export const MAX_TRIALS = 10_000;
export const MAX_PARALLELISM = 64;
/** Proposals checked against the learner at create, so a space outside its bounds fails now. */
const PROBE_TRIALS = 8;

const bad = (field: string, message: string, reason = 'invalid_tuning_job') =>
  invalid(`${field}: ${message}`, { reason, errors: [{ field, message }] });

export async function checkJobInput(
  input: CreateTuningJob,
  datasets: DatasetsService,
  codeExists: (id: string) => Promise<boolean>,
): Promise<{ study: Study; seed: number }> {
  if (!NAME_RULE.test(input.name))
    throw bad('name', 'letters, digits, . _ - (1–100), starting with a letter or digit');
  await checkSubject(input, codeExists);
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

  const learner = input.learner ? getLearner(input.learner) : null;
  const names = Object.keys(input.space);
  if (names.length === 0) throw bad('space', 'needs at least one parameter');
  for (const name of names) {
    if (learner && !(name in learner.params))
      throw bad(
        `space.${name}`,
        `not a parameter of ${input.learner} (known: ${Object.keys(learner.params).join(', ')})`,
      );
    if (input.params && name in input.params)
      throw bad(`space.${name}`, 'also given in params: search it or fix it');
  }
  if ((BUDGET_ALGORITHMS as readonly string[]).includes(algorithm)) checkHyperbandOptions(input, learner);
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

  await checkData(input, datasets);
  return { study, seed };
}

/** Exactly one of a built-in learner and user code (codeId + command), with errors naming the field. */
async function checkSubject(input: CreateTuningJob, codeExists: (id: string) => Promise<boolean>) {
  if (input.learner !== undefined && input.codeId !== undefined)
    throw bad('codeId', 'give learner (built-in) or codeId + command (user code), not both');
  if (input.learner === undefined && input.codeId === undefined)
    throw bad('learner', 'required: a built-in learner, or codeId + command for user code');
  if (input.learner !== undefined) {
    if (!(input.learner in learners))
      throw bad(
        'learner',
        `unknown learner '${input.learner}' (known: ${Object.keys(learners).join(', ')})`,
        'unknown_learner',
      );
    if (input.command !== undefined) throw bad('command', 'only with codeId (user code)');
    if (input.dataset === undefined) throw bad('dataset', 'required with a built-in learner');
    return;
  }
  if (input.command === undefined) throw bad('command', 'required with codeId');
  if (!(await codeExists(input.codeId!))) {
    throw new AppError(
      'not_found',
      `codeId: code '${input.codeId}' was not found (upload it with POST /runs/code)`,
      {
        reason: 'code_not_found',
        errors: [{ field: 'codeId', message: 'no code uploaded with this id' }],
      },
    );
  }
}

/** The dataset (and target) the trial runs will get: required and tabular for a learner, optional for code. */
async function checkData(input: CreateTuningJob, datasets: DatasetsService): Promise<void> {
  if (input.dataset === undefined) {
    if (input.target !== undefined) throw bad('target', 'only with a dataset');
    return;
  }
  const m = /^(.+?)(?:@(\d+|latest))?$/.exec(input.dataset)!;
  const version: DatasetVersionView = await datasets.getVersion(
    m[1]!,
    m[2] && m[2] !== 'latest' ? Number(m[2]) : 'latest',
  );
  const target = input.target ?? version.target;
  if (input.learner !== undefined) {
    if (version.format !== 'csv') throw bad('dataset', 'must be a CSV dataset');
    if (!target) throw bad('target', 'required: the dataset has none');
  }
  if (target && !version.columns.some((c) => c.name === target))
    throw bad('target', `'${target}' is not a column of the dataset`);
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

/**
 * Asks a few proposals (so a space the algorithm cannot sample fails now) and, for a built-in job,
 * validates them with the fixed params against the learner's parameter rules.
 */
function probe(study: Study, input: CreateTuningJob): void {
  const learner = input.learner ? getLearner(input.learner) : null;
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
      learner?.validate({ ...(input.params ?? {}), ...asked.params });
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
