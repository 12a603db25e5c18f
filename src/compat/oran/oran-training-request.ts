/**
 * The O-RAN training-job request in both dialects: R1AP camelCase (`modelId{modelName,
 * modelVersion}`, `trainingConfig`, `notificationDestination`, …) and the older snake_case
 * (`model_id{modelname, modelversion}`, `training_config`, `notification_url`, …), normalised to
 * one record. `trainingPipeline` accepts `training_pipeline_name` (what the TM's validator
 * requires) and `pipeline_name` (what its YAML says).
 */
import { invalid } from '../../errors.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first present of several spellings of a field. */
function pick(o: Obj, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
}

function str(o: Obj, field: string, ...names: string[]): string {
  const v = pick(o, ...names);
  if (v === undefined) return '';
  if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`${field} must be a string`);
  return String(v);
}

export interface PipelineChoice {
  training: { name: string; version: string };
  retraining: { name: string; version: string };
}

/** Normalises a request body; 400 names the missing field. */
export function parseJobRequest(body: Obj) {
  const modelId = pick(body, 'modelId', 'model_id');
  if (!isObj(modelId)) throw invalid('modelId (model_id) is required');
  const modelName = str(modelId, 'modelId.modelName', 'modelName', 'modelname');
  const modelVersion = str(modelId, 'modelId.modelVersion', 'modelVersion', 'modelversion');
  if (!modelName) throw invalid('modelId.modelName (model_id.modelname) is required');
  if (!modelVersion) throw invalid('modelId.modelVersion (model_id.modelversion) is required');
  const config = pick(body, 'trainingConfig', 'training_config');
  if (!isObj(config)) throw invalid('Please provide trainingConfig (training_config)');
  const data = pick(config, 'dataPipeline', 'data_pipeline');
  if (!isObj(data)) throw invalid('trainingConfig.dataPipeline is required');
  const tp = pick(config, 'trainingPipeline', 'training_pipeline');
  if (!isObj(tp)) throw invalid('trainingConfig.trainingPipeline is required');
  const args = pick(data, 'arguments') ?? {};
  if (!isObj(args)) throw invalid('trainingConfig.dataPipeline.arguments must be an object');
  const record = {
    modelName,
    modelVersion,
    artifactVersion: str(modelId, 'modelId.artifactVersion', 'artifactVersion', 'artifactversion'),
    trainingConfig: config as Obj & { description?: string },
    modelLocation: str(body, 'modelLocation', 'modelLocation', 'model_location'),
    trainingDataset: str(body, 'trainingDataset', 'trainingDataset', 'training_dataset'),
    validationDataset: str(body, 'validationDataset', 'validationDataset', 'validation_dataset'),
    notificationUrl: str(body, 'notificationDestination', 'notificationDestination', 'notification_url'),
    consumerRAppId: str(body, 'consumerRAppId', 'consumerRAppId', 'consumer_rapp_id'),
    producerRAppId: str(body, 'producerRAppId', 'producerRAppId', 'producer_rapp_id'),
  };
  if (record.notificationUrl && !/^https?:\/\//.test(record.notificationUrl))
    throw invalid(`notification URL '${record.notificationUrl}' must be http(s)`);
  const pipeline: PipelineChoice = {
    training: {
      name: str(
        tp,
        'training_pipeline_name',
        'training_pipeline_name',
        'trainingPipelineName',
        'pipeline_name',
      ),
      version: str(
        tp,
        'training_pipeline_version',
        'training_pipeline_version',
        'trainingPipelineVersion',
        'pipeline_version',
      ),
    },
    retraining: {
      name: str(tp, 'retraining_pipeline_name', 'retraining_pipeline_name', 'retrainingPipelineName'),
      version: str(
        tp,
        'retraining_pipeline_version',
        'retraining_pipeline_version',
        'retrainingPipelineVersion',
      ),
    },
  };
  const dataPipeline = {
    featureGroupName: str(data, 'feature_group_name', 'feature_group_name', 'featureGroupName'),
    queryFilter: str(data, 'query_filter', 'query_filter', 'queryFilter'),
    arguments: args,
  };
  return { record, pipeline, dataPipeline };
}

/**
 * Run parameters from `dataPipeline.arguments`. Built-in learners get typed values (the TM sends
 * strings: "3" → 3, "true" → true); user code gets them as given plus the values the TM injects.
 */
export function toRunParams(args: Obj, builtin: boolean, injected: Record<string, string>): Obj {
  if (!builtin) return { ...args, ...injected };
  return Object.fromEntries(
    Object.entries(args).map(([k, v]) => {
      if (typeof v !== 'string') return [k, v];
      const t = v.trim();
      if (t !== '' && Number.isFinite(Number(t))) return [k, Number(t)];
      if (t === 'true' || t === 'false') return [k, t === 'true'];
      return [k, v];
    }),
  );
}
