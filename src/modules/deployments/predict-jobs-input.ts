/** What a batch prediction job is given, and the checks it passes before anything is stored. */
import { AppError, invalid } from '../../errors.js';
import type { RegistryService } from '../registry/index.js';
import { parseCsvTable } from '../serving/csv-payload.js';
import { looksLikeRegistryRef } from './registry-model-loader.js';

const IMAGE = /\.(jpe?g|png|gif|bmp|tiff?|webp)$/i;

/** What a job is given: its name, the model, the files to score. */
export interface PredictJobInputFile {
  field: string;
  fileName: string;
  bytes: Uint8Array;
  contentType?: string;
}

export interface SubmitPredictJob {
  name: string;
  /** A registry reference, or a bare model name (its latest version; `project` first when given). */
  model: string;
  project?: string;
  /** Classification: keep the labels whose probability is ≥ threshold (0–1). */
  threshold?: number | null;
  files: PredictJobInputFile[];
  /** Free-form strings kept with the job (e.g. WMLA's signame). */
  labels?: Record<string, string>;
}

const fieldError = (field: string, message: string, reason = 'validation_failed') =>
  invalid(`${field}: ${message}`, { reason, errors: [{ field, message }] });

export function checkThreshold(threshold: number | null): void {
  if (threshold !== null && !(Number.isFinite(threshold) && threshold >= 0 && threshold <= 1))
    throw fieldError('threshold', `must be a number between 0 and 1 (got ${threshold})`);
}

/** A registry reference as given, else a bare name's latest version (in `project` first). */
export async function resolveJobModel(registry: RegistryService, model: string, project?: string) {
  const ref = looksLikeRegistryRef(model) ? model : `${model}/latest`;
  const tries: Array<[string, string | undefined]> = project
    ? [
        [ref, project],
        [ref, undefined],
      ]
    : [[ref, undefined]];
  for (const [ref, p] of tries) {
    const v = await registry.resolve(ref, p ? { project: p } : {}).catch((e: unknown) => {
      if (e instanceof AppError && (e.code === 'not_found' || e.reason === 'ambiguous_model_name'))
        return null;
      throw e;
    });
    if (v) return v;
  }
  throw new AppError('not_found', `model: no registry model version matches '${model}'`, {
    reason: 'model_not_found',
    errors: [{ field: 'model', message: `no registry model version matches '${model}'` }],
  });
}

/** Checks every file is a CSV table with a header and at least one row, naming the field when not. */
export function checkFiles(files: PredictJobInputFile[]) {
  if (files.length === 0) throw fieldError('files', 'at least one input file is required');
  for (const f of files) {
    if (IMAGE.test(f.fileName) || f.contentType?.startsWith('image/'))
      throw fieldError(
        f.field,
        `'${f.fileName}' is an image; this server scores tabular models: send CSV files with a header row`,
        'unsupported_input',
      );
    let rows = 0;
    try {
      rows = parseCsvTable(f.bytes).nRows;
    } catch (e) {
      throw fieldError(
        f.field,
        `'${f.fileName}' is not a CSV table: ${(e as Error).message}`,
        'unsupported_input',
      );
    }
    if (rows === 0) throw fieldError(f.field, `'${f.fileName}' has no data rows`);
  }
}
