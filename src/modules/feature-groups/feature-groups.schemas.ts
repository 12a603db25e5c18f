import { Type } from '@sinclair/typebox';
import { Nullable, Page, PageQuery, StringEnum } from '../../http/schemas.js';
import { DATALAKE_SOURCES } from './feature-group-input.js';

const fields = {
  featureList: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
    minItems: 1,
    maxItems: 1000,
    description: 'Feature (column / field) names, in the order extracts keep',
  }),
  datalakeSource: StringEnum(DATALAKE_SOURCES, {
    description: '`Dataset` (a Modelyard dataset, see sourceName) or `InfluxSource` (InfluxDB)',
  }),
  host: Type.Optional(Type.String({ maxLength: 255, description: 'InfluxDB host (may carry https://)' })),
  port: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535, description: 'InfluxDB port' }))),
  bucket: Type.Optional(Type.String({ maxLength: 255, description: 'InfluxDB database (1.x) / bucket' })),
  token: Type.Optional(
    Type.String({
      maxLength: 4096,
      description:
        'InfluxDB credentials: `user:password` or a token. Write-only; omit or send `****` to keep',
    }),
  ),
  dbOrg: Type.Optional(Type.String({ maxLength: 255 })),
  measurement: Type.Optional(Type.String({ maxLength: 255 })),
  enableDme: Type.Optional(Type.Boolean({ description: 'Stored for O-RAN clients; no DME job is created' })),
  measuredObjClass: Type.Optional(Type.String({ maxLength: 255 })),
  dmePort: Type.Optional(Type.String({ maxLength: 32 })),
  sourceName: Type.Optional(
    Type.String({
      maxLength: 300,
      description: 'Dataset source: `<dataset name>[@<version>]` (default latest)',
    }),
  ),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
};

// The rule (^\w{3,63}$) is checked by the service, whose message says it in words.
export const FeatureGroupName = Type.String({
  maxLength: 256,
  description: 'Letters, digits, underscore; 3 to 63 characters (^\\w{3,63}$)',
});

export const CreateFeatureGroupBody = Type.Object(
  { name: FeatureGroupName, ...fields },
  { additionalProperties: false },
);

export const ReplaceFeatureGroupBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({ description: 'Ignored when equal to the path name; renaming is refused' }),
    ),
    ...fields,
  },
  { additionalProperties: false },
);

export const PatchFeatureGroupBody = Type.Partial(ReplaceFeatureGroupBody, { additionalProperties: false });

export const FeatureGroupView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  featureList: Type.Array(Type.String()),
  datalakeSource: Type.String(),
  host: Type.String(),
  port: Nullable(Type.Integer()),
  bucket: Type.String(),
  token: Type.String({ description: '`****` when a token is stored; never the token' }),
  tokenSet: Type.Boolean(),
  dbOrg: Type.String(),
  measurement: Type.String(),
  enableDme: Type.Boolean(),
  measuredObjClass: Type.String(),
  dmePort: Type.String(),
  sourceName: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const FeatureGroupPage = Page(FeatureGroupView);

export const ListFeatureGroupsQuery = Type.Object({
  ...PageQuery,
  name: Type.Optional(Type.String({ description: 'Case-insensitive substring of the name' })),
});

export const NameParams = Type.Object({ name: Type.String() });

export const ExtractBody = Type.Object(
  {
    queryFilter: Type.Optional(
      Type.String({
        maxLength: 10_000,
        description:
          "Dataset source: `col > 3 AND (col2 = 'x' OR col3 IS NULL)`; InfluxSource: an InfluxQL WHERE condition",
      }),
    ),
    target: Type.Optional(
      Nullable(Type.String({ description: 'Target column; Dataset default: the source target; null: none' })),
    ),
    datasetName: Type.Optional(
      Type.String({ description: 'Dataset that gets the new version (default: group name)' }),
    ),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    split: Type.Optional(
      Type.Object(
        {
          train: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
          validation: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
          test: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
          seed: Type.Optional(Type.Integer()),
          stratify: Type.Optional(Type.Boolean()),
        },
        {
          additionalProperties: false,
          description: 'Split of the new version, in percent (datasets defaults otherwise)',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The dataset version an extract made (the datasets module's view; extra fields pass through). */
export const ExtractedVersion = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    rowCount: Type.Integer(),
    columns: Type.Array(
      Type.Object({ name: Type.String(), type: Type.String() }, { additionalProperties: true }),
    ),
    target: Nullable(Type.String()),
  },
  { additionalProperties: true },
);
