import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildParzen } from './parzen.js';
import { compileSpace, toInternal } from './space.js';

test('TPE clip count narrows continuous kernels only; discrete ones keep Optuna’s magic clip', () => {
  const dims = compileSpace({
    x: { type: 'float', low: 0, high: 1 },
    k: { type: 'int', low: 0, high: 9 },
  });
  // Ten observations packed close together, as in a good set near a smooth optimum.
  const obs = Array.from({ length: 10 }, (_, i) =>
    Float64Array.from([toInternal(dims[0]!, 0.5 + i * 1e-3), toInternal(dims[1]!, 4)]),
  );
  const base = { priorWeight: 1, magicClip: true, discreteBandwidth: 'scott' as const };
  const optuna = buildParzen(dims, obs, base);
  const narrow = buildParzen(dims, obs, { ...base, clipCount: 40 });
  // Optuna's floor: range / (1 + 11 kernels); ours with 40: range / 41.
  assert.ok(Math.abs(optuna.sigmas[0]![0]! - 1 / 12) < 1e-12);
  assert.ok(Math.abs(narrow.sigmas[0]![0]! - 1 / 41) < 1e-12);
  assert.deepEqual(Array.from(narrow.sigmas[1]!), Array.from(optuna.sigmas[1]!));
});
