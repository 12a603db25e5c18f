/**
 * N replicas of one model version behind round-robin. A replica is a prediction server of the
 * serving runtime (same DRUM/KServe/MLflow dispatcher as `modelyard serve`) mounted under the
 * deployment's prefix. Where the model runs:
 * - custom code: one child process per replica;
 * - a built-in model with replicas > 1: one worker thread per replica (replica-threads.ts); the
 *   main thread parses and renders, each model call goes to the least-busy thread;
 * - a built-in model with one replica: in-process, the fastest path on a loaded machine (no
 *   hand-off to a thread).
 * The pool counts requests in flight so a swap can drain it before closing the runtimes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPredictionServer } from '../serving/prediction-server.js';
import type { PredictionServer } from '../serving/prediction-server.js';
import type { LabelOptions } from '../serving/labels.js';
import type { LoadedModel } from '../serving/model-loader.js';
import type { ModelRuntime, Scores, Table, TargetType } from '../serving/serving.types.js';
import { startReplicaThreads } from './replica-threads.js';
import type { ReplicaThreads } from './replica-threads.js';

export interface ServeOptions extends LabelOptions {
  targetType?: TargetType;
}

export interface ReplicaPoolOptions {
  /** Model name in the V2/V1 routes (the deployment's name). */
  name: string;
  urlPrefix: string;
  /** `model/version` shown in responses (X-Modelyard-Model) and views. */
  label: string;
  versionId: string;
  replicas: number;
  /** Loads one fresh runtime; called once per replica. */
  load(): Promise<LoadedModel>;
  serve: ServeOptions;
  serverVersion: string;
  /** Told about replica events worth a deployment log line (a thread replaced). */
  onEvent?: (message: string) => void;
}

/** Where a pool's replicas run. */
export type ReplicaMode = 'in-process' | 'threads' | 'processes';

export interface ReplicaPool {
  readonly versionId: string;
  readonly label: string;
  readonly size: number;
  readonly targetType: string;
  readonly predictor: string;
  readonly mode: ReplicaMode;
  /** The worker threads of a built-in model with replicas > 1, else null. */
  readonly threads: ReplicaThreads | null;
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Scores a parsed table on the next replica (compat surfaces that are not HTTP passthroughs). */
  score(table: Table): Promise<{ scores: Scores; labels: string[] | null }>;
  inflight(): number;
  /**
   * Requests in flight integrated over time (request·milliseconds) since the pool started: the
   * difference of two readings divided by the time between them is the average load in between,
   * which an instant reading on this (event-loop) thread would mostly see as zero.
   */
  loadIntegral(): number;
  /** Requests each replica has taken. */
  counts(): number[];
  /** Waits until no request is in flight (at most `timeoutMs`), then closes every replica. */
  drainAndClose(timeoutMs?: number): Promise<void>;
}

/** The model's description with its calls sent to the replica threads. */
function threadedRuntime(base: ModelRuntime, threads: ReplicaThreads): ModelRuntime {
  return {
    predictor: base.predictor,
    language: base.language,
    source: base.source,
    platform: base.platform,
    inputs: base.inputs,
    outputNames: base.outputNames,
    outputSize: base.outputSize,
    impliedTargetType: base.impliedTargetType,
    predictMatrix: (x, nRows) => threads.predict(x, nRows),
    // The pool closes the threads once every server is closed.
    async close() {},
  };
}

export async function createReplicaPool(o: ReplicaPoolOptions): Promise<ReplicaPool> {
  const servers: PredictionServer[] = [];
  let threads: ReplicaThreads | null = null;
  let mode: ReplicaMode = 'in-process';
  const serve = (model: ModelRuntime, version: string | undefined) =>
    createPredictionServer({
      model,
      name: o.name,
      version,
      urlPrefix: o.urlPrefix,
      serverVersion: o.serverVersion,
      ...o.serve,
    });
  try {
    const loaded = await o.load();
    const base = loaded.runtime;
    if (o.replicas > 1 && base.platform === 'modelyard_myd' && base.inputs.count !== null) {
      mode = 'threads';
      threads = await startReplicaThreads({
        bytes: await readFile(base.source),
        source: base.source,
        count: o.replicas,
        nCols: base.inputs.count,
        onEvent: o.onEvent,
      });
      // One front per replica, each with its own micro-batcher, so up to `replicas` calls are
      // out at once; the main-thread runtime only describes the model.
      await base.close();
      for (let i = 0; i < o.replicas; i++)
        servers.push(await serve(threadedRuntime(base, threads), loaded.version));
    } else {
      if (base.predictTable) mode = 'processes';
      servers.push(await serve(base, loaded.version));
      for (let i = 1; i < o.replicas; i++) {
        const more = await o.load();
        servers.push(await serve(more.runtime, more.version));
      }
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    await threads?.close();
    throw e;
  }
  const first = servers[0]!.service!;
  const taken = new Array<number>(servers.length).fill(0);
  let next = 0;
  let inflight = 0;
  let integral = 0;
  let changedAt = performance.now();
  /** Moves the in-flight count by `delta`, accumulating the time spent at the old count. */
  const track = (delta: number) => {
    const now = performance.now();
    integral += inflight * (now - changedAt);
    changedAt = now;
    inflight += delta;
  };
  return {
    versionId: o.versionId,
    label: o.label,
    size: servers.length,
    targetType: first.targetType,
    predictor: first.runtime.predictor,
    mode,
    threads,
    handle(req, res) {
      const i = next;
      next = (next + 1) % servers.length;
      track(1);
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          track(-1);
        }
      };
      res.once('finish', finish);
      res.once('close', finish);
      taken[i]!++;
      res.setHeader('x-modelyard-model', o.label);
      return servers[i]!.handle(req, res);
    },
    async score(table) {
      const i = next;
      next = (next + 1) % servers.length;
      taken[i]!++;
      track(1);
      try {
        const svc = servers[i]!.service!;
        return { scores: await svc.scoreTable(table), labels: svc.labels };
      } finally {
        track(-1);
      }
    },
    inflight: () => inflight,
    loadIntegral: () => integral + inflight * (performance.now() - changedAt),
    counts: () => taken.slice(),
    async drainAndClose(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (inflight > 0 && Date.now() < until) await sleep(5);
      await Promise.all(servers.map((s) => s.close()));
      await threads?.close();
    },
  };
}
