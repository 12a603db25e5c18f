/** `modelyard serve <model>`: DRUM's `drum server` — one model on its own port, every protocol. */
import cluster from 'node:cluster';
import { Option, type Command } from 'commander';
import { VERSION } from '../app.js';
import { createPredictionServer } from '../modules/serving/prediction-server.js';
import type { PredictionServer } from '../modules/serving/prediction-server.js';
import { fileModelLoader } from '../modules/serving/model-loader.js';
import { CliError, type GlobalOptions } from './client.js';
import { cliRegistryLoader } from './deployments.js';
import { addLabelFlags, labelOptions, modelArg, type LabelFlags } from './drum-flags.js';
import {
  WORKER_HEADER,
  clusterStats,
  parseWorkers,
  reportToPrimary,
  superviseWorkers,
} from './serve-cluster.js';

export function parseAddress(a: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(a);
  const port = Number(m?.[3] ?? 8080);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--address must be host:port (got '${a}')`, 2);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export function registerServe(program: Command): void {
  addLabelFlags(
    program
      .command('serve [model]')
      .description(
        'serve a model file (.myd/.onnx), a custom.py/custom.mjs directory, or a registry reference (name@alias, name/3): DRUM, KServe V2/V1, MLflow routes',
      )
      // DRUM's environment twins (ADDRESS, URL_PREFIX, MAX_WORKERS) for containers started its way.
      .addOption(
        new Option('--address <host:port>', 'where to listen, e.g. 127.0.0.1:6789')
          .env('ADDRESS')
          .makeOptionMandatory(),
      )
      .addOption(new Option('--url-prefix <prefix>', 'path prefix of every route').env('URL_PREFIX'))
      .option('--name <name>', 'model name in V2/V1 routes (default: file name without extension)')
      .option('--with-error-server', 'on a load failure, keep serving 513 with the error instead of exiting')
      .option('--max-body-mb <n>', 'largest request body in MB (default 50)', Number)
      .option(
        '--workers <n>',
        'server processes sharing the port, each loading the model (default 1; 0 or auto: one per core)',
      )
      .addOption(new Option('--max-workers <n>', "DRUM's name for --workers").env('MAX_WORKERS'))
      // Accepted so DRUM command lines run unchanged; neither changes what this server does.
      .option('--production', "DRUM's nginx/uwsgi mode: this server is always the production one")
      .option('--show-perf', "DRUM's request-time figures in /stats/: always reported here"),
  ).action(
    async (
      modelArgument: string | undefined,
      o: LabelFlags & {
        address: string;
        urlPrefix?: string;
        name?: string;
        withErrorServer?: boolean;
        maxBodyMb?: number;
        workers?: string;
        maxWorkers?: string;
      },
      cmd: Command,
    ) => {
      const model = modelArg(modelArgument, o);
      const { host, port } = parseAddress(o.address);
      const labels = labelOptions(o);
      const workers = parseWorkers(o.workers, o.maxWorkers);
      // The primary of a multi-process server only supervises; the workers run the code below.
      if (workers > 1 && cluster.isPrimary) return superviseWorkers(workers);
      const inWorker = cluster.isWorker;
      let server: PredictionServer | undefined;
      // /stats/ covers every worker: each hands the primary its own figures when asked.
      const gatherStats = inWorker
        ? clusterStats(() => {
            const svc = server?.service;
            return svc ? { ...svc.stats.take(), batching: svc.batching() } : null;
          })
        : undefined;
      try {
        server = await createPredictionServer({
          model,
          name: o.name,
          urlPrefix: o.urlPrefix,
          withErrorServer: o.withErrorServer,
          maxBodyBytes: o.maxBodyMb ? Math.round(o.maxBodyMb * 1048576) : undefined,
          serverVersion: VERSION,
          // A path first; otherwise `name@alias` / `name/3` from the registry of --url.
          loaders: [fileModelLoader, cliRegistryLoader(cmd.optsWithGlobals() as GlobalOptions)],
          responseHeaders: inWorker ? { [WORKER_HEADER]: String(process.pid) } : undefined,
          gatherStats,
          ...labels,
        });
      } catch (e) {
        const message = `cannot load model '${model}': ${(e as Error).message}`;
        if (!inWorker) throw new CliError(message);
        // The primary reports it once, instead of every worker printing it.
        await reportToPrimary({ type: 'failed', message });
        process.exit(1);
      }
      const url = await server.listen(port, host);
      const s = server.service;
      const line = s
        ? `serving '${server.name}' (${s.targetType}, ${s.runtime.predictor}) at ${url}`
        : `model failed to load; error server at ${url}: ${server.loadError}`;
      if (inWorker) await reportToPrimary({ type: 'ready', line });
      else process.stderr.write(line + '\n');
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      // The IPC channel to the primary would keep a worker alive after its server has closed.
      if (inWorker) process.exit(0);
    },
  );
}
