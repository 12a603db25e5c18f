/** Shapes of the tuning-jobs API (TypeBox: validation, types and OpenAPI from one source). */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TRIAL_STATES = ['running', 'succeeded', 'failed', 'cancelled'] as const;

// Direction, the space and the limits are checked by the service, whose errors say the rule in words.
export const CreateTuningJob = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'Unique: letters, digits, . _ -' }),
    learner: Type.Optional(
      Type.String({ description: 'Built-in learner (see GET /runs/learners); or give codeId + command' }),
    ),
    codeId: Type.Optional(
      Type.String({ description: 'User code uploaded with POST /runs/code; each trial runs it' }),
    ),
    command: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 10_000,
        description: "Shell command of each trial run (with codeId); config.json holds the trial's params",
      }),
    ),
    dataset: Type.Optional(
      Type.String({ description: '`name` (latest) or `name@version`; required with learner' }),
    ),
    target: Type.Optional(Type.String({ description: "Target column (default: the dataset's target)" })),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Params every trial gets' }),
    ),
    space: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Search space: {param: {type: float|int|ordinal|categorical, …}} (docs/tuning.md)',
    }),
    algorithm: Type.Optional(
      Type.String({ description: 'random | grid | tpe | gp | hyperband | asha (default tpe)' }),
    ),
    algorithmOptions: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
    metric: Type.String({
      description: 'Run metric whose final value is the objective, e.g. validation_roc_auc',
    }),
    direction: Type.String({ description: 'minimize | maximize' }),
    maxTrials: Type.Integer({ description: 'Number of trials (≥ 1)' }),
    parallelism: Type.Optional(Type.Integer({ description: 'Trials in flight at once (default 1)' })),
  },
  { additionalProperties: false },
);
export type CreateTuningJob = Static<typeof CreateTuningJob>;

export const TrialView = Type.Object({
  number: Type.Integer({ description: "The study's trial id, 0-based, in ask order" }),
  params: Type.Record(Type.String(), Type.Unknown()),
  runId: Nullable(Type.String()),
  state: Type.String({ description: TRIAL_STATES.join(' | ') }),
  value: Nullable(Type.Number()),
  error: Nullable(Type.String()),
  createdAt: Type.String(),
  endedAt: Nullable(Type.String()),
});
export type TrialView = Static<typeof TrialView>;

export const TuningJobView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('builtin'), Type.Literal('code')]),
  learner: Nullable(Type.String()),
  codeId: Nullable(Type.String()),
  command: Nullable(Type.String()),
  dataset: Nullable(Type.String()),
  target: Nullable(Type.String()),
  params: Type.Record(Type.String(), Type.Unknown()),
  space: Type.Record(Type.String(), Type.Unknown()),
  algorithm: Type.String(),
  algorithmOptions: Type.Record(Type.String(), Type.Unknown()),
  seed: Type.Integer(),
  metric: Type.String(),
  direction: Type.String(),
  maxTrials: Type.Integer(),
  parallelism: Type.Integer(),
  state: Type.String({ description: JOB_STATES.join(' | ') }),
  error: Nullable(Type.String()),
  counts: Type.Object({
    running: Type.Integer(),
    succeeded: Type.Integer(),
    failed: Type.Integer(),
    cancelled: Type.Integer(),
  }),
  best: Nullable(TrialView),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  endedAt: Nullable(Type.String()),
});
export type TuningJobView = Static<typeof TuningJobView>;

export const TuningJobDetail = Type.Intersect([
  TuningJobView,
  Type.Object({ trials: Type.Array(TrialView) }),
]);
export type TuningJobDetail = Static<typeof TuningJobDetail>;

export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });
export const ListQuery = Type.Object({
  state: Type.Optional(Type.String()),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
