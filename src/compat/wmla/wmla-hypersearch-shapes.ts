/**
 * WMLA hypersearch (HPO) shapes: the `data` form field of `POST /hypersearch` turned into a
 * user-code tuning job, and a tuning job shown as WMLA's HpoTaskState. The search space and the
 * algorithm options come from the tune library's WMLA mapping (src/tune/wmla.ts).
 */
import { randomInt } from 'node:crypto';
import { invalid } from '../../errors.js';
import type { TrialView, TuningJobDetail } from '../../modules/tuning/index.js';
import { SearchSpaceError, TuneError, wmlaToStudyOptions, type WmlaInput } from '../../tune/index.js';
import { commandOf } from './wmla-execs.routes.js';

/** WMLA's built-in algorithms and the tuning-job algorithm each runs as. */
export const HPO_ALGORITHMS: Record<string, string> = {
  Random: 'random',
  Tpe: 'tpe',
  Bayesian: 'gp',
  ExperimentGridSearch: 'grid',
  // Each Hyperband trial is one run whose config.json holds its budget (ResourceName).
  Hyperband: 'hyperband',
};

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const bad = (field: string, message: string) =>
  invalid(`${field}: ${message}`, { reason: 'invalid_hpo_task', errors: [{ field, message }] });

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `data` field: JSON, or the Python dict text WMLA's samples send (`str(dict)`). */
export function parseHpoData(text: string | undefined): Obj {
  if (text === undefined || text.trim() === '') throw bad('data', 'the multipart field "data" is missing');
  for (const candidate of [text, pythonToJson(text)]) {
    try {
      const v = JSON.parse(candidate) as unknown;
      if (isObj(v)) return v;
      throw bad('data', 'must be a JSON object');
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
    }
  }
  throw bad('data', 'is neither JSON nor a Python dict literal');
}

