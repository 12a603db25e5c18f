/** Shapes of the runs API (TypeBox: validation, types and OpenAPI from one source). */
import { Type, type Static } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const RUN_STATES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const TERMINAL_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (s: string) => (TERMINAL_STATES as readonly string[]).includes(s);

export const Resources = Type.Object(
  {
    cpuSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'CPU time per process (ulimit -t)' })),
    memoryBytes: Type.Optional(
      Type.Integer({
        minimum: 1_048_576,
        description: 'Address space per process (ulimit -v); heap for built-in',
      }),
    ),
    openFiles: Type.Optional(
      Type.Integer({ minimum: 16, description: 'Open files per process (ulimit -n)' }),
    ),
  },
  { additionalProperties: false },
);
export type Resources = Static<typeof Resources>;

export const RunInput = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    learner: Type.Optional(Type.String({ description: 'Built-in learner name (see GET /runs/learners)' })),
    codeId: Type.Optional(Type.String({ description: 'Code uploaded with POST /runs/code' })),
    command: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 10_000,
        description: 'Shell command run in the working directory',
      }),
    ),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Hyperparameters' })),
    dataset: Type.Optional(Type.String({ description: '`name` (latest) or `name@version`' })),
    featureGroup: Type.Optional(
      Type.String({ description: 'Feature group; extracted to a dataset version at submit' }),
    ),
    target: Type.Optional(Type.String({ description: "Target column (default: the dataset's target)" })),
    resources: Type.Optional(Resources),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 86_400_000 })),
    retries: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 20, description: 'Extra attempts after a failure' }),
    ),
    backoffMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3_600_000,
        description: 'Wait before retry n is backoffMs·2^(n-1)',
      }),
    ),
    priority: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2_097_151, description: 'Lower runs sooner' }),
    ),
    queue: Type.Optional(
      Type.String({ description: 'Run queue (see MODELYARD_RUN_QUEUES); default `default`' }),
    ),
    modelName: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'Registry model name' }),
    ),
    modelVersionId: Type.Optional(
      Type.String({
        description:
          'Train into this existing registry version: its files are replaced (new artifact version) instead of a new version being created',
      }),
    ),
    usesModelVersionId: Type.Optional(
      Type.String({
        description:
          'A registry version the run reads (e.g. the model whose files it trains): in use, so not deletable, until the run ends',
      }),
    ),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);
export type RunInput = Static<typeof RunInput>;

export const RunView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('builtin'), Type.Literal('code')]),
  learner: Nullable(Type.String()),
  command: Nullable(Type.String()),
  codeId: Nullable(Type.String()),
  params: Type.Record(Type.String(), Type.Unknown()),
  dataset: Type.Union([
    Type.Object({ id: Type.String(), name: Type.String(), version: Type.Integer() }),
    Type.Null(),
  ]),
  featureGroup: Nullable(Type.String()),
  target: Nullable(Type.String()),
  resources: Resources,
  timeoutMs: Type.Union([Type.Integer(), Type.Null()]),
  retries: Type.Integer(),
  backoffMs: Type.Integer(),
  attempt: Type.Integer(),
  priority: Type.Integer(),
  queue: Type.String(),
  state: Type.Union(RUN_STATES.map((s) => Type.Literal(s))),
  reason: Nullable(Type.String()),
  message: Nullable(Type.String()),
  modelName: Nullable(Type.String()),
  modelVersionId: Nullable(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  startedAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
  notBefore: Nullable(Type.String()),
});
export type RunView = Static<typeof RunView>;

export const RunEventView = Type.Object({
  seq: Type.Integer(),
  kind: Type.Union([Type.Literal('state'), Type.Literal('phase')]),
  name: Type.String({ description: 'New state, or phase: data_extraction | training | model_registration' }),
  status: Type.String({ description: 'For phases: started | finished | failed; for states: the state' }),
  reason: Nullable(Type.String()),
  message: Nullable(Type.String()),
  attempt: Type.Integer(),
  at: Type.String(),
});
export type RunEventView = Static<typeof RunEventView>;

export const MetricPoint = Type.Object({
  name: Type.String(),
  step: Type.Integer(),
  value: Type.Number(),
  at: Type.String(),
  source: Type.String(),
});
export type MetricPoint = Static<typeof MetricPoint>;

export const MetricInputs = Type.Array(
  Type.Object(
    {
      metric: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      value: Type.Number(),
      step: Type.Optional(Type.Integer({ minimum: 0 })),
    },
    { additionalProperties: false },
  ),
  { maxItems: 10_000 },
);

export const LogLineView = Type.Object({
  seq: Type.Integer(),
  attempt: Type.Integer(),
  stream: Type.String(),
  text: Type.String(),
  at: Type.String(),
});
export type LogLineView = Static<typeof LogLineView>;

export const ArtifactView = Type.Object({
  path: Type.String(),
  sizeBytes: Type.Integer(),
  createdAt: Type.String(),
});
export type ArtifactView = Static<typeof ArtifactView>;

export const CodeView = Type.Object({
  id: Type.String(),
  fileName: Type.String(),
  format: Type.String(),
  sizeBytes: Type.Integer(),
  files: Type.Array(Type.String()),
  createdAt: Type.String(),
});
export type CodeView = Static<typeof CodeView>;

const STEP_STATUS = Type.Union(
  ['NOT_STARTED', 'IN_PROGRESS', 'FINISHED', 'FAILED'].map((s) => Type.Literal(s)),
);
export const StepMap = Type.Object({
  DATA_EXTRACTION: STEP_STATUS,
  DATA_EXTRACTION_AND_TRAINING: STEP_STATUS,
  TRAINING: STEP_STATUS,
  TRAINING_AND_TRAINED_MODEL: STEP_STATUS,
  TRAINED_MODEL: STEP_STATUS,
});
export type StepMap = Static<typeof StepMap>;
