/** Request and response shapes of /api/v1/deployments (TypeBox: validation, types and OpenAPI). */
import { Type, type Static } from '@sinclair/typebox';
import { TARGET_TYPES } from '../serving/serving.types.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const CanaryInput = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'Registry reference of the canary version' }),
    weight: Type.Integer({ description: 'Percent of requests (0–100) the canary answers' }),
  },
  { additionalProperties: false },
);

const ProfileFields = {
  scaleDownDelaySeconds: Type.Optional(
    Type.Number({
      description: 'Profile: seconds of low load before the autoscaler removes a replica (> 0, default 60)',
    }),
  ),
  gpu: Type.Optional(
    Type.String({ description: 'Profile: GPU mode no | shared | exclusive (default no; recorded only)' }),
  ),
};

const ServeFields = {
  targetType: Type.Optional(Type.Union(TARGET_TYPES.map((t) => Type.Literal(t)))),
  positiveClassLabel: Type.Optional(Type.String()),
  negativeClassLabel: Type.Optional(Type.String()),
  classLabels: Type.Optional(Type.Array(Type.String())),
};

export const CreateDeploymentBody = Type.Object(
  {
    name: Type.String({ description: 'Unique; the deployment is served under /deployments/{name}/' }),
    model: Type.String({
      minLength: 1,
      description:
        'Registry reference: `name@alias` (followed when the alias moves), `name/3` or a version id',
    }),
    canary: Type.Optional(CanaryInput),
    replicas: Type.Optional(
      Type.Integer({ description: 'Runtimes behind the router (default minInstances or 1)' }),
    ),
    minInstances: Type.Optional(Type.Integer({ description: 'Profile: least instances (default 1)' })),
    maxInstances: Type.Optional(
      Type.Integer({ description: 'Profile: most instances, -1 = unlimited (default)' }),
    ),
    readme: Type.Optional(Type.String()),
    profile: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ...ProfileFields,
    start: Type.Optional(Type.Boolean({ description: 'Start serving at once (default true)' })),
    ...ServeFields,
  },
  { additionalProperties: false },
);
export type CreateDeploymentInput = Static<typeof CreateDeploymentBody>;

export const UpdateDeploymentBody = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1 })),
    canary: Type.Optional(Type.Union([CanaryInput, Type.Null()], { description: 'null removes the canary' })),
    replicas: Type.Optional(Type.Integer()),
    minInstances: Type.Optional(Type.Integer()),
    maxInstances: Type.Optional(Type.Integer()),
    readme: Type.Optional(Type.String()),
    profile: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ...ProfileFields,
  },
  { additionalProperties: false },
);
export type UpdateDeploymentInput = Static<typeof UpdateDeploymentBody>;

const VersionLabel = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String()),
  version: Type.Union([Type.Integer(), Type.Null()]),
});

export const DeploymentView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  model: Type.String({ description: 'The reference as given' }),
  followsAlias: Type.Boolean(),
  version: Type.Union([VersionLabel, Type.Null()]),
  canary: Type.Union([
    Type.Object({
      model: Type.String(),
      followsAlias: Type.Boolean(),
      version: Type.Union([VersionLabel, Type.Null()]),
      weight: Type.Integer(),
    }),
    Type.Null(),
  ]),
  replicas: Type.Integer(),
  profile: Type.Object({
    minInstances: Type.Integer(),
    maxInstances: Type.Integer(),
    scaleDownDelaySeconds: Type.Number(),
    gpu: Type.String(),
    extra: Type.Record(Type.String(), Type.Unknown()),
  }),
  desiredState: Type.String(),
  status: Type.String({ description: 'running | stopped | starting | failed' }),
  lastError: Nullable(Type.String()),
  readme: Type.String(),
  targetType: Nullable(Type.String()),
  predictor: Nullable(Type.String()),
  serving: Type.Union([
    Type.Object({
      primary: Type.String(),
      canary: Nullable(Type.String()),
      routed: Type.Object({ primary: Type.Integer(), canary: Type.Integer() }),
      replicaRequests: Type.Array(Type.Integer()),
      replicas: Type.Integer({
        description: 'Replicas of the primary serving now (the autoscaler moves it within the profile)',
      }),
      mode: Type.String({ description: 'Where replicas run: in-process | threads | processes' }),
    }),
    Type.Null(),
  ]),
  url: Type.String({ description: 'Path of the deployment on this server' }),
  options: Type.Record(Type.String(), Type.Unknown()),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type DeploymentView = Static<typeof DeploymentView>;

export const DeploymentEvent = Type.Object({
  at: Type.String(),
  level: Type.String(),
  message: Type.String(),
});
