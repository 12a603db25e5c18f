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

/** A small GBDT binary classifier on features a,b,c,d (enough trees that answers are not trivial). */
export function gbdtModelBytes(): Uint8Array {
  let csv = 'a,b,c,d,y\n';
  for (let i = 0; i < 300; i++) {
    const a = Math.sin(i * 0.37) * 3;
    const b = ((i * 7) % 13) - 6;
    const c = Math.cos(i * 0.11) * 2;
    const d = (i % 5) / 2;
    csv += `${a},${b},${c},${d},${a + 0.5 * b - c * d > 0 ? 'yes' : 'no'}\n`;
  }
  return saveModel(train('gbdt', parseCsv(Buffer.from(csv)), 'y', { n_estimators: 40, max_depth: 4 }).model);
}

/** `n` rows for gbdtModelBytes' model as CSV with a header; `seed` varies the values. */
export function gbdtRowsCsv(n: number, seed: number): string {
  let s = 'a,b,c,d\n';
  for (let i = 0; i < n; i++) {
    const k = seed * 1000 + i;
    s += `${Math.sin(k) * 3},${(k % 13) - 6},${Math.cos(k * 0.3) * 2},${(k % 7) / 3}\n`;
  }
  return s;
}