/** Python literal → JSON for the plain dicts clients send: quotes swapped, True/False/None. */
function pythonToJson(text: string): string {
  let out = '';
  for (const m of text.matchAll(
    /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|\b(True|False|None)\b|[^'"TFN]+|./gs,
  )) {
    if (m[1] !== undefined) out += JSON.stringify(m[1].replace(/\\'/g, "'"));
    else if (m[2] !== undefined) out += `"${m[2]}"`;
    else if (m[3] !== undefined) out += m[3] === 'True' ? 'true' : m[3] === 'False' ? 'false' : 'null';
    else out += m[0];
  }
  return out;
}

const int = (v: unknown, field: string, dflt: number): number => {
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw bad(field, `must be an integer (got ${JSON.stringify(v)})`);
  return n;
};

/** A name WMLA would make up: `<user>-hpo-<digits>`, kept to the tuning-job name rule. */
function generatedName(user: string): string {
  const who =
    user
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 60) || 'user';
  return `${who}-hpo-${Date.now()}${String(randomInt(1000)).padStart(3, '0')}`;
}

/** The tuning job a hypersearch request asks for (codeId filled in by the caller once uploaded). */
export function hpoToTuningJob(data: Obj, user: string) {
  const spec = data.modelSpec;
  if (!isObj(spec)) throw bad('modelSpec', 'required: {sigName, args}');
  if (typeof spec.args !== 'string' || spec.args.trim() === '')
    throw bad('modelSpec.args', 'required, e.g. "--exec-start PyTorch --model-main main.py"');
  let command: string;
  try {
    command = commandOf(spec.args).command;
  } catch (e) {
    throw bad('modelSpec.args', (e as Error).message);
  }
  const def = data.algoDef;
  if (!isObj(def)) throw bad('algoDef', 'required: {algorithm, objectiveMetric, objective, …}');
  const algorithm = String(def.algorithm ?? '');
  if (!Object.hasOwn(HPO_ALGORITHMS, algorithm))
    throw bad(
      'algoDef.algorithm',
      `'${algorithm}' is not offered (built in here: ${Object.keys(HPO_ALGORITHMS).join(', ')}; user plugin algorithms are not supported)`,
    );
  if (typeof def.objectiveMetric !== 'string' || def.objectiveMetric === '')
    throw bad('algoDef.objectiveMetric', 'required: a metric name in val_dict_list.json');
  const hpoName = data.hpoName === undefined || data.hpoName === '' ? generatedName(user) : data.hpoName;
  if (typeof hpoName !== 'string' || !NAME_RULE.test(hpoName))
    throw bad('hpoName', 'letters, digits, . _ - (1–100), starting with a letter or digit');

  let options;
  try {
    options = wmlaToStudyOptions(data as unknown as WmlaInput, randomInt(2 ** 31 - 1));
  } catch (e) {
    if (e instanceof SearchSpaceError) throw bad(`hyperParams.${e.param}`, e.message);
    if (e instanceof TuneError) throw bad('algoDef', e.message);
    throw e;
  }
  const experiments = Array.isArray(data.experiments) ? data.experiments.length : 0;
  const maxJobNum = int(def.maxJobNum, 'algoDef.maxJobNum', -1);
  if (maxJobNum < 1 && !(algorithm === 'ExperimentGridSearch' && maxJobNum === -1))
    throw bad(
      'algoDef.maxJobNum',
      'must be a positive number of trials (-1, unlimited, only for ExperimentGridSearch)',
    );
  const parallel = int(def.maxParalleJobNum ?? def.maxParalleJob, 'algoDef.maxParalleJobNum', 1);
  return {
    name: hpoName,
    command: `RESULT_DIR="$MODELYARD_OUTPUT_DIR" ${command}`,
    space: options.space as Record<string, unknown>,
    algorithm: options.algorithm,
    algorithmOptions: (options.algorithmOptions ?? {}) as Record<string, unknown>,
    seed: options.seed,
    metric: def.objectiveMetric,
    direction: options.direction ?? 'minimize',
    maxTrials: maxJobNum === -1 ? experiments : maxJobNum,
    parallelism: parallel,
  };
}

/** Native field → the WMLA field it came from, for errors the tuning service raises. */
export const WMLA_FIELD: Record<string, string> = {
  name: 'hpoName',
  maxTrials: 'algoDef.maxJobNum',
  parallelism: 'algoDef.maxParalleJobNum',
  metric: 'algoDef.objectiveMetric',
  direction: 'algoDef.objective',
  seed: 'algoParams RandomSeed',
  algorithmOptions: 'algoDef.algoParams',
  command: 'modelSpec.args',
};

export const HPO_STATE: Record<string, string> = {
  queued: 'SUBMITTED',
  running: 'RUNNING',
  succeeded: 'FINISHED',
  failed: 'FAILED',
  cancelled: 'STOPPED',
};
const TRIAL_STATE: Record<string, string> = {
  running: 'RUNNING',
  succeeded: 'FINISHED',
  failed: 'FAILED',
  cancelled: 'STOPPED',
};

/** ISO 8601 → WMLA's `YYYY-MM-DD HH:MM:SS` (UTC). */
export const wmlaTime = (iso: string | null): string => (iso ? iso.replace('T', ' ').slice(0, 19) : '');

function duration(from: string, to: string | null): string {
  const s = Math.max(0, Math.floor(((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

const dataType = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'double') : 'str');

/** Objective metric points of a trial's run, summarised as WMLA does. */
export interface MetricSummary {
  name: string;
  min: number;
  max: number;
  latest: number;
}

export function toHpoExperiment(t: TrialView, metrics: MetricSummary[]) {
  return {
    id: t.number,
    state: TRIAL_STATE[t.state] ?? t.state.toUpperCase(),
    metricVal: t.value,
    metrics,
    hyperParams: Object.entries(t.params).map(([name, fixedVal]) => ({
      name,
      dataType: dataType(fixedVal),
      fixedVal,
      userDefined: false,
    })),
    appId: t.runId ?? '',
    driverId: t.runId ?? '',
    startTime: wmlaTime(t.createdAt),
    endTime: wmlaTime(t.endedAt),
    ...(t.error ? { reason: t.error } : {}),
  };
}

/** A tuning job as WMLA's HpoTaskState; `metricsOf` gives each trial's objective summary. */
export function toHpoTaskState(j: TuningJobDetail, metricsOf: (t: TrialView) => MetricSummary[]) {
  const done = j.counts.succeeded + j.counts.failed + j.counts.cancelled;
  const experiments = j.trials.map((t) => toHpoExperiment(t, metricsOf(t)));
  return {
    hpoName: j.name,
    state: HPO_STATE[j.state] ?? j.state.toUpperCase(),
    progress: `${done}/${j.maxTrials}`,
    duration: duration(j.createdAt, j.endedAt),
    creator: j.createdBy ?? '',
    createtime: wmlaTime(j.createdAt),
    best: j.best ? (experiments.find((e) => e.id === j.best!.number) ?? null) : null,
    experiments,
    running: j.counts.running,
    complete: j.counts.succeeded,
    failed: j.counts.failed,
    ...(j.error ? { reason: j.error } : {}),
  };
}
