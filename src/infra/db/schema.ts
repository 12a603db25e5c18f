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

export interface Database {
  api_tokens: ApiTokensTable;
  references: ReferencesTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  feature_groups: FeatureGroupsTable;
}
