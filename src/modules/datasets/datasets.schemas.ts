/**
 * Datasets API shapes: one TypeBox source for validation, OpenAPI and the service's view types.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Page, PageQuery, StringEnum } from '../../http/schemas.js';
import { COLUMN_TYPES, TASK_KINDS } from './csv-profile.js';
import { SPLIT_NAMES } from './splits.js';

export const NAME_RULE = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$';
export const TAG_RULE = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$';

export const ColumnProfileSchema = Type.Object({
  name: Type.String(),
  type: StringEnum(COLUMN_TYPES),
  missing: Type.Integer(),
  distinct: Nullable(Type.Integer()),
  min: Nullable(Type.Number()),
  max: Nullable(Type.Number()),
  mean: Nullable(Type.Number()),
  std: Nullable(Type.Number()),
  topValues: Nullable(Type.Array(Type.Object({ value: Type.String(), count: Type.Integer() }))),
});

const SplitCountsSchema = Type.Object({
  train: Type.Integer(),
  validation: Type.Integer(),
  test: Type.Integer(),
});

export const DatasetVersionSchema = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  kind: StringEnum(['tabular', 'images'] as const),
  format: StringEnum(['csv', 'zip'] as const),
  source: Type.String({ description: 'upload | path | feature_group' }),
  sourcePath: Nullable(Type.String()),
  sizeBytes: Type.Integer(),
  sha256: Type.String(),
  rowCount: Type.Integer({ description: 'Rows of the CSV, or images of the zip' }),
  columns: Type.Array(ColumnProfileSchema),
  target: Nullable(Type.String()),
  task: Nullable(StringEnum(TASK_KINDS)),
  labelCounts: Nullable(Type.Record(Type.String(), Type.Integer())),
  split: Type.Object({
    train: Type.Number(),
    validation: Type.Number(),
    test: Type.Number(),
    seed: Type.Integer(),
    stratified: Type.Boolean(),
  }),
  splitCounts: SplitCountsSchema,
  warnings: Type.Array(Type.String()),
  createdAt: Type.String(),
  createdBy: Nullable(Type.String()),
});
export type DatasetVersionView = Static<typeof DatasetVersionSchema>;

export const DatasetSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  tags: Type.Array(Type.String()),
  kind: StringEnum(['tabular', 'images'] as const),
  latestVersion: Nullable(Type.Integer()),
  versionCount: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type DatasetView = Static<typeof DatasetSchema>;

export const DatasetDetailSchema = Type.Intersect([
  DatasetSchema,
  Type.Object({ latest: Nullable(DatasetVersionSchema) }),
]);

export const DatasetPageSchema = Page(DatasetSchema);

export const ListQuery = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 128, description: 'Substring of the name' })),
  tag: Type.Optional(Type.String({ maxLength: 64 })),
  ...PageQuery,
});

/** Upload parameters, as query string (raw body) or form fields (multipart). */
export const UploadQuery = Type.Object({
  name: Type.Optional(Type.String({ description: 'Dataset name; a new version when it exists' })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  tags: Type.Optional(Type.String({ description: 'Comma-separated tags' })),
  train: Type.Optional(Type.Number()),
  validation: Type.Optional(Type.Number()),
  test: Type.Optional(Type.Number()),
  seed: Type.Optional(Type.Integer()),
  stratify: Type.Optional(Type.Boolean()),
});

/** JSON body registering a file that already sits on the server (admin only; not copied). */
export const RegisterBody = Type.Object(
  {
    name: Type.String(),
    path: Type.String({ minLength: 1, description: 'Absolute path on the server' }),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    tags: Type.Optional(Type.Array(Type.String())),
    train: Type.Optional(Type.Number()),
    validation: Type.Optional(Type.Number()),
    test: Type.Optional(Type.Number()),
    seed: Type.Optional(Type.Integer()),
    stratify: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const PatchBody = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    addTags: Type.Optional(Type.Array(Type.String())),
    removeTags: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const NameParams = Type.Object({ name: Type.String() });
export const VersionParams = Type.Object({
  name: Type.String(),
  version: Type.String({ pattern: '^([1-9][0-9]{0,8}|latest)$', description: 'A number or `latest`' }),
});

export const RowsQuery = Type.Object({
  split: StringEnum([...SPLIT_NAMES, 'all'] as const, { default: 'all' }),
  start: Type.Integer({ minimum: 0, default: 0 }),
  length: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
});

export const RowsSchema = Type.Object({
  columns: Type.Array(Type.String()),
  rows: Type.Array(Type.Array(Type.String())),
  start: Type.Integer(),
  length: Type.Integer(),
  total: Type.Integer({ description: 'Rows in the chosen split' }),
});

export const DownloadQuery = Type.Object({
  split: Type.Optional(StringEnum(SPLIT_NAMES)),
});

export const ReferrersSchema = Type.Array(
  Type.Object({ kind: Type.String(), id: Type.String(), version: Type.Optional(Type.Integer()) }),
);
