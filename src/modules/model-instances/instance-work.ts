/**
 * The work each MISTK operation's task does, from nothing but the params its task row keeps and
 * the instance row, so a task interrupted by a restart can run again as it was. Training and batch
 * prediction go to a worker thread (instance-task.worker.ts).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps } from '../../deps.js';
import type { TaskExecutor } from '../../infra/executor/executor.js';
import { loadModel, type Model } from '../../learn/index.js';
import type { DatasetsService } from '../datasets/index.js';
import type { DataSource } from './instance-data.js';
import type { DataRef, InstanceConfig } from './instance-inputs.js';
import type { Operation } from './instance-machine.js';
import type { TaskSignal, Work } from './instance-runner.js';
import type {
  InstanceTaskInput,
  PredictTaskOutput,
  TrainProgress,
  TrainTaskOutput,
} from './instance-task.worker.js';
import type { InstanceRow } from './model-instances.repository.js';

export interface WorkDeps extends Deps {
  datasets: DatasetsService;
  executor: TaskExecutor;
}

export type Params = Record<string, unknown>;

const json = (v: unknown) => JSON.stringify(v);
export const configOf = (r: InstanceRow) => JSON.parse(r.config ?? 'null') as InstanceConfig | null;
export const dataOf = (r: InstanceRow) => JSON.parse(r.data) as Record<string, DataRef>;

/** Writes a file whole or not at all (a reader never sees half a model). */
async function writeAtomic(dir: string, name: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
  return file;
}

export function createInstanceWork(d: WorkDeps) {
  const cached = new Map<string, { key: string; model: Model }>();
  const blobPrefix = (id: string) => `model-instances/${id}/`;

  /** The instance's trained model, loaded once per version of its blob. */
  async function model(r: InstanceRow): Promise<Model> {
    const key = r.model_blob_key!;
    const hit = cached.get(r.id);
    if (hit?.key === key) return hit.model;
    const m = loadModel(new Uint8Array(await d.blobs.getBuffer(key)));
    cached.set(r.id, { key, model: m });
    return m;
  }

  async function source(ref: DataRef): Promise<DataSource> {
    if ('path' in ref) return { kind: 'path', path: ref.path };
    const v = await d.datasets.getVersion(ref.dataset, ref.version);
    const chunks: Buffer[] = [];
    for await (const c of await d.datasets.openVersionData(v)) chunks.push(c as Buffer);
    return { kind: 'bytes', bytes: Buffer.concat(chunks), label: `${ref.dataset}@${v.version}` };
  }

  async function onThread<O>(
    input: InstanceTaskInput,
    signal: TaskSignal,
    onProgress?: (progress: unknown) => void,
  ): Promise<O> {
    const execution = await d.executor.start({
      module: d.executor.moduleUrl('modules/model-instances/instance-task.worker'),
      input,
      ...(onProgress ? { onProgress } : {}),
    });
    signal.attach(execution);
    const result = await execution.wait();
    if (result.reason !== 'exited' || result.exitCode !== 0)
      throw new Error(result.error ?? `the task ended: ${result.reason}`);
    return result.value as O;
  }

  /** The work of each operation that runs as a task, from the params its task row keeps. */
  const work: Partial<Record<Operation, (p: Params) => Work>> = {
    initialize: (p) => async () => ({
      config: json(p.config),
      payload: json({ learner: (p.config as InstanceConfig).learner }),
    }),
    load_data: (p) => async (r) => ({
      data: json({ ...dataOf(r), ...(p.data as Record<string, DataRef>) }),
      payload: json({ data: Object.keys({ ...dataOf(r), ...(p.data as object) }) }),
    }),
    build_model: (p) => async (r) => {
      if (typeof p.modelFile !== 'string')
        return {
          model_built: 1,
          model_blob_key: null,
          payload: json({ learner: configOf(r)!.learner, model: 'fresh' }),
        };
      const bytes = new Uint8Array(await readFile(p.modelFile));
      const m = loadModel(bytes);
      const key = `${blobPrefix(r.id)}model.myd`;
      await d.blobs.put(key, bytes);
      return {
        model_built: 1,
        model_blob_key: key,
        payload: json({ learner: m.learner, task: m.task, modelPath: p.modelFile }),
      };
    },
    train: () => async (r, signal) => {
      const c = configOf(r)!;
      const out = await onThread<TrainTaskOutput>(
        {
          op: 'train',
          learner: c.learner,
          params: c.hyperparameters,
          target: c.target,
          data: await source(dataOf(r).train!),
        },
        signal,
        (progress) => signal.report({ learner: c.learner, progress: progress as TrainProgress }),
      );
      const key = `${blobPrefix(r.id)}model.myd`;
      await d.blobs.put(key, new Uint8Array(out.model));
      const { model: _bytes, ...summary } = out;
      return { model_blob_key: key, model_built: 1, payload: json({ learner: c.learner, ...summary }) };
    },
    save_model: (p) => async (r) => {
      const file = await writeAtomic(
        String(p.modelPath),
        'model.myd',
        await d.blobs.getBuffer(r.model_blob_key!),
      );
      return { payload: json({ modelPath: file }) };
    },
    predict: () => async (r, signal) => {
      const bytes = new Uint8Array(await d.blobs.getBuffer(r.model_blob_key!));
      const out = await onThread<PredictTaskOutput>(
        { op: 'predict', model: bytes, data: await source(dataOf(r).test!) },
        signal,
      );
      const key = `${blobPrefix(r.id)}predictions.csv`;
      await d.blobs.put(key, out.csv);
      return { predictions_blob_key: key, payload: json({ predictions: out.rows }) };
    },
    save_predictions: (p) => async (r) => {
      const file = await writeAtomic(
        String(p.dataPath),
        'predictions.csv',
        await d.blobs.getBuffer(r.predictions_blob_key!),
      );
      return { payload: json({ dataPath: file }) };
    },
    terminate: () => async () => ({}),
    reset: () => async (r) => {
      cached.delete(r.id);
      await d.blobs.deletePrefix(blobPrefix(r.id));
      return {
        config: null,
        data: '{}',
        model_built: 0,
        model_blob_key: null,
        predictions_blob_key: null,
        payload: '{}',
      };
    },
  };

  return { work, model, blobPrefix, forget: (id: string) => cached.delete(id) };
}

export type InstanceWork = ReturnType<typeof createInstanceWork>;
