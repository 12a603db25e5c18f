/**
 * The serving service: one loaded model with its target type and labels. Protocol surfaces
 * (DRUM, KServe, MLflow) parse their payloads into a Table, call it, and render Scores.
 */
import { AppError, invalid } from '../../errors.js';
import { alignTable } from './align.js';
import { createBatcher } from './batcher.js';
import type { Batcher } from './batcher.js';
import { createCsvAligner } from './csv-payload.js';
import type { CsvAligner } from './csv-payload.js';
import { finishScores, resolveLabels, splitExtraColumns } from './labels.js';
import type { LabelOptions } from './labels.js';
import { createStats } from './stats.js';
import type { StatsCollector } from './stats.js';
import type {
  ModelRuntime,
  Scores,
  Table,
  TargetType,
  UnstructuredRequest,
  UnstructuredResponse,
} from './serving.types.js';

/** Payloads of this many rows skip the micro-batcher when the model answers synchronously. */
const DIRECT_ROWS = 128;
/** Largest parse buffer (values) kept for reuse: 1 MB, e.g. 4096 rows of 32 features. */
const POOLED_VALUES_MAX = 131_072;

export interface ServingOptions extends LabelOptions {
  /** Model name in the V2/V1 routes. */
  name: string;
  version?: string;
  /** DRUM target type; default: what the artifact implies (built-in task, ONNX [N,1] = regression). */
  targetType?: TargetType;
  /** Largest merged batch for asynchronous runtimes (default 4096 rows). */
  maxBatchRows?: number;
}

export interface ServingService {
  readonly name: string;
  readonly version: string | undefined;
  readonly targetType: TargetType;
  /** Class labels in answer order (binary: [negative, positive]); null otherwise. */
  readonly labels: string[] | null;
  readonly runtime: ModelRuntime;
  readonly stats: StatsCollector;
  /**
   * Synchronous CSV fast path (numeric built-in models): Scores whose buffer is reused by the next
   * call, so render it at once; null when the general path must handle the payload.
   */
  scoreCsvSync(body: Uint8Array): Scores | null;
  /**
   * The same fast path through the micro-batcher (requests that arrive in one event-loop turn
   * share one model call); throws bad input at once, null when the general path must handle it.
   */
  scoreCsv(body: Uint8Array): Promise<Scores> | null;
  scoreTable(t: Table): Promise<Scores>;
  scoreUnstructured(req: UnstructuredRequest): Promise<UnstructuredResponse>;
  transform(t: Table): Promise<Table>;
  /** Counters of the micro-batcher (zeros when the runtime is synchronous). */
  batching(): { requests: number; batches: number; rows: number; maxBatchRequests: number };
  close(): Promise<void>;
}

function pickTargetType(rt: ModelRuntime, o: ServingOptions): TargetType {
  const implied = rt.impliedTargetType;
  if (o.targetType) {
    const fits =
      !implied || implied === o.targetType || (implied === 'regression' && o.targetType === 'anomaly');
    if (!fits)
      throw new Error(`the model is a ${implied} model; --target-type ${o.targetType} does not fit it`);
    return o.targetType;
  }
  if (implied) return implied;
  if (o.positiveClassLabel !== undefined || o.classLabels?.length === 2) return 'binary';
  if (o.classLabels) return 'multiclass';
  if (rt.outputSize !== null && rt.outputSize > 1)
    throw new Error('the model outputs several columns: give --target-type with class labels');
  if (rt.predictTable) throw new Error('custom code needs --target-type');
  return 'regression';
}

