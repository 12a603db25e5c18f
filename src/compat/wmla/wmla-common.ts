/**
 * What every WMLA surface shares: the base path, the run state → WMLA state names, and how a WMLA
 * name finds its registry version (a WMLA model is the registered model of that name in project
 * `wmla`, a template the one in `wmla-templates`).
 */
import { AppError } from '../../errors.js';
import type { ModelVersionView, RegistryService } from '../../modules/registry/index.js';
import type { RunView } from '../../modules/runs/index.js';

export const WMLA_BASE = '/platform/rest/deeplearning/v1';
export const WMLA_MODELS_PROJECT = 'wmla';
export const WMLA_TEMPLATES_PROJECT = 'wmla-templates';

/** Run states as WMLA names them for execs and trainings (WMLA enumerates none; these are observed). */
export const WMLA_RUN_STATE: Record<RunView['state'], string> = {
  queued: 'SUBMITTED',
  running: 'RUNNING',
  paused: 'SUSPENDED',
  succeeded: 'FINISHED',
  failed: 'FAILED',
  cancelled: 'KILLED',
};

/** The current version of a WMLA name, or undefined. */
export async function findWmla(
  reg: RegistryService,
  project: string,
  name: string,
): Promise<ModelVersionView | undefined> {
  try {
    return await reg.resolve(`${name}/latest`, { project });
  } catch (e) {
    if (e instanceof AppError && e.code === 'not_found') return undefined;
    throw e;
  }
}

/** Like findWmla, but 404 `<what> '<name>' was not found`. */
export async function mustFindWmla(reg: RegistryService, project: string, name: string, what: string) {
  const v = await findWmla(reg, project, name);
  if (!v) throw new AppError('not_found', `${what} '${name}' was not found`);
  return v;
}
