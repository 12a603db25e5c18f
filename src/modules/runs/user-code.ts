/**
 * The user-code contract (docs/runs.md): what a program finds in its working directory and
 * environment, and how its metrics are read back (stdout JSON lines, val_dict_list.json).
 */
import type { Readable } from 'node:stream';
import type { InputFile } from '../../infra/executor/executor.js';
import type { CodeFile } from './archive.js';

/** Environment variables of the contract. Paths are absolute. */
export const RUN_ENV = {
  runId: 'MODELYARD_RUN_ID',
  attempt: 'MODELYARD_ATTEMPT',
  apiUrl: 'MODELYARD_API_URL',
  token: 'MODELYARD_TOKEN',
  config: 'MODELYARD_CONFIG',
  dataDir: 'MODELYARD_DATA_DIR',
  train: 'MODELYARD_DATA_TRAIN',
  validation: 'MODELYARD_DATA_VALIDATION',
  test: 'MODELYARD_DATA_TEST',
  target: 'MODELYARD_TARGET',
} as const;

export const SPLITS = ['train', 'validation', 'test'] as const;

export interface UserCodeInput {
  runId: string;
  attempt: number;
  command: string;
  code: CodeFile[];
  params: Record<string, unknown>;
  /** Opens each split of the dataset as CSV; absent when the run has no dataset. */
  openSplit?: (split: (typeof SPLITS)[number]) => Promise<Readable>;
  target: string | null;
  apiUrl: string;
  token: string;
}

/** Inputs, environment and the wrapped command line of a user-code run. */
export function userCodeSpec(u: UserCodeInput): {
  inputs: InputFile[];
  env: Record<string, string>;
  command: string;
} {
  const inputs: InputFile[] = u.code.map((f) => ({ path: f.path, content: f.content, mode: f.mode }));
  inputs.push({ path: 'config.json', content: `${JSON.stringify(u.params, null, 2)}\n` });
  const env: Record<string, string> = {
    [RUN_ENV.runId]: u.runId,
    [RUN_ENV.attempt]: String(u.attempt),
    [RUN_ENV.apiUrl]: u.apiUrl,
    [RUN_ENV.token]: u.token,
    [RUN_ENV.target]: u.target ?? '',
  };
  // The working directory's absolute path is only known where the program starts, so the paths are
  // made absolute by the shell that runs the command.
  const exports = [`${RUN_ENV.config}="$MODELYARD_WORK_DIR/config.json"`];
  if (u.openSplit) {
    const open = u.openSplit;
    for (const split of SPLITS) inputs.push({ path: `data/${split}.csv`, content: () => open(split) });
    exports.push(`${RUN_ENV.dataDir}="$MODELYARD_WORK_DIR/data"`);
    for (const split of SPLITS) exports.push(`${RUN_ENV[split]}="$MODELYARD_WORK_DIR/data/${split}.csv"`);
  }
  return { inputs, env, command: `export ${exports.join(' ')}\n${u.command}` };
}

export interface ParsedMetric {
  name: string;
  value: number;
  step?: number;
}

const NAME_RULE = /^[^\s]{1,200}$/;

function metricOf(o: Record<string, unknown>): ParsedMetric | null {
  const name = typeof o.metric === 'string' ? o.metric : typeof o.name === 'string' ? o.name : null;
  if (name === null || !NAME_RULE.test(name) || typeof o.value !== 'number' || !Number.isFinite(o.value))
    return null;
  const step = o.step ?? o.iteration ?? o.epoch;
  return typeof step === 'number' && Number.isInteger(step) && step >= 0
    ? { name, value: o.value, step }
    : { name, value: o.value };
}

/** A stdout line `{"metric": "loss", "value": 0.3, "step": 1}` as a metric; anything else is null. */
export function parseMetricLine(text: string): ParsedMetric | null {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}') || !t.includes('"value"')) return null;
  try {
    const o = JSON.parse(t) as unknown;
    return o && typeof o === 'object' && !Array.isArray(o) ? metricOf(o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * WMLA's `val_dict_list.json`: a list with one object per epoch, e.g. `[{"loss": 0.9, "acc": 0.5},
 * …]`; every numeric field is a metric whose step is the entry's `step`/`epoch` or its 1-based index.
 */
export function parseValDictList(text: string): ParsedMetric[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [];
  }
  const list = Array.isArray(data) ? data : data && typeof data === 'object' ? [data] : [];
  const out: ParsedMetric[] = [];
  list.forEach((entry, i) => {
    if (!entry || typeof entry !== 'object') return;
    const e = entry as Record<string, unknown>;
    const stepRaw = e.step ?? e.epoch;
    const step = typeof stepRaw === 'number' && Number.isInteger(stepRaw) ? stepRaw : i + 1;
    for (const [k, v] of Object.entries(e)) {
      if (k === 'step' || k === 'epoch' || typeof v !== 'number' || !Number.isFinite(v)) continue;
      out.push({ name: k, value: v, step });
    }
  });
  return out;
}

const MODEL_FILE =
  /(\.(onnx|pkl|pickle|joblib|myd|pt|pth|h5|keras|safetensors|pb|ubj|cbm|bst|model)$)|(^|\/)model[^/]*$/i;

/** True for a file that looks like a trained model (the run then registers a model version). */
export const isModelFile = (path: string) => MODEL_FILE.test(path);

/** The framework a registry version records for these model files. */
export function frameworkOf(paths: string[]): string {
  const has = (re: RegExp) => paths.some((p) => re.test(p));
  if (has(/\.onnx$/i)) return 'onnx';
  if (has(/\.myd$/i)) return 'modelyard';
  if (has(/\.(pkl|pickle|joblib)$/i)) return 'scikit-learn';
  if (has(/\.(pt|pth)$/i)) return 'pytorch';
  if (has(/\.(h5|keras|pb)$/i)) return 'tensorflow';
  if (has(/\.(ubj|bst)$/i)) return 'xgboost';
  return 'custom';
}
