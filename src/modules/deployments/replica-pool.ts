/**
 * N replicas of one model version behind round-robin. A replica is a prediction server of the
 * serving runtime (same DRUM/KServe/MLflow dispatcher as `modelyard serve`) mounted under the
 * deployment's prefix; built-in models answer in-process, custom code runs one child process per
 * replica, so replicas buy real parallelism there. The pool counts requests in flight so a swap
 * can drain it before closing the runtimes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPredictionServer } from '../serving/prediction-server.js';
import type { PredictionServer } from '../serving/prediction-server.js';
import type { LabelOptions } from '../serving/labels.js';
import type { LoadedModel } from '../serving/model-loader.js';
import type { Scores, Table, TargetType } from '../serving/serving.types.js';

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
}

export interface ReplicaPool {
  readonly versionId: string;
  readonly label: string;
  readonly size: number;
  readonly targetType: string;
  readonly predictor: string;
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Scores a parsed table on the next replica (compat surfaces that are not HTTP passthroughs). */
  score(table: Table): Promise<{ scores: Scores; labels: string[] | null }>;
  inflight(): number;
  /** Requests each replica has taken. */
  counts(): number[];
  /** Waits until no request is in flight (at most `timeoutMs`), then closes every replica. */
  drainAndClose(timeoutMs?: number): Promise<void>;
}

export async function createReplicaPool(o: ReplicaPoolOptions): Promise<ReplicaPool> {
  const servers: PredictionServer[] = [];
  try {
    for (let i = 0; i < o.replicas; i++) {
      const loaded = await o.load();
      servers.push(
        await createPredictionServer({
          model: loaded.runtime,
          name: o.name,
          version: loaded.version,
          urlPrefix: o.urlPrefix,
          serverVersion: o.serverVersion,
          ...o.serve,
        }),
      );
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  const first = servers[0]!.service!;
  const taken = new Array<number>(servers.length).fill(0);
  let next = 0;
  let inflight = 0;
  return {
    versionId: o.versionId,
    label: o.label,
    size: servers.length,
    targetType: first.targetType,
    predictor: first.runtime.predictor,
    handle(req, res) {
      const i = next;
      next = (next + 1) % servers.length;
      inflight++;
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          inflight--;
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
      inflight++;
      try {
        const svc = servers[i]!.service!;
        return { scores: await svc.scoreTable(table), labels: svc.labels };
      } finally {
        inflight--;
      }
    },
    inflight: () => inflight,
    counts: () => taken.slice(),
    async drainAndClose(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (inflight > 0 && Date.now() < until) await sleep(5);
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
