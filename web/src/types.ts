/** The parts of the native API's shapes the UI reads (see /openapi.json for the full ones). */

export const RUN_STATES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export const isActive = (state: string) => state === 'queued' || state === 'running' || state === 'paused';

export interface Run {
  id: string;
  name: string;
  kind: 'builtin' | 'code';
  learner: string | null;
  command: string | null;
  params: Record<string, unknown>;
  dataset: { id: string; name: string; version: number } | null;
  featureGroup: string | null;
  target: string | null;
  attempt: number;
  retries: number;
  queue: string;
  state: string;
  reason: string | null;
  message: string | null;
  modelName: string | null;
  modelVersionId: string | null;
  labels: Record<string, string>;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface RunEvent {
  seq: number;
  kind: 'state' | 'phase';
  name: string;
  status: string;
  reason: string | null;
  message: string | null;
  attempt: number;
  at: string;
}

export interface MetricPoint {
  name: string;
  step: number;
  value: number;
  at: string;
}

export interface LogLine {
  seq: number;
  stream: string;
  text: string;
  at: string;
}

export interface ModelVersion {
  id: string;
  project: { id: string; name: string };
  name: string;
  version: number;
  aliases: string[];
  framework: string | null;
  comment: string;
  uri: string;
  signature: {
    inputs: Array<{ name: string; type: string }>;
    outputs: Array<{ name: string; type: string }>;
  } | null;
  labels: Record<string, number>;
  metadata: Array<{ key: string; type: string; value: string }>;
  metrics: Array<{
    metric: string;
    variant: string;
    value: number | null;
    min: number | null;
    max: number | null;
    lastIteration: number | null;
  }>;
  tags: string[];
  ready: boolean;
  archived: boolean;
  lineage: { sourceRunId: string | null; datasetVersionId: string | null; parentId: string | null };
  artifactVersion: string;
  createdBy: string | null;
  createdAt: string;
}

export interface Deployment {
  name: string;
  model: string;
  followsAlias: boolean;
  version: { id: string; name: string | null; version: number | null } | null;
  canary: { model: string; weight: number } | null;
  replicas: number;
  desiredState: string;
  status: string;
  lastError: string | null;
  url: string;
  readme: string;
  createdAt: string;
  updatedAt: string;
}

export interface ColumnProfile {
  name: string;
  type: string;
  missing: number;
  distinct: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  topValues: Array<{ value: string; count: number }> | null;
}

export interface DatasetVersion {
  id: string;
  name: string;
  version: number;
  kind: string;
  format: string;
  source: string;
  sizeBytes: number;
  rowCount: number;
  columns: ColumnProfile[];
  target: string | null;
  task: string | null;
  labelCounts: Record<string, number> | null;
  splitCounts: { train: number; validation: number; test: number };
  warnings: string[];
  createdAt: string;
}

export interface Dataset {
  name: string;
  description: string;
  tags: string[];
  kind: string;
  latestVersion: number | null;
  versionCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Instance {
  objectInfo: { name: string; resourceVersion: number; creationTime: string; modificationTime: string };
  state: string;
  task: { operation: string; status: string; error: string | null } | null;
}

export interface Trial {
  number: number;
  params: Record<string, unknown>;
  runId: string | null;
  state: string;
  value: number | null;
  error: string | null;
  createdAt: string;
  endedAt: string | null;
}

export interface TuningJob {
  id: string;
  name: string;
  /** `builtin` searches a learner's parameters; `code` runs the user's command per trial. */
  kind: 'builtin' | 'code';
  learner: string | null;
  codeId: string | null;
  command: string | null;
  dataset: string | null;
  target: string | null;
  params: Record<string, unknown>;
  space: Record<string, unknown>;
  algorithm: string;
  seed: number;
  metric: string;
  direction: string;
  maxTrials: number;
  parallelism: number;
  state: string;
  error: string | null;
  counts: { running: number; succeeded: number; failed: number; cancelled: number };
  best: Trial | null;
  createdAt: string;
  endedAt: string | null;
}
