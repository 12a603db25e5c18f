/** `modelyard serve <model>`: DRUM's `drum server` — one model on its own port, every protocol. */
import type { Command } from 'commander';
import { VERSION } from '../app.js';
import { createPredictionServer } from '../modules/serving/prediction-server.js';
import { TARGET_TYPES } from '../modules/serving/serving.types.js';
import type { TargetType } from '../modules/serving/serving.types.js';
import { fileModelLoader } from '../modules/serving/model-loader.js';
import { CliError, type GlobalOptions } from './client.js';
import { cliRegistryLoader } from './deployments.js';

export interface LabelFlags {
  targetType?: string;
  positiveClassLabel?: string;
  negativeClassLabel?: string;
  classLabels?: string;
}

/** Shared parsing of DRUM's target-type and label flags. */
export function labelOptions(o: LabelFlags) {
  if (o.targetType && !(TARGET_TYPES as readonly string[]).includes(o.targetType))
    throw new CliError(`--target-type must be one of ${TARGET_TYPES.join(', ')} (got '${o.targetType}')`, 2);
  return {
    targetType: o.targetType as TargetType | undefined,
    positiveClassLabel: o.positiveClassLabel,
    negativeClassLabel: o.negativeClassLabel,
    classLabels: o.classLabels?.split(',').map((s) => s.trim()),
  };
}

export function addLabelFlags(cmd: Command): Command {
  return cmd
    .option('--target-type <type>', `one of ${TARGET_TYPES.join(', ')} (default: what the model implies)`)
    .option('--positive-class-label <label>', 'binary: the positive class label')
    .option('--negative-class-label <label>', 'binary: the negative class label')
    .option('--class-labels <a,b,c>', 'multiclass: class labels in output order');
}

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
      .command('serve <model>')
      .description(
        'serve a model file (.myd/.onnx), a custom.py/custom.mjs directory, or a registry reference (name@alias, name/3): DRUM, KServe V2/V1, MLflow routes',
      )
      .requiredOption('--address <host:port>', 'where to listen, e.g. 127.0.0.1:6789')
      .option('--url-prefix <prefix>', 'path prefix of every route (DRUM URL_PREFIX)')
      .option('--name <name>', 'model name in V2/V1 routes (default: file name without extension)')
      .option('--with-error-server', 'on a load failure, keep serving 513 with the error instead of exiting')
      .option('--max-body-mb <n>', 'largest request body in MB (default 50)', Number),
  ).action(
    async (
      model: string,
      o: LabelFlags & {
        address: string;
        urlPrefix?: string;
        name?: string;
        withErrorServer?: boolean;
        maxBodyMb?: number;
      },
      cmd: Command,
    ) => {
      const { host, port } = parseAddress(o.address);
      let server;
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
          ...labelOptions(o),
        });
      } catch (e) {
        throw new CliError(`cannot load model '${model}': ${(e as Error).message}`);
      }
      const url = await server.listen(port, host);
      const s = server.service;
      process.stderr.write(
        s
          ? `serving '${server.name}' (${s.targetType}, ${s.runtime.predictor}) at ${url}\n`
          : `model failed to load; error server at ${url}: ${server.loadError}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    },
  );
}
