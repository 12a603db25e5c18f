/**
 * Registry shapes: TypeBox schemas for the native API (they also give the TypeScript types the
 * service returns, so views and OpenAPI never drift apart).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

export const Column = Type.Object({ name: Type.String(), type: Type.String() });
export const Signature = Type.Object({
  inputs: Type.Array(Column),
  outputs: Type.Array(Column),
});
/** As accepted on input: either list may be left out. */
export const SignatureInput = Type.Object({
  inputs: Type.Optional(Type.Array(Column)),
  outputs: Type.Optional(Type.Array(Column)),
});
export type Signature = Static<typeof Signature>;

export const MetadataEntry = Type.Object({
  key: Type.String({ minLength: 1 }),
  type: Type.Optional(Type.String()),
  value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
});
export type MetadataEntryInput = Static<typeof MetadataEntry>;

export const MetricInput = Type.Object({
  metric: Type.String({ minLength: 1 }),
  variant: Type.String({ default: '' }),
  value: Type.Number(),
  iteration: Type.Optional(Type.Integer({ minimum: 0 })),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  minIteration: Type.Optional(Type.Integer()),
  maxIteration: Type.Optional(Type.Integer()),
});
export type MetricInput = Static<typeof MetricInput>;

export const MetricView = Type.Object({
  metric: Type.String(),
  variant: Type.String(),
  metricHash: Type.String(),
  variantHash: Type.String(),
  value: Nullable(Type.Number()),
  min: Nullable(Type.Number()),
  minIteration: Nullable(Type.Integer()),
  max: Nullable(Type.Number()),
  maxIteration: Nullable(Type.Integer()),
  lastIteration: Nullable(Type.Integer()),
});
export type MetricView = Static<typeof MetricView>;

export const ModelVersionView = Type.Object({
  id: Type.String({ description: '32 lowercase hex characters (a ClearML model id)' }),
  modelId: Type.String(),
  project: Type.Object({ id: Type.String(), name: Type.String() }),
  name: Type.String(),
  version: Type.Integer(),
  aliases: Type.Array(Type.String()),
  framework: Nullable(Type.String()),
  comment: Type.String(),
  uri: Type.String(),
  signature: Nullable(Signature),
  labels: Type.Record(Type.String(), Type.Integer()),
  design: Type.Unknown(),
  metadata: Type.Array(Type.Object({ key: Type.String(), type: Type.String(), value: Type.String() })),
  metrics: Type.Array(MetricView),
  lastIteration: Type.Integer(),
  tags: Type.Array(Type.String()),
  systemTags: Type.Array(Type.String()),
  ready: Type.Boolean(),
  archived: Type.Boolean(),
  public: Type.Boolean(),
  lineage: Type.Object({
    sourceRunId: Nullable(Type.String()),
    datasetVersionId: Nullable(Type.String()),
    parentId: Nullable(Type.String()),
  }),
  artifactVersion: Type.String(),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  lastChangeAt: Type.String(),
  lastChangedBy: Nullable(Type.String()),
});
export type ModelVersionView = Static<typeof ModelVersionView>;

/** Fields a version can be created with; every one but `name` is optional. */
export const VersionFields = {
  comment: Type.Optional(Type.String()),
  framework: Type.Optional(Nullable(Type.String())),
  uri: Type.Optional(Type.String()),
  signature: Type.Optional(Nullable(SignatureInput)),
  labels: Type.Optional(Type.Record(Type.String(), Type.Integer())),
  design: Type.Optional(Type.Unknown()),
  metadata: Type.Optional(Type.Array(MetadataEntry)),
  metrics: Type.Optional(Type.Array(MetricInput)),
  lastIteration: Type.Optional(Type.Integer({ minimum: 0 })),
  tags: Type.Optional(Type.Array(Type.String())),
  systemTags: Type.Optional(Type.Array(Type.String())),
  ready: Type.Optional(Type.Boolean()),
  public: Type.Optional(Type.Boolean()),
  sourceRunId: Type.Optional(Nullable(Type.String())),
  datasetVersionId: Type.Optional(Nullable(Type.String())),
  parentId: Type.Optional(Nullable(Type.String())),
};

export const CreateVersionBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    project: Type.Optional(
      Type.String({ description: 'Project name (created if missing); default `default`' }),
    ),
    projectId: Type.Optional(Type.String()),
    ...VersionFields,
  },
  { additionalProperties: false },
);
export type CreateVersionInput = Static<typeof CreateVersionBody> & {
  /** ClearML lets `update` set the creation time. */
  createdAt?: string;
};

export const EditBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    ...VersionFields,
    force: Type.Optional(
      Type.Boolean({ description: 'Allow content changes on a ready (published) version' }),
    ),
    mergeObjects: Type.Optional(
      Type.Boolean({
        description: 'Merge design and labels into the stored objects instead of replacing them',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EditInput = Omit<Static<typeof EditBody>, 'force' | 'mergeObjects'> & { createdAt?: string };

export const SearchBody = Type.Object(
  {
    filter: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    search: Type.Optional(
      Type.String({ description: 'Free text: words ORed, "phrases" required, -word excluded' }),
    ),
    orderBy: Type.Optional(Type.Union([Type.Array(Type.String()), Type.String()])),
    onlyFields: Type.Optional(Type.Array(Type.String())),
    page: Type.Optional(Type.Integer({ minimum: 0 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1 })),
    scrollId: Type.Optional(Nullable(Type.String())),
    refreshScroll: Type.Optional(Type.Boolean()),
    includeTotal: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SearchInput = Static<typeof SearchBody>;

export const SearchResult = Type.Object({
  items: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  hasMore: Type.Boolean(),
  scrollId: Type.String(),
  total: Type.Optional(Type.Integer()),
});

export const ArtifactView = Type.Object({
  path: Type.String(),
  sizeBytes: Type.Integer(),
  sha256: Type.String(),
  contentType: Type.String(),
  artifactVersion: Type.String(),
  createdAt: Type.String(),
});
export type ArtifactView = Static<typeof ArtifactView>;

export const BatchResult = Type.Object({
  succeeded: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  failed: Type.Array(
    Type.Object({
      id: Type.String(),
      error: Type.Object({ code: Type.String(), reason: Nullable(Type.String()), message: Type.String() }),
    }),
  ),
});
export interface BatchReport<T extends Record<string, unknown> = Record<string, unknown>> {
  succeeded: Array<{ id: string } & T>;
  /** `details` is the error's details (kept for surfaces that echo them; the native answer omits them). */
  failed: Array<{
    id: string;
    error: { code: string; reason: string | null; message: string; details?: Record<string, unknown> };
  }>;
}

export const ProjectView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type ProjectView = Static<typeof ProjectView>;
