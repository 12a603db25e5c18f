import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restartDelayMs } from './serve-cluster.js';

test('a crashed worker is replaced at once, a crash loop backs off to at most 30 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(restartDelayMs), [0, 1000, 2000, 4000, 8000, 16_000, 30_000]);
  assert.equal(restartDelayMs(50), 30_000);
});
