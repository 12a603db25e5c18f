/**
 * One attempt of a run on an executor: built-in learner (thread) or user code (process), then its
 * outputs: metrics, artifacts and the registered model. Returns how the execution ended; the
 * worker settles the run's state from that.
 */
import type { Execution, ExecutionResult, LogLine } from '../../infra/executor/executor.js';
import type { Checkpoint } from '../../learn/index.js';
import type { DatasetVersionView } from '../datasets/index.js';
import { unpackCode } from './archive.js';
import type { BuiltinProgress, BuiltinTrainInput, BuiltinTrainOutput } from './builtin-train.worker.js';
import type { RunRow } from './runs.repository.js';
import type { Resources } from './runs.schemas.js';
import type { RunWorkerOptions } from './run-worker.js';
import { checkpointKey } from './run-core.js';
import { registerInto } from './run-model-target.js';
import { frameworkOf, isModelFile, parseMetricLine, parseValDictList, userCodeSpec } from './user-code.js';

export interface Attempt {
  run: RunRow;
  token: string;
  apiUrl: string;
  onLog(line: LogLine): void;
  systemLog(text: string): void;
  /** Hands the execution to the worker (cancel / pause). */
  started(e: Execution): void;
}

export interface AttemptResult {
  result: ExecutionResult;
  /** Set when the outputs were stored (and the model registered, if any). */
  outcome: { modelVersionId: string | null } | null;
}

type Ctx = Pick<RunWorkerOptions, 'runs' | 'datasets' | 'registry' | 'executors' | 'deps'>;

async function versionOf(o: Ctx, run: RunRow): Promise<DatasetVersionView | null> {
  if (!run.dataset_name || run.dataset_version === null) return null;
  return o.datasets.getVersion(run.dataset_name, Number(run.dataset_version));
}

async function register(
  o: Ctx,
  run: RunRow,
  framework: string,
  files: Array<{ path: string; content: Uint8Array }>,
  metrics: Record<string, number>,
): Promise<string> {
  const { phase, repo } = o.runs.internal;
  // A worker that looked dead may have had its run claimed again: that attempt registers, not this one.
  const now = await repo.get(run.id);
  if (now?.attempt !== run.attempt || now.worker_id !== run.worker_id)
    throw new Error('the run was taken over elsewhere; this attempt registers no model');
  await phase(run.id, 'model_registration', 'started');
  try {
    if (run.model_version_id) {
      const id = await registerInto(o.registry, run.model_version_id, files, metrics);
      await phase(run.id, 'model_registration', 'finished');
      return id;
    }
    const version = await o.registry.create(
      {
        name: run.model_name ?? run.name,
        framework,
        comment: `trained by run ${run.id}`,
        sourceRunId: run.id,
        datasetVersionId: run.dataset_version_id,
        metrics: Object.entries(metrics).map(([metric, value]) => ({ metric, variant: '', value })),
        metadata: [
          { key: 'run_id', type: 'string', value: run.id },
          ...(run.learner ? [{ key: 'learner', type: 'string', value: run.learner }] : []),
          ...(run.target ? [{ key: 'target', type: 'string', value: run.target }] : []),
        ],
      },
      run.created_by,
    );
    for (const f of files) await o.registry.putArtifact(version.id, f.path, f.content);
    await phase(run.id, 'model_registration', 'finished');
    return version.id;
  } catch (e) {
    await phase(run.id, 'model_registration', 'failed', (e as Error).message);
    throw e;
  }
}

async function storeArtifact(o: Ctx, run: RunRow, path: string, content: Uint8Array) {
  const key = `runs/${run.id}/artifacts/${path}`;
  await o.deps.blobs.put(key, content);
  await o.runs.internal.repo.addArtifact(run.id, path, key, content.length);
}

/** A running built-in learner hands out its state this often, so a crash loses at most this much. */
const CHECKPOINT_EVERY_MS = 30_000;

/** The saved training state of an earlier attempt, if any; metrics it does not cover are dropped. */
async function loadCheckpoint(o: Ctx, run: RunRow): Promise<Checkpoint | undefined> {
  const key = checkpointKey(run.id);
  const saved = (await o.deps.blobs.stat(key))
    ? (JSON.parse((await o.deps.blobs.getBuffer(key)).toString('utf8')) as Checkpoint)
    : undefined;
  // This attempt reports the iterations after the checkpoint (or all of them) again.
  await o.runs.internal.repo.dropMetricsAfter(run.id, 'builtin', saved?.iteration ?? 0);
  return saved;
}

