/** Splitting a custom model's extra output columns from its predictions (DRUM's extraModelOutput). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishScores, splitExtraColumns } from './labels.js';
import type { RawScores } from './serving.types.js';

function raw(columns: string[], cells: unknown[][]): RawScores {
  const values = new Float64Array(cells.length * columns.length);
  cells.forEach((row, i) =>
    row.forEach((v, j) => (values[i * columns.length + j] = typeof v === 'number' ? v : NaN)),
  );
  return { values, nRows: cells.length, columns, cells };
}

test('regression: the Predictions column is the prediction, the others are extra', () => {
  const s = splitExtraColumns(
    null,
    raw(
      ['id', 'Predictions', 'note'],
      [
        ['a', 1.5, 'x'],
        ['b', -2, null],
      ],
    ),
  );
  assert.deepEqual(s.columns, ['Predictions']);
  assert.deepEqual(Array.from(s.values), [1.5, -2]);
  assert.deepEqual(s.extra, {
    columns: ['id', 'note'],
    rows: [
      ['a', 'x'],
      ['b', null],
    ],
  });
  assert.deepEqual(
    Array.from(finishScores('regression', null, s.values, s.nRows, s.columns).values),
    [1.5, -2],
  );
});

test('classification: label columns matched tolerantly (and reordered later), the rest extra', () => {
  const s = splitExtraColumns(['0', '1'], raw(['1.0', 'why', '0.0'], [[0.75, 'because', 0.25]]));
  assert.deepEqual(s.columns, ['0.0', '1.0']);
  assert.deepEqual(Array.from(s.values), [0.25, 0.75]);
  assert.deepEqual(s.extra, { columns: ['why'], rows: [['because']] });
});

test('nothing is split when the prediction columns are not all there, or there is nothing extra', () => {
  const missing = raw(['yes', 'maybe', 'why'], [[0.5, 0.5, 'w']]);
  assert.equal(splitExtraColumns(['yes', 'no'], missing), missing);
  const exact = raw(['no', 'yes'], [[0.5, 0.5]]);
  assert.equal(splitExtraColumns(['yes', 'no'], exact), exact);
  const unnamed = raw(['0', '1'], [[1, 2]]);
  assert.equal(splitExtraColumns(null, unnamed), unnamed);
  assert.throws(
    () => finishScores('regression', null, unnamed.values, 1, unnamed.columns),
    /exactly 1 column/,
  );
});
