/** Submitting runs (validation of learner, code, queue, dataset or feature group) and uploading code. */
import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import { getLearner, learners, LearnParamError } from '../../learn/index.js';
import type { DatasetVersionView } from '../datasets/index.js';
import { unpackCode } from './archive.js';
import type { RunCore, RunsServiceDeps } from './run-core.js';
import { toRunView, type RunRow } from './runs.repository.js';
import type { CodeView, RunInput, RunView } from './runs.schemas.js';

const QUEUE_RULE = /^[A-Za-z0-9._-]{1,100}$/;
const CODE_RULE = /^[A-Za-z0-9-]{1,64}$/;

export function createRunSubmission(deps: RunsServiceDeps, core: RunCore) {
  const { blobs, datasets } = deps;
  const { repo } = core;

  function checkLearner(name: string, params: Record<string, unknown>) {
    if (!(name in learners)) {
      throw invalid(`learner '${name}' is unknown (known: ${Object.keys(learners).join(', ')})`, {
        reason: 'unknown_learner',
        errors: [{ field: 'learner', message: `must be one of ${Object.keys(learners).join(', ')}` }],
      });
    }
    try {
      getLearner(name).validate(params);
    } catch (e) {
      if (e instanceof LearnParamError)
        throw invalid(e.message, {
          reason: 'invalid_param',
          errors: [{ field: `params.${e.param}`, message: e.message }],
        });
      throw e;
    }
  }

  async function datasetOf(input: RunInput): Promise<DatasetVersionView | null> {
    if (input.dataset && input.featureGroup)
      throw invalid('give dataset or featureGroup, not both', {
        errors: [{ field: 'featureGroup', message: 'conflicts with dataset' }],
      });
    if (input.featureGroup) {
      if (!deps.extractFeatureGroup)
        throw invalid('feature groups are not available here', { reason: 'no_feature_groups' });
      return deps.extractFeatureGroup(input.featureGroup);
    }
    if (!input.dataset) return null;
    const m = /^(.+?)(?:@(\d+|latest))?$/.exec(input.dataset)!;
    return datasets.getVersion(m[1]!, m[2] && m[2] !== 'latest' ? Number(m[2]) : 'latest');
  }

  /** Checks everything about the input that can be checked before a row exists; returns the data version. */
  async function validate(input: RunInput, params: Record<string, unknown>) {
    if (!!input.learner === !!input.codeId)
      throw invalid('a run needs either learner (built-in) or codeId + command (user code)', {
        reason: 'invalid_run',
        errors: [
          { field: input.learner ? 'codeId' : 'learner', message: 'exactly one of learner and codeId' },
        ],
      });
    if (input.learner) checkLearner(input.learner, params);
    if (input.codeId && !input.command)
      throw invalid('command is required with codeId', {
        errors: [{ field: 'command', message: 'required with codeId' }],
      });
    if (input.codeId && !(await codeExists(input.codeId))) throw notFound('code', input.codeId);
    const queue = input.queue ?? 'default';
    if (!QUEUE_RULE.test(queue))
      throw invalid(`queue '${queue}' is invalid`, {
        errors: [{ field: 'queue', message: 'letters, digits, . _ - (1–100)' }],
      });
    // Fails early (404) when the target registry version does not exist.
    if (input.modelVersionId) await deps.registry.get(input.modelVersionId);
    if (input.usesModelVersionId) await deps.registry.get(input.usesModelVersionId);
    const version = await datasetOf(input);
    const target = input.target ?? version?.target ?? null;
    if (input.learner) {
      if (!version)
        throw invalid('a built-in learner needs a dataset or featureGroup', {
          errors: [{ field: 'dataset', message: 'required with learner' }],
        });
      if (version.format !== 'csv')
        throw invalid(`dataset ${version.name}@${version.version} is not tabular`, {
          errors: [{ field: 'dataset', message: 'must be a CSV dataset' }],
        });
      if (!target)
        throw invalid('target is required: the dataset has none', {
          errors: [{ field: 'target', message: 'required' }],
        });
    }
    if (version && target && !version.columns.some((c) => c.name === target))
      throw invalid(`target '${target}' is not a column of ${version.name}@${version.version}`, {
        reason: 'unknown_column',
        errors: [
          {
            field: 'target',
            message: `not a column (columns: ${version.columns.map((c) => c.name).join(', ')})`,
          },
        ],
      });
    return { queue, version, target };
  }

  async function submit(input: RunInput, user: string | null): Promise<RunView> {
    const params = input.params ?? {};
    const { queue, version, target } = await validate(input, params);
    const now = nowIso();
    const id = randomUUID();
    const r: RunRow = {
      id,
      name: input.name ?? (input.learner ? `${input.learner}${version ? `-${version.name}` : ''}` : 'run'),
      kind: input.learner ? 'builtin' : 'code',
      learner: input.learner ?? null,
      command: input.command ?? null,
      code_id: input.codeId ?? null,
      params: JSON.stringify(params),
      dataset_version_id: version?.id ?? null,
      dataset_name: version?.name ?? null,
      dataset_version: version?.version ?? null,
      feature_group: input.featureGroup ?? null,
      target,
      resources: JSON.stringify(input.resources ?? {}),
      timeout_ms: input.timeoutMs ?? null,
      max_attempts: (input.retries ?? 0) + 1,
      backoff_ms: input.backoffMs ?? 1000,
      attempt: 0,
      priority: input.priority ?? 0,
      queue,
      state: 'queued',
      reason: 'submitted',
      message: null,
      control: null,
      model_name: input.modelName ?? null,
      model_version_id: input.modelVersionId ?? null,
      token_id: null,
      worker_id: null,
      heartbeat_at: null,
      not_before: null,
      labels: JSON.stringify(input.labels ?? {}),
      created_by: user,
      created_at: now,
      updated_at: now,
      started_at: null,
      ended_at: null,
    };
    const event = await repo.insert(r);
    if (version) await datasets.addReference(version.id, { kind: 'run', id });
    if (input.usesModelVersionId)
      await deps.registry.addReference(input.usesModelVersionId, { kind: 'run', id });
    core.emit(r, event);
    await core.enqueue(r);
    return toRunView(r);
  }

  async function uploadCode(fileName: string, bytes: Uint8Array): Promise<CodeView> {
    const { format, files } = unpackCode(fileName, bytes);
    const id = randomUUID();
    const key = `runs/code/${id}`;
    await blobs.put(key, Buffer.from(bytes));
    const createdAt = nowIso();
    const paths = files.map((f) => f.path);
    await repo.insertCode({
      id,
      file_name: fileName,
      format,
      blob_key: key,
      size_bytes: bytes.length,
      files: JSON.stringify(paths),
      created_at: createdAt,
    });
    return { id, fileName, format, sizeBytes: bytes.length, files: paths, createdAt };
  }

  /** Whether code was uploaded with this id (uploads are kept for the runs that use them). */
  async function codeExists(id: string): Promise<boolean> {
    return CODE_RULE.test(id) && !!(await repo.getCode(id));
  }

  return { submit, uploadCode, codeExists };
}