export async function runBuiltin(o: Ctx, a: Attempt): Promise<AttemptResult> {
  const { run } = a;
  const { phase } = o.runs.internal;
  await phase(run.id, 'data_extraction', 'started');
  let input: BuiltinTrainInput;
  try {
    const v = (await versionOf(o, run))!;
    const csv = await streamBytes(await o.datasets.openVersionData(v));
    const assignment = await o.datasets.readSplitAssignment(v);
    const resumeFrom = await loadCheckpoint(o, run);
    input = {
      learner: run.learner!,
      params: JSON.parse(run.params),
      target: run.target!,
      csv,
      assignment,
      checkpointEveryMs: CHECKPOINT_EVERY_MS,
      ...(resumeFrom ? { resumeFrom } : {}),
    };
    if (resumeFrom) a.systemLog(`resuming from the checkpoint at iteration ${resumeFrom.iteration}`);
  } catch (e) {
    await phase(run.id, 'data_extraction', 'failed', (e as Error).message);
    throw e;
  }
  await phase(run.id, 'data_extraction', 'finished');
  await phase(run.id, 'training', 'started');
  const resources = JSON.parse(run.resources) as Resources;
  let points: Array<{ name: string; value: number; step: number }> = [];
  const flushPoints = metricFlusher(o, run.id, 'builtin', () => {
    const batch = points;
    points = [];
    return batch;
  });
  // Saves run one after another, each after the metrics it covers, so the stored state is the latest.
  let saving = Promise.resolve();
  const save = (cp: Checkpoint) => {
    saving = saving
      .then(() => flushPoints())
      .then(() => o.deps.blobs.put(checkpointKey(run.id), JSON.stringify(cp)))
      .then(() => a.systemLog(`checkpoint saved at iteration ${cp.iteration}`))
      .catch((e: unknown) => a.systemLog(`checkpoint not saved: ${(e as Error).message}`));
  };
  const timer = setInterval(() => void flushPoints(), 250);
  const execution = await o.executors.task.start({
    module: o.executors.task.moduleUrl('modules/runs/builtin-train.worker'),
    input,
    ...(run.timeout_ms ? { timeoutMs: Number(run.timeout_ms) } : {}),
    ...(resources.memoryBytes ? { maxHeapBytes: resources.memoryBytes } : {}),
    onLog: a.onLog,
    onProgress: (p) => {
      const progress = p as BuiltinProgress;
      if ('checkpoint' in progress) return save(progress.checkpoint);
      for (const [name, value] of Object.entries(progress.metrics))
        points.push({ name, value, step: progress.iteration });
    },
  });
  a.started(execution);
  const result = await execution.wait();
  clearInterval(timer);
  await saving;
  await flushPoints();
  if (result.reason !== 'exited' || result.exitCode !== 0) {
    await phase(run.id, 'training', 'failed', result.error ?? result.reason);
    return { result, outcome: null };
  }
  await phase(run.id, 'training', 'finished');
  const out = result.value as BuiltinTrainOutput;
  const model = new Uint8Array(out.model);
  // Final scores; per-iteration series (train_loss, …) already hold their last value.
  const series = new Set((await o.runs.internal.repo.nextSteps(run.id)).keys());
  await o.runs.reportMetrics(
    run.id,
    Object.entries(out.metrics)
      .filter(([name]) => !series.has(name))
      .map(([name, value]) => ({ name, value, step: out.iterations })),
    'builtin',
  );
  await storeArtifact(o, run, 'model.myd', model);
  const id = await register(o, run, 'modelyard', [{ path: 'model.myd', content: model }], out.metrics);
  return { result, outcome: { modelVersionId: id } };
}