/** Validates the target type and labels against the runtime; throws (load failure) when they conflict. */
export function createServingService(rt: ModelRuntime, o: ServingOptions): ServingService {
  const targetType = pickTargetType(rt, o);
  const labels = resolveLabels(targetType, o, rt.outputNames);
  if (targetType === 'unstructured' && !rt.scoreUnstructured)
    throw new Error('target type unstructured needs a score_unstructured hook');
  if (targetType === 'transform' && !rt.transform)
    throw new Error('target type transform needs a transform hook');
  if (
    labels &&
    rt.outputSize !== null &&
    rt.outputSize !== labels.length &&
    !(targetType === 'binary' && rt.outputSize === 1)
  )
    throw new Error(`the model outputs ${rt.outputSize} columns for ${labels.length} class labels`);
  const stats = createStats();
  const k = rt.outputSize ?? 1;
  const nIn = rt.inputs.count ?? 0;
  // Numeric inputs of known width: CSV is parsed straight into the model's input matrix.
  const fast: CsvAligner | null =
    (rt.predictMatrixSync || rt.predictMatrix) && rt.inputs.count !== null && !rt.inputs.levels
      ? createCsvAligner(rt.inputs.names, nIn)
      : null;
  const sync = rt.predictRowInto && rt.predictMatrixSync ? fast : null;
  const scratch = { buf: new Float64Array(nIn * 16) };
  // Parse buffers of requests waiting in the batcher, reused once their answer is out; buffers a
  // big payload grew are dropped rather than kept (64 of them could hold gigabytes).
  const pool: { buf: Float64Array }[] = [];
  const release = (b: { buf: Float64Array }) => {
    // A buffer handed to a replica thread was transferred (detached): not reusable.
    if (pool.length < 64 && b.buf.length <= POOLED_VALUES_MAX && b.buf.byteLength > 0) pool.push(b);
  };
  const rowOut = new Float64Array(k);
  const predictRow = rt.predictRowInto;
  const batcher: Batcher | null = rt.predictMatrix
    ? createBatcher(rt.predictMatrix.bind(rt), { nCols: nIn, maxBatchRows: o.maxBatchRows ?? 4096 })
    : null;
  const modelColumns = rt.outputNames;

  function structured(): void {
    if (targetType === 'unstructured') throw invalid('this model is unstructured: use /predictUnstructured/');
    if (targetType === 'transform') throw invalid('this model is a transform: use /transform/');
  }

  return {
    name: o.name,
    version: o.version,
    targetType,
    labels,
    runtime: rt,
    stats,
    scoreCsvSync(body) {
      if (!sync) return null;
      structured();
      const n = sync.parse(body, scratch);
      if (n < 0) return null;
      if (n === 0) throw invalid('the CSV payload has a header but no data rows', { reason: 'no_rows' });
      const t0 = performance.now();
      let values: Float64Array;
      if (n === 1) {
        predictRow!(scratch.buf, rowOut);
        values = rowOut;
      } else values = rt.predictMatrixSync!(scratch.buf, n);
      stats.record(performance.now() - t0);
      return finishScores(targetType, labels, values, n, modelColumns);
    },
    scoreCsv(body) {
      if (!fast || !batcher) return null;
      structured();
      const buf = pool.pop() ?? { buf: new Float64Array(nIn * 16) };
      let n: number;
      try {
        n = fast.parse(body, buf);
      } catch (e) {
        release(buf);
        throw e;
      }
      if (n <= 0) release(buf);
      if (n < 0) return null;
      if (n === 0) throw invalid('the CSV payload has a header but no data rows', { reason: 'no_rows' });
      const t0 = performance.now();
      // A big payload gains nothing from merging (which would copy it into the merged batch): a
      // synchronous model scores it at once.
      if (n >= DIRECT_ROWS && rt.predictMatrixSync) {
        try {
          const values = rt.predictMatrixSync(buf.buf, n);
          stats.record(performance.now() - t0);
          return Promise.resolve(finishScores(targetType, labels, values, n, modelColumns));
        } finally {
          release(buf);
        }
      }
      const done = () => {
        release(buf);
        stats.record(performance.now() - t0);
      };
      return batcher.submit(buf.buf.subarray(0, n * nIn), n).then(
        (values) => {
          done();
          return finishScores(targetType, labels, values, n, modelColumns);
        },
        (e: unknown) => {
          done();
          throw e;
        },
      );
    },
    async scoreTable(t) {
      structured();
      if (t.nRows === 0) throw invalid('the payload has no rows', { reason: 'no_rows' });
      const t0 = performance.now();
      let scores: Scores;
      if (rt.predictTable) {
        const r = await rt.predictTable(t);
        if (r.nRows !== t.nRows)
          throw new AppError('internal', `the model returned ${r.nRows} rows for ${t.nRows} input rows`);
        const own = splitExtraColumns(labels, r);
        scores = finishScores(targetType, labels, own.values, own.nRows, own.columns);
        if (own.extra) scores = { ...scores, extra: own.extra };
      } else {
        const x = alignTable(t, rt.inputs);
        const values = await batcher!.submit(x, t.nRows);
        scores = finishScores(targetType, labels, values, t.nRows, modelColumns);
      }
      stats.record(performance.now() - t0);
      return scores;
    },
    async scoreUnstructured(req) {
      if (targetType !== 'unstructured' || !rt.scoreUnstructured)
        throw invalid(`this model's target type is ${targetType}: use /predict/`);
      const t0 = performance.now();
      const r = await rt.scoreUnstructured(req);
      stats.record(performance.now() - t0);
      return r;
    },
    async transform(t) {
      if (targetType !== 'transform' || !rt.transform)
        throw invalid(`this model's target type is ${targetType}: use /predict/`);
      return rt.transform(t);
    },
    batching() {
      return batcher ? { ...batcher.stats } : { requests: 0, batches: 0, rows: 0, maxBatchRequests: 0 };
    },
    close: () => rt.close(),
  };
}
