import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildImplicitTrees, IMPLICIT_MAX_DEPTH, implicitRawInto } from './implicit-trees.js';
import { createRng } from './random.js';
import { loadFixture } from './test-helpers.js';
import { train } from './train.js';
import { treeRawInto } from './tree-predictor.js';
import type { TreePredictor } from './types.js';

/** Random rows hitting exact thresholds too; half the rows have about a third of their cells missing. */
function probeRows(p: TreePredictor, nFeatures: number, seed: number): Float64Array[] {
  const rng = createRng(seed);
  const rows: Float64Array[] = [];
  for (let i = 0; i < 400; i++) {
    const x = new Float64Array(nFeatures);
    const missing = i % 2 === 0 ? 0.3 : 0;
    for (let j = 0; j < nFeatures; j++) {
      const t = p.threshold[rng.int(p.threshold.length)]!;
      x[j] =
        rng.next() < missing ? NaN : Number.isFinite(t) && rng.next() < 0.3 ? t : (rng.next() - 0.5) * 400;
    }
    rows.push(x);
  }
  return rows;
}

test('implicit complete-tree layout scores exactly like the pointer walk, with and without missing values', () => {
  const cases = [
    { data: 'iris', params: { n_estimators: 7, max_depth: 4 } },
    { data: 'diabetes', params: { n_estimators: 9, max_depth: 6, min_samples_leaf: 15 } },
    { data: 'breast_cancer', params: { n_estimators: 6, max_depth: 0, max_leaves: 9 } },
  ] as const;
  for (const { data, params } of cases) {
    const frame = loadFixture(data);
    const p = train('gbdt', frame, 'target', params).model.predictor as TreePredictor;
    const m = buildImplicitTrees(p);
    assert.ok(m, `${data}: implicit layout built`);
    const a = new Float64Array(p.nRaw);
    const b = new Float64Array(p.nRaw);
    let withNaN = 0;
    for (const x of probeRows(p, frame.columns.length - 1, 3)) {
      if (x.some((v) => Number.isNaN(v))) withNaN++;
      treeRawInto(p, x, a);
      implicitRawInto(m, x, b);
      assert.deepEqual(b, a);
    }
    assert.ok(withNaN > 100 && withNaN < 400, 'both paths exercised');
  }
});

test('trees deeper than the implicit limit are left to the pointer walk', () => {
  const frame = loadFixture('diabetes');
  const depth = IMPLICIT_MAX_DEPTH + 2;
  const p = train('gbdt', frame, 'target', { n_estimators: 2, max_depth: depth, min_child_weight: 0 }).model
    .predictor as TreePredictor;
  assert.equal(buildImplicitTrees(p), null);
});
