/** Runtime for models trained by the built-in learners (src/learn): synchronous, allocation-free rows. */
import {
  createBatchPredictor,
  createRowPredictor,
  inputNames,
  loadModel,
  outputSize,
} from '../../learn/index.js';
import type { ModelRuntime, TargetType } from './serving.types.js';

/** Whether bytes start with the built-in model format's magic ("MYLM"). */
export function isBuiltinModel(bytes: Uint8Array): boolean {
  return bytes[0] === 0x4d && bytes[1] === 0x59 && bytes[2] === 0x4c && bytes[3] === 0x4d;
}

export function createBuiltinRuntime(bytes: Uint8Array, source: string): ModelRuntime {
  const model = loadModel(bytes);
  const names = inputNames(model);
  const k = outputSize(model);
  const nIn = names.length;
  const row = createRowPredictor(model);
  const levels = model.preprocess.inputs.map((i) => (i.kind === 'categorical' ? i.levels : null));
  const batch = createBatchPredictor(model);
  function predictMatrix(x: Float64Array, nRows: number): Float64Array {
    const out = new Float64Array(nRows * k);
    batch(x, nRows, out);
    return out;
  }
  return {
    predictor: `modelyard:${model.learner}`,
    language: 'javascript',
    source,
    platform: 'modelyard_myd',
    inputs: { names, count: nIn, levels: levels.some((l) => l) ? levels : null },
    outputNames: model.task === 'regression' ? null : model.classes.slice(),
    outputSize: k,
    impliedTargetType: model.task as TargetType,
    predictRowInto: row,
    predictMatrix,
    predictMatrixSync: predictMatrix,
    async close() {},
  };
}
