/**
 * The MISTK operations on one instance: what each checks before it is accepted (a 400 naming the
 * problem, where upstream accepts the call and fails later), then the task that does the work
 * (instance-work.ts). /reset and /streamPredict are answered when done, the others at once.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, invalid } from '../../errors.js';
import { csvFilesAt, csvHeaderAt } from './instance-data.js';
import { parseDataMap, parseInitParams, type DataRef } from './instance-inputs.js';
import { isAllowed, type InstanceState, type Operation } from './instance-machine.js';
import { illegalState, type InstanceRunner } from './instance-runner.js';
import { configOf, createInstanceWork, dataOf, type Params, type WorkDeps } from './instance-work.js';
import type { InstanceRow, ModelInstancesRepository, TaskRow } from './model-instances.repository.js';
import { streamPredict } from './stream-predict.js';

export interface OperationsDeps extends WorkDeps {
  repo: ModelInstancesRepository;
  runner: InstanceRunner;
}

const precondition = (message: string, reason: string) => invalid(message, { reason });

/** A saved model: a `.myd` file, or a directory holding `model.myd`. */
async function modelFileAt(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  if (info?.isFile()) return path;
  const inDir = join(path, 'model.myd');
  if (info?.isDirectory() && (await stat(inDir).catch(() => null))?.isFile()) return inDir;
  throw invalid(`modelPath '${path}' is neither a .myd model file nor a directory holding model.myd`, {
    reason: 'model_not_found',
    errors: [{ field: 'modelPath', message: 'must name a saved model on the server' }],
  });
}

