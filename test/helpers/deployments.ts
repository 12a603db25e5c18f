/** Registry fixtures for deployment tests: tiny built-in regression models as registry versions. */
import { parseCsv, saveModel, train } from '../../src/learn/index.js';
import type { Services } from '../../src/modules/index.js';

/** A linear regression that learned y = k·(a + b): predicting a=1,b=1 gives ≈ 2k. */
export function linearModelBytes(k: number): Uint8Array {
  let csv = 'a,b,y\n';
  for (let i = 0; i < 40; i++) {
    const a = (i % 7) - 3;
    const b = ((i * 5) % 11) / 2;
    csv += `${a},${b},${k * (a + b)}\n`;
  }
  return saveModel(train('linear_regression', parseCsv(Buffer.from(csv)), 'y', {}).model);
}

/** Registers version `n` of `name` whose model predicts 2k for a=1,b=1; returns the version id. */
export async function registerLinear(services: Services, name: string, k: number): Promise<string> {
  const v = await services.registry.create({ name, framework: 'modelyard' }, 'test');
  await services.registry.putArtifact(v.id, 'model.myd', linearModelBytes(k));
  return v.id;
}
