/**
 * Validation and normalisation of feature-group definitions (O-RAN FeatureGroupConfig semantics),
 * shared by create, replace and patch. Pure: the dataset-column check lives in the service.
 */
import { invalid, type FieldError } from '../../errors.js';

export const DATALAKE_SOURCES = ['InfluxSource', 'Dataset'] as const;
export type DatalakeSource = (typeof DATALAKE_SOURCES)[number];

/** What a caller sends to define a feature group (native names; the O-RAN surface maps onto these). */
export interface FeatureGroupInput {
  featureList: string[];
  datalakeSource: string;
  host?: string;
  port?: number | null;
  bucket?: string;
  /** InfluxDB token; omitted or `****` keeps the stored one on update. */
  token?: string;
  dbOrg?: string;
  measurement?: string;
  enableDme?: boolean;
  measuredObjClass?: string;
  dmePort?: string;
  sourceName?: string;
  description?: string;
}

/** A definition after validation: every field present. */
export interface FeatureGroupSpec {
  featureList: string[];
  datalakeSource: DatalakeSource;
  host: string;
  port: number | null;
  bucket: string;
  token: string;
  dbOrg: string;
  measurement: string;
  enableDme: boolean;
  measuredObjClass: string;
  dmePort: string;
  sourceName: string;
  description: string;
}

/** What responses show instead of a stored token. */
export const TOKEN_MASK = '****';

/** O-RAN's rule: letters, digits and underscore, 3 to 63 characters. */
export const NAME_PATTERN = /^\w{3,63}$/;
const MAX_FEATURES = 1000;

export function checkName(name: string): void {
  if (!NAME_PATTERN.test(name))
    throw invalid(`name '${name}' is invalid: use 3 to 63 letters, digits or underscores`, {
      reason: 'invalid_name',
      errors: [{ field: 'name', message: 'must match ^\\w{3,63}$ (letters, digits, underscore; 3 to 63)' }],
    });
}

/** A dataset reference `<name>[@<version>]`; version is a positive integer or `latest` (default). */
export function parseSourceName(sourceName: string): { name: string; version: number | 'latest' } {
  const at = sourceName.lastIndexOf('@');
  const suffix = at < 0 ? '' : sourceName.slice(at + 1);
  if (at > 0 && (/^[1-9]\d*$/.test(suffix) || suffix === 'latest'))
    return { name: sourceName.slice(0, at), version: suffix === 'latest' ? 'latest' : Number(suffix) };
  return { name: sourceName, version: 'latest' };
}

function text(errors: FieldError[], field: string, v: string | undefined, max: number): string {
  const s = (v ?? '').trim();
  if (s.length > max) errors.push({ field, message: `must be at most ${max} characters` });
  return s;
}

/**
 * Validates a definition; `previousToken` is what an update keeps when the token is omitted or
 * masked. Throws one 400 listing every problem found.
 */
export function normalizeInput(input: FeatureGroupInput, previousToken = ''): FeatureGroupSpec {
  const errors: FieldError[] = [];
  const features = (input.featureList ?? []).map((f) => String(f).trim());
  if (features.length === 0) errors.push({ field: 'featureList', message: 'must name at least one feature' });
  if (features.length > MAX_FEATURES)
    errors.push({ field: 'featureList', message: `must have at most ${MAX_FEATURES} features` });
  if (features.some((f) => f === ''))
    errors.push({ field: 'featureList', message: 'has an empty feature name' });
  const dup = features.filter((f, i) => f !== '' && features.indexOf(f) !== i);
  if (dup.length > 0)
    errors.push({ field: 'featureList', message: `lists ${[...new Set(dup)].join(', ')} twice` });

  const source = input.datalakeSource as DatalakeSource;
  if (!DATALAKE_SOURCES.includes(source))
    errors.push({
      field: 'datalakeSource',
      message: `must be one of ${DATALAKE_SOURCES.join(', ')} (got '${input.datalakeSource}')`,
    });
  const port = input.port ?? null;
  if (port !== null && (!Number.isInteger(port) || port < 1 || port > 65535))
    errors.push({ field: 'port', message: 'must be an integer from 1 to 65535' });

  const spec: FeatureGroupSpec = {
    featureList: features,
    datalakeSource: source,
    host: text(errors, 'host', input.host, 255),
    port,
    bucket: text(errors, 'bucket', input.bucket, 255),
    token: input.token === undefined || input.token === TOKEN_MASK ? previousToken : input.token,
    dbOrg: text(errors, 'dbOrg', input.dbOrg, 255),
    measurement: text(errors, 'measurement', input.measurement, 255),
    enableDme: input.enableDme ?? false,
    measuredObjClass: text(errors, 'measuredObjClass', input.measuredObjClass, 255),
    dmePort: text(errors, 'dmePort', input.dmePort, 32),
    sourceName: text(errors, 'sourceName', input.sourceName, 300),
    description: text(errors, 'description', input.description, 2000),
  };
  if (spec.token.length > 4096) errors.push({ field: 'token', message: 'must be at most 4096 characters' });
  if (/\s/.test(spec.host)) errors.push({ field: 'host', message: 'must not contain spaces' });
  if (source === 'InfluxSource') {
    for (const f of ['host', 'bucket', 'measurement'] as const)
      if (spec[f] === '')
        errors.push({ field: f, message: 'is required when datalakeSource is InfluxSource' });
    if (spec.port === null)
      errors.push({ field: 'port', message: 'is required when datalakeSource is InfluxSource' });
  }
  if (source === 'Dataset' && spec.sourceName === '')
    errors.push({
      field: 'sourceName',
      message: 'is required when datalakeSource is Dataset: give <dataset name>[@<version>]',
    });
  if (errors.length > 0) {
    throw invalid(errors.map((e) => `${e.field} ${e.message}`).join('; '), {
      reason: 'invalid_feature_group',
      errors,
    });
  }
  return spec;
}
