import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warpLosses, yeoJohnson } from './warp.js';

test('GP output warp keeps the order of losses and returns standardised values', () => {
  // Branin-like losses: most values small, a few orders of magnitude larger.
  const raw = [0.4, 0.41, 0.5, 1.2, 3, 8, 20, 55, 140, 300];
  const { y, lambda } = warpLosses(raw);
  for (let i = 1; i < raw.length; i++) assert.ok(y[i]! > y[i - 1]!, `order kept at ${i}`);
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const sd = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length);
  assert.ok(Math.abs(mean) < 1e-12 && Math.abs(sd - 1) < 1e-12);
  // The heavy upper tail is compressed (exponent < 1), so the smallest losses are spread further apart.
  assert.ok(lambda < 1, `lambda ${lambda}`);
  assert.ok(y[1]! - y[0]! > ((0.41 - 0.4) / 300) * 2);
});

test('Yeo-Johnson is the identity at exponent 1 and continuous at its special exponents', () => {
  for (const v of [-2, -0.5, 0, 0.5, 3]) assert.ok(Math.abs(yeoJohnson(v, 1) - v) < 1e-12);
  assert.ok(Math.abs(yeoJohnson(2, 1e-7) - Math.log(3)) < 1e-6);
  assert.ok(Math.abs(yeoJohnson(-2, 2 - 1e-7) + Math.log(3)) < 1e-6);
});

test('constant losses do not break the warp', () => {
  const { y } = warpLosses([5, 5, 5, 5]);
  assert.ok(y.every((v) => Number.isFinite(v)));
});
