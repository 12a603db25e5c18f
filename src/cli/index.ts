/**
 * The `modelyard` command. Server commands read config; client commands talk HTTP to --url.
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../app.js';
import { ConfigError } from '../config.js';
import { isAppError } from '../errors.js';
import { CliError } from './client.js';
import { registerUp } from './up.js';
import { registerTokens } from './tokens.js';
import { registerDatasets } from './datasets.js';
import { registerFeatureGroups } from './feature-groups.js';
import { registerModels } from './models.js';
import { registerServe } from './serve.js';
import { registerDeployments } from './deployments.js';
import { registerPredictJobs } from './predict-jobs.js';
import { registerScore } from './score.js';
import { registerPerfTest } from './perf-test.js';
import { registerRuns } from './runs.js';
import { registerInstances } from './instances.js';
import { registerTune } from './tune.js';
import { registerTuningJobs } from './tuning-jobs.js';

const program = new Command('modelyard')
  .version(VERSION)
  .description('Modelyard: datasets, training, tuning, registry and serving for ML models')
  .option('--url <url>', 'server URL (env MODELYARD_URL, default http://127.0.0.1:8080)')
  .option('--token <token>', 'API token (env MODELYARD_TOKEN)')
  .option('--json', 'machine-readable output')
  .showHelpAfterError()
  .exitOverride();

registerUp(program);
registerTokens(program);
registerDatasets(program);
registerFeatureGroups(program);
registerModels(program);
registerServe(program);
registerDeployments(program);
registerPredictJobs(program);
registerScore(program);
registerPerfTest(program);
registerRuns(program);
registerInstances(program);
registerTune(program);
registerTuningJobs(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof CliError || e instanceof ConfigError) {
    process.stderr.write(`modelyard: ${e.message}\n`);
    process.exit(e instanceof CliError ? e.exitCode : 2);
  }
  if (isAppError(e)) {
    process.stderr.write(`modelyard: ${e.message}\n`);
    process.exit(1);
  }
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    process.stderr.write(
      `modelyard: the port is already in use (${(e as Error).message}); pick another with --port\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`modelyard: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
