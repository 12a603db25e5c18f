/**
 * ONNX runtime through onnxruntime-node. One input of shape [N, k] takes the CSV columns in file
 * order; several [N]/[N, 1] inputs are fed by name. The first float tensor output is the score:
 * [N, 1] / [N] a value, [N, k] class probabilities in label order.
 */
import type * as OrtModule from 'onnxruntime-node';
import { invalid } from '../../errors.js';
import type { ModelRuntime, TargetType } from './serving.types.js';

type Ort = typeof OrtModule;
interface TensorMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

const FLOAT_TYPES = new Set(['float32', 'float64']);

export async function createOnnxRuntime(path: string): Promise<ModelRuntime> {
  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    throw new Error(`onnxruntime-node is not available: ${(e as Error).message}`);
  }
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inputs = session.inputMetadata as readonly TensorMeta[];
  const outputs = session.outputMetadata as readonly TensorMeta[];
  for (const m of inputs)
    if (!m.isTensor || !FLOAT_TYPES.has(m.type ?? ''))
      throw new Error(`ONNX input '${m.name}' must be a float tensor (is ${m.type ?? 'not a tensor'})`);
  const out = outputs.find((m) => m.isTensor && FLOAT_TYPES.has(m.type ?? ''));
  if (!out) throw new Error('the ONNX model has no float tensor output');
  const outDim = out.shape?.[1];
  const k = typeof outDim === 'number' ? outDim : (out.shape?.length ?? 2) <= 1 ? 1 : null;
  let names: string[] | null;
  let count: number;
  const single = inputs.length === 1 ? inputs[0]! : null;
  if (single && (single.shape?.length ?? 2) === 2 && single.shape?.[1] !== 1) {
    const dim = single.shape?.[1];
    if (typeof dim !== 'number')
      throw new Error(`ONNX input '${single.name}' needs a fixed feature dimension`);
    names = null;
    count = dim;
  } else {
    names = inputs.map((m) => m.name);
    count = inputs.length;
  }
  const types = inputs.map((m) => (m.type === 'float64' ? 'float64' : 'float32'));
  return {
    predictor: 'onnxruntime',
    language: 'onnx',
    source: path,
    platform: 'onnx_onnxv1',
    inputs: { names, count, levels: null },
    outputNames: null,
    outputSize: k,
    impliedTargetType: (k === 1 ? 'regression' : null) as TargetType | null,
    async predictMatrix(x, nRows) {
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      if (names === null) {
        const data = types[0] === 'float64' ? x : Float32Array.from(x);
        feeds[single!.name] = new ort.Tensor(types[0]!, data, [nRows, count]);
      } else {
        inputs.forEach((m, j) => {
          const col = types[j] === 'float64' ? new Float64Array(nRows) : new Float32Array(nRows);
          for (let i = 0; i < nRows; i++) col[i] = x[i * count + j]!;
          const shape = (m.shape?.length ?? 2) === 1 ? [nRows] : [nRows, 1];
          feeds[m.name] = new ort.Tensor(types[j]!, col, shape);
        });
      }
      const result = await session.run(feeds, [out.name]);
      const t = result[out.name]!;
      const data = t.data as Float32Array | Float64Array;
      if (data.length % Math.max(1, nRows) !== 0)
        throw invalid(`ONNX output '${out.name}' has ${data.length} values for ${nRows} rows`);
      return Float64Array.from(data);
    },
    async close() {
      await session.release();
    },
  };
}