export function createInstanceOperations(d: OperationsDeps) {
  const { repo, runner } = d;
  const { work, model, blobPrefix, forget } = createInstanceWork(d);

  /** Checks every dataset of a /loadData body now: the path exists, the target is a column. */
  async function checkData(r: InstanceRow, data: Record<string, DataRef>): Promise<void> {
    const target = configOf(r)?.target ?? null;
    for (const [objective, ref] of Object.entries(data)) {
      const f = `${objective}.${'path' in ref ? 'dataPath' : 'objectInfo.name'}`;
      const bad = (message: string) =>
        invalid(`${f}: ${message}`, { reason: 'invalid_dataset', errors: [{ field: f, message }] });
      let columns: string[];
      if ('path' in ref) {
        await csvFilesAt(ref.path).catch((e: Error) => Promise.reject(bad(e.message)));
        columns = await csvHeaderAt(ref.path).catch((e: Error) => Promise.reject(bad(e.message)));
      } else {
        const v = await d.datasets
          .getVersion(ref.dataset, ref.version)
          .catch((e: Error) => Promise.reject(bad(e.message)));
        if (v.format !== 'csv') throw bad(`dataset '${ref.dataset}' is not tabular (CSV)`);
        columns = v.columns.map((c) => c.name);
      }
      if (objective === 'train' && target !== null && !columns.includes(target))
        throw bad(`the target column '${target}' is not in the data (columns: ${columns.join(', ')})`);
    }
  }

  const submit = (r: InstanceRow, op: Operation, p: Params = {}) => runner.submit(r, op, p, work[op]!(p));

  /** Refuses `op` now (400) when the state table or the one-task rule does. */
  async function admissible(r: InstanceRow, op: Operation) {
    await runner.check(r, op);
  }

  async function reset(r: InstanceRow): Promise<void> {
    // Like upstream's process restart, a reset also ends the task in progress.
    for (let attempt = 0; ; attempt++) {
      const fresh = (await repo.byName(r.name)) ?? r;
      if (!isAllowed('reset', fresh.state as InstanceState)) throw illegalState(fresh, 'reset');
      const previous = fresh.current_task_id ? await repo.task(fresh.current_task_id) : undefined;
      let next: InstanceRow;
      try {
        next = await runner.begin(fresh, 'reset', {}, true);
      } catch (e) {
        if (attempt < 3 && e instanceof AppError && e.reason === 'instance_busy') continue;
        throw e;
      }
      if (previous && (previous.status === 'queued' || previous.status === 'running')) {
        await repo.setTaskStatus(previous.id, 'failed', 'cancelled by /reset');
        await runner.stop(fresh.id);
      }
      await runner.run(next, 'reset', work.reset!({}));
      return;
    }
  }

  async function streamPredictCall(r: InstanceRow, dataMap: unknown, details: boolean) {
    await admissible(r, 'stream_predict');
    if (!r.model_blob_key)
      throw precondition(
        `model instance '${r.name}' has no trained model: call /train or /buildModel?modelPath= first`,
        'no_model',
      );
    if (typeof dataMap !== 'object' || dataMap === null || Array.isArray(dataMap))
      throw invalid('streamPredict: the body must map ids to base64 data', { reason: 'invalid_stream_data' });
    const next = await runner.begin(r, 'stream_predict', {});
    const taskId = next.current_task_id!;
    try {
      const answer = streamPredict(await model(next), dataMap as Record<string, unknown>, details);
      await runner.succeed(next, 'stream_predict', taskId, {});
      return answer;
    } catch (e) {
      if (e instanceof AppError && e.status < 500) await runner.revert(next, taskId, e.message);
      else await runner.fail(next, taskId, (e as Error).message);
      throw e;
    }
  }

  return {
    blobPrefix,
    forget,
    /** Runs an interrupted task again when it can be (see service.recover); false otherwise. */
    rerun(r: InstanceRow, t: TaskRow): boolean {
      const make = work[t.operation as Operation];
      if (!make || t.operation === 'stream_predict') return false;
      void runner.run(r, t.operation as Operation, make(JSON.parse(t.params) as Params));
      return true;
    },
    async initialize(r: InstanceRow, body: unknown) {
      await admissible(r, 'initialize');
      return submit(r, 'initialize', { config: parseInitParams(body) });
    },
    async loadData(r: InstanceRow, body: unknown) {
      await admissible(r, 'load_data');
      const data = parseDataMap(body);
      await checkData(r, data);
      return submit(r, 'load_data', { data });
    },
    async buildModel(r: InstanceRow, modelPath: string | null) {
      await admissible(r, 'build_model');
      return submit(r, 'build_model', modelPath === null ? {} : { modelFile: await modelFileAt(modelPath) });
    },
    async train(r: InstanceRow) {
      await admissible(r, 'train');
      if (!dataOf(r).train)
        throw precondition(
          `model instance '${r.name}' has no train data: call /loadData with a 'train' dataset first`,
          'no_train_data',
        );
      return submit(r, 'train');
    },
    async saveModel(r: InstanceRow, modelPath: string | undefined) {
      await admissible(r, 'save_model');
      if (!modelPath)
        throw invalid('saveModel needs the modelPath query parameter (a directory)', {
          reason: 'missing_path',
          errors: [{ field: 'modelPath', message: 'is required' }],
        });
      if (!r.model_blob_key)
        throw precondition(
          `model instance '${r.name}' has no trained model to save: call /train first`,
          'no_model',
        );
      return submit(r, 'save_model', { modelPath });
    },
    async predict(r: InstanceRow) {
      await admissible(r, 'predict');
      if (!r.model_blob_key)
        throw precondition(
          `model instance '${r.name}' has no trained model: call /train or /buildModel?modelPath= first`,
          'no_model',
        );
      if (!dataOf(r).test)
        throw precondition(
          `model instance '${r.name}' has no test data: call /loadData with a 'test' dataset first`,
          'no_test_data',
        );
      return submit(r, 'predict');
    },
    async savePredictions(r: InstanceRow, dataPath: string | undefined) {
      await admissible(r, 'save_predictions');
      if (!dataPath)
        throw invalid('savePredictions needs the dataPath query parameter (a directory)', {
          reason: 'missing_path',
          errors: [{ field: 'dataPath', message: 'is required' }],
        });
      if (!r.predictions_blob_key)
        throw precondition(
          `model instance '${r.name}' has no predictions: call /predict first`,
          'no_predictions',
        );
      return submit(r, 'save_predictions', { dataPath });
    },
    streamPredict: streamPredictCall,
    async shutdown(r: InstanceRow) {
      await admissible(r, 'terminate');
      return submit(r, 'terminate');
    },
    reset,
  };
}
