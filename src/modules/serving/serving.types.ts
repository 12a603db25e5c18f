/**
 * Shared types of the serving runtime: the parsed payload (Table), the model runtimes behind one
 * interface, and the target types DRUM defines.
 */

export const TARGET_TYPES = [
  'regression',
  'binary',
  'multiclass',
  'anomaly',
  'unstructured',
  'transform',
] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

/** One parsed column: numbers (NaN = missing) or strings (null = missing). */
export type TableColumn = Float64Array | (string | null)[];

/** A parsed tabular payload, column-major. `names` is null when columns are positional only. */
export interface Table {
  nRows: number;
  names: string[] | null;
  columns: TableColumn[];
}

/** What a model expects as input, used to align a Table into a row-major numeric matrix. */
export interface InputSpec {
  /** Feature names in the order the model reads them; null when the model only knows positions. */
  names: string[] | null;
  /** Number of features; null when unknown (custom code takes any frame). */
  count: number | null;
  /** Per feature: the categorical levels (value → level index) or null for numeric. */
  levels: (string[] | null)[] | null;
}

/** Scores for a batch: row-major nRows × columns.length, columns named (labels or "Predictions"). */
export interface Scores {
  values: Float64Array;
  nRows: number;
  columns: string[];
  /**
   * DRUM's extraModelOutput: columns a custom model returned besides its predictions (ids,
   * explanations, raw scores), as returned (any JSON value per cell), one row per input row.
   */
  extra?: { columns: string[]; rows: unknown[][] };
}

/** A custom model's output as returned: every cell (numbers also in `values`, else NaN there). */
export interface RawScores extends Scores {
  cells: unknown[][];
}

/** Body and metadata handed to an unstructured hook. */
export interface UnstructuredRequest {
  data: string | Uint8Array;
  mimetype: string;
  charset: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

export interface UnstructuredResponse {
  data: string | Uint8Array;
  mimetype?: string;
  charset?: string;
}

/**
 * A loaded model behind one interface. Numeric runtimes (built-in, ONNX) take an aligned
 * row-major matrix; custom code takes the whole Table (it parses frames itself).
 */
export interface ModelRuntime {
  /** Internal predictor name shown by /info/ (e.g. "modelyard:gbdt", "onnxruntime", "python"). */
  readonly predictor: string;
  readonly language: string;
  /** Where the model came from (file or directory). */
  readonly source: string;
  /** V2 platform string. */
  readonly platform: string;
  readonly inputs: InputSpec;
  /** Output column names as the model reports them (class labels), or null when unnamed. */
  readonly outputNames: string[] | null;
  /** Values per row, or null when only known after a call. */
  readonly outputSize: number | null;
  /** Target type the artifact implies, when it knows one. */
  readonly impliedTargetType: TargetType | null;
  /** Numeric batch path: x is nRows × inputs.count, row-major. */
  predictMatrix?(x: Float64Array, nRows: number): Float64Array | Promise<Float64Array>;
  /** Synchronous batch path (built-in models), for callers that cannot wait (CLI score). */
  predictMatrixSync?(x: Float64Array, nRows: number): Float64Array;
  /** Allocation-free single-row path (synchronous runtimes only). */
  predictRowInto?(x: Float64Array, out: Float64Array): void;
  /** Frame path (custom code): returns named score columns. */
  predictTable?(table: Table): Promise<RawScores>;
  scoreUnstructured?(req: UnstructuredRequest): Promise<UnstructuredResponse>;
  transform?(table: Table): Promise<Table>;
  close(): Promise<void>;
}
