/**
 * Table shapes as Kysely sees them. Portable across SQLite and PostgreSQL: ids are text,
 * times are ISO-8601 text (UTC), JSON is text, booleans are 0/1 integers.
 * Each module owns its tables; they are gathered here so one Kysely<Database> serves all.
 */

export interface ApiTokensTable {
  id: string;
  name: string;
  role: 'viewer' | 'editor' | 'admin';
  /** sha256 hex of the secret; the secret itself is never stored. */
  token_hash: string;
  /** First characters of the secret, shown in listings to recognise a token. */
  token_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Who uses what: blocks deleting a thing while another thing depends on it (409 with the list). */
export interface ReferencesTable {
  target_kind: string;
  target_id: string;
  referrer_kind: string;
  referrer_id: string;
  created_at: string;
}

export interface DatasetsTable {
  id: string;
  name: string;
  description: string;
  /** JSON array of strings. */
  tags: string;
  kind: 'tabular' | 'images';
  created_at: string;
  updated_at: string;
}

export interface DatasetVersionsTable {
  id: string;
  dataset_id: string;
  version: number;
  /** `upload` | `path` | `feature_group` */
  source: string;
  /** Blob key of the data (CSV or zip); null for registered server paths. */
  blob_key: string | null;
  source_path: string | null;
  format: 'csv' | 'zip';
  size_bytes: number;
  sha256: string;
  row_count: number;
  /** JSON: ColumnProfile[] */
  columns: string;
  target: string | null;
  task: 'binary' | 'multiclass' | 'regression' | null;
  /** JSON: label → count for image datasets and classification targets. */
  label_counts: string | null;
  /** JSON: { train, validation, test, seed, stratified } */
  split_spec: string;
  /** JSON: { train: n, validation: n, test: n } */
  split_counts: string;
  /** Blob key of the per-row split assignment (one byte a row: 0 train, 1 validation, 2 test). */
  split_blob_key: string;
  /** JSON array of strings: things the upload ignored or the user should know. */
  warnings: string;
  created_at: string;
  created_by: string | null;
}

export interface FeatureGroupsTable {
  id: string;
  name: string;
  /** JSON array of feature names. */
  feature_list: string;
  datalake_source: string;
  host: string;
  port: string;
  bucket: string;
  /** Secret, stored as given; never logged or returned in clear. */
  token: string;
  db_org: string;
  measurement: string;
  enable_dme: number;
  measured_obj_class: string;
  dme_port: string;
  source_name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

/** Registry: a namespace for registered models (ClearML projects map here). */
export interface ProjectsTable {
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

/** Registry: a named model inside a project; its versions carry the content. */
export interface RegisteredModelsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

/** Registry: one model version (= one ClearML model). `project_id` and `name` copy the parent for fast filters. */
export interface ModelVersionsTable {
  id: string;
  model_id: string;
  project_id: string;
  name: string;
  version: number;
  comment: string;
  framework: string | null;
  uri: string;
  /** JSON `{inputs:[{name,type}], outputs:[…]}` or null. */
  signature: string | null;
  /** JSON label → id. */
  labels: string;
  /** JSON, free form, or null. */
  design: string | null;
  ready: number;
  public: number;
  source_run_id: string | null;
  dataset_version_id: string | null;
  parent_id: string | null;
  /** O-RAN artifact version: 0.0.0, then 1.0.0 at the first upload, then next minor. */
  artifact_version: string;
  last_iteration: number;
  created_by: string | null;
  created_at: string;
  /** Content change time (ClearML `last_update`). */
  updated_at: string;
  /** Any change time (ClearML `last_change`). */
  last_change_at: string;
  last_changed_by: string | null;
}

export interface ModelTagsTable {
  version_id: string;
  /** 1 for system tags (e.g. `archived`), 0 for user tags. */
  system: number;
  tag: string;
  position: number;
}

export interface ModelMetadataTable {
  version_id: string;
  key: string;
  type: string;
  value: string;
}

export interface ModelMetricsTable {
  version_id: string;
  metric: string;
  variant: string;
  /** md5 hex of metric / variant names, as ClearML keys `last_metrics`. */
  metric_hash: string;
  variant_hash: string;
  value: number | null;
  min_value: number | null;
  min_iteration: number | null;
  max_value: number | null;
  max_iteration: number | null;
  last_iteration: number | null;
}

export interface ModelAliasesTable {
  model_id: string;
  alias: string;
  version_id: string;
  updated_at: string;
}

export interface ModelArtifactsTable {
  version_id: string;
  path: string;
  blob_key: string;
  size_bytes: number;
  sha256: string;
  content_type: string;
  artifact_version: string;
  created_at: string;
}

/** A deployment; `options` (target type, labels) and `profile` (WMLA app profile) are JSON. */
export interface DeploymentsTable {
  id: string;
  name: string;
  /** The reference as given: a version id, `name/3`, or `name@alias` (followed when it moves). */
  model_ref: string;
  version_id: string;
  canary_ref: string | null;
  canary_version_id: string | null;
  /** Percent of requests (0–100) the canary answers. */
  canary_weight: number;
  replicas: number;
  min_instances: number;
  /** -1 = unlimited (WMLA kernel_max). */
  max_instances: number;
  desired_state: 'running' | 'stopped';
  status: string;
  last_error: string | null;
  readme: string;
  options: string;
  profile: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** One event of a deployment's log; (deployment_name, seq) orders it. */
export interface DeploymentEventsTable {
  deployment_name: string;
  seq: number;
  at: string;
  level: string;
  message: string;
}

/** A batch prediction job: inputs (JSON list of blobs) scored with one registry version. */
export interface PredictJobsTable {
  id: string;
  name: string;
  /** The model as the caller named it. */
  model_ref: string;
  version_id: string;
  threshold: number | null;
  /** queued | running | succeeded | failed | cancelled */
  state: string;
  error: string | null;
  inputs: string;
  result_key: string | null;
  samples: number;
  labels: string;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

/** A training run; `state` is the state machine (see src/modules/runs). JSON columns are text. */
export interface RunsTable {
  id: string;
  name: string;
  kind: 'builtin' | 'code';
  learner: string | null;
  command: string | null;
  code_id: string | null;
  params: string;
  dataset_version_id: string | null;
  dataset_name: string | null;
  dataset_version: number | null;
  feature_group: string | null;
  target: string | null;
  resources: string;
  timeout_ms: number | null;
  max_attempts: number;
  backoff_ms: number;
  /** Attempts started so far. */
  attempt: number;
  priority: number;
  queue: string;
  state: 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';
  reason: string | null;
  message: string | null;
  /** A request to the executing worker: cancel, pause or resume. */
  control: string | null;
  model_name: string | null;
  model_version_id: string | null;
  token_id: string | null;
  worker_id: string | null;
  heartbeat_at: string | null;
  not_before: string | null;
  labels: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  ended_at: string | null;
}

/** One label of a run (a copy of `runs.labels` that can be queried by key and value). */
export interface RunLabelsTable {
  run_id: string;
  key: string;
  value: string;
}

export interface RunCodeTable {
  id: string;
  file_name: string;
  format: 'file' | 'tar' | 'zip';
  blob_key: string;
  size_bytes: number;
  /** JSON array of the paths inside. */
  files: string;
  created_at: string;
}

export interface RunEventsTable {
  run_id: string;
  seq: number;
  /** `state` (a transition) or `phase` (data, training, registration). */
  kind: 'state' | 'phase';
  name: string;
  status: string;
  reason: string | null;
  message: string | null;
  attempt: number;
  /** Process that wrote it (notifications skip their own events when polling). */
  writer: string;
  at: string;
}

export interface RunLogsTable {
  run_id: string;
  seq: number;
  attempt: number;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
  at: string;
}

export interface RunMetricsTable {
  id: string;
  run_id: string;
  name: string;
  step: number;
  value: number;
  source: string;
  at: string;
}

export interface RunParamsTable {
  run_id: string;
  key: string;
  value: string;
}

export interface RunArtifactsTable {
  run_id: string;
  path: string;
  blob_key: string;
  size_bytes: number;
  created_at: string;
}

/** A MISTK model instance: its state machine and what it holds (see modules/model-instances). */
export interface ModelInstancesTable {
  id: string;
  name: string;
  state: string;
  /** The last state no task was running in: where a task that cannot be re-run after a restart returns. */
  stable_state: string;
  resource_version: number;
  /** JSON object: MISTK's status payload (the error text when failed). */
  payload: string;
  /** JSON: learner, target, hyperparameters, objectives, modelProperties; null before /initialize. */
  config: string | null;
  /** JSON: objective → where its data is (server path or dataset name). */
  data: string;
  model_built: number;
  model_blob_key: string | null;
  predictions_blob_key: string | null;
  current_task_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface ModelInstanceTasksTable {
  id: string;
  instance_id: string;
  operation: string;
  /** JSON: the call's arguments, kept so an interrupted task can run again. */
  params: string;
  status: 'queued' | 'running' | 'complete' | 'failed';
  error: string | null;
  /** Id of the server process holding the task's lease; null: nobody (handed back, or never leased). */
  owner: string | null;
  /** When the owner last renewed the lease (ISO 8601 UTC); it lapses a lease period later. */
  heartbeat_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TuningJobsTable {
  id: string;
  name: string;
  /** Built-in learner; '' for a user-code job (migration 0012). */
  learner: string;
  /** `name` or `name@version`, as given; each trial run resolves it. '' for a user-code job without data. */
  dataset: string;
  /** Uploaded code (`run_code.id`) each trial runs; null for a built-in job. */
  code_id: string | null;
  /** Shell command of each trial run; null for a built-in job. */
  command: string | null;
  target: string | null;
  /** JSON: learner params every trial gets besides the searched ones. */
  fixed_params: string;
  /** JSON: the search space (src/tune SearchSpace). */
  space: string;
  algorithm: string;
  algorithm_options: string;
  seed: number;
  /** Run metric whose final value is the objective. */
  metric: string;
  direction: 'minimize' | 'maximize';
  max_trials: number;
  parallelism: number;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** JSON: the study's toJSON(), written with every trial change. */
  study: string;
  best_trial: number | null;
  best_value: number | null;
  error: string | null;
  /** Id of the server process driving the job; null: nobody. */
  owner: string | null;
  /** When the owner last renewed its lease (ISO 8601 UTC). */
  heartbeat_at: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

export interface TuningTrialsTable {
  job_id: string;
  /** The study's trial id: 0, 1, 2, … in ask order. */
  number: number;
  params: string;
  run_id: string | null;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  value: number | null;
  error: string | null;
  created_at: string;
  ended_at: string | null;
}

/** A legacy O-RAN TM training job version (migration 0013). */
export interface OranLegacyJobsTable {
  name: string;
  version: number;
  /** JSON: the legacy request fields (featuregroup_name, pipeline_name, arguments, …). */
  record: string;
  /** `oran_training_jobs.id` of the job that trained this version; null until started. */
  job_id: number | null;
  /** The run that trained it; null until started, `starting:<ms>` while a start is claimed. */
  run_id: string | null;
  deletion_in_progress: number;
  created_at: string;
  updated_at: string;
}

export interface Database {
  api_tokens: ApiTokensTable;
  references: ReferencesTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  feature_groups: FeatureGroupsTable;
  projects: ProjectsTable;
  registered_models: RegisteredModelsTable;
  model_versions: ModelVersionsTable;
  model_tags: ModelTagsTable;
  model_metadata: ModelMetadataTable;
  model_metrics: ModelMetricsTable;
  model_aliases: ModelAliasesTable;
  model_artifacts: ModelArtifactsTable;
  deployments: DeploymentsTable;
  deployment_events: DeploymentEventsTable;
  predict_jobs: PredictJobsTable;
  runs: RunsTable;
  run_labels: RunLabelsTable;
  run_code: RunCodeTable;
  run_events: RunEventsTable;
  run_logs: RunLogsTable;
  run_metrics: RunMetricsTable;
  run_params: RunParamsTable;
  run_artifacts: RunArtifactsTable;
  model_instances: ModelInstancesTable;
  model_instance_tasks: ModelInstanceTasksTable;
  tuning_jobs: TuningJobsTable;
  tuning_trials: TuningTrialsTable;
  oran_legacy_jobs: OranLegacyJobsTable;
}