export async function runUserCode(o: Ctx, a: Attempt): Promise<AttemptResult> {
  const { run } = a;
  const { phase, repo } = o.runs.internal;
  // A run's metrics are its latest attempt's: a retry starts the program over and reports every
  // step again, so the points of the attempts before it would be duplicates (or stale values).
  if (run.attempt > 1) await repo.dropMetrics(run.id);
  await phase(run.id, 'data_extraction', 'started');
  let spec: ReturnType<typeof userCodeSpec>;
  try {
    const code = (await repo.getCode(run.code_id!))!;
    const { files } = unpackCode(code.file_name, new Uint8Array(await o.deps.blobs.getBuffer(code.blob_key)));
    const v = await versionOf(o, run);
    spec = userCodeSpec({
      runId: run.id,
      attempt: run.attempt,
      command: run.command!,
      code: files,
      params: JSON.parse(run.params) as Record<string, unknown>,
      ...(v
        ? { openSplit: async (split) => (await o.datasets.download(v.name, v.version, split)).stream }
        : {}),
      target: run.target,
      apiUrl: a.apiUrl,
      token: a.token,
    });
  } catch (e) {
    await phase(run.id, 'data_extraction', 'failed', (e as Error).message);
    throw e;
  }
  const resources = JSON.parse(run.resources) as Resources;
  let points: Array<{ name: string; value: number; step?: number }> = [];
  const flushPoints = metricFlusher(o, run.id, 'stdout', () => {
    const batch = points;
    points = [];
    return batch;
  });
  const timer = setInterval(() => void flushPoints(), 250);
  const execution = await o.executors.process.start({
    command: spec.command,
    inputs: spec.inputs,
    env: spec.env,
    ...(run.timeout_ms ? { timeoutMs: Number(run.timeout_ms) } : {}),
    limits: {
      ...(resources.memoryBytes ? { addressSpaceBytes: resources.memoryBytes } : {}),
      ...(resources.cpuSeconds ? { cpuSeconds: resources.cpuSeconds } : {}),
      ...(resources.openFiles ? { openFiles: resources.openFiles } : {}),
    },
    onLog: (line) => {
      a.onLog(line);
      const m = line.stream === 'stdout' && !line.partial ? parseMetricLine(line.text) : null;
      if (m) points.push(m);
    },
  });
  a.started(execution);
  await phase(run.id, 'data_extraction', 'finished');
  await phase(run.id, 'training', 'started');
  try {
    const result = await execution.wait();
    clearInterval(timer);
    await flushPoints();
    const outputs = await execution.outputs();
    const files: Array<{ path: string; content: Uint8Array }> = [];
    for (const f of outputs) {
      const content = await streamBytes(f.open());
      files.push({ path: f.path, content });
      await storeArtifact(o, run, f.path, content);
    }
    const valDict = files.find((f) => f.path === 'val_dict_list.json');
    if (valDict) {
      const pts = parseValDictList(Buffer.from(valDict.content).toString('utf8'));
      if (pts.length) await o.runs.reportMetrics(run.id, pts, 'val_dict_list');
    }
    if (result.reason !== 'exited' || result.exitCode !== 0) {
      await phase(
        run.id,
        'training',
        'failed',
        result.error ?? `${result.reason} ${result.exitCode ?? result.signal}`,
      );
      return { result, outcome: null };
    }
    await phase(run.id, 'training', 'finished');
    if (!files.some((f) => isModelFile(f.path))) return { result, outcome: { modelVersionId: null } };
    const last = new Map<string, number>();
    for (const m of await repo.metrics(run.id)) last.set(m.name, m.value);
    const framework = frameworkOf(files.map((f) => f.path));
    const id = await register(o, run, framework, files, Object.fromEntries(last));
    return { result, outcome: { modelVersionId: id } };
  } finally {
    clearInterval(timer);
    await execution.dispose();
  }
}

/**
 * Stores buffered metric points; each call resolves once every earlier batch is stored too, so
 * the final flush of an attempt waits for flushes the timer started.
 */
function metricFlusher(
  o: Ctx,
  runId: string,
  source: string,
  take: () => Array<{ name: string; value: number; step?: number }>,
): () => Promise<unknown> {
  let chain: Promise<unknown> = Promise.resolve();
  return () => {
    const batch = take();
    if (batch.length) chain = chain.then(() => o.runs.reportMetrics(runId, batch, source).catch(() => 0));
    return chain;
  };
}

async function streamBytes(s: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}
