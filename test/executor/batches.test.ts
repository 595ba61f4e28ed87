import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSizes } from '../../src/executor/batches.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';

test('serial batch sizes: numbers, percentages, lists whose last size repeats', () => {
  assert.deepEqual(batchSizes([], 5), [5]);
  assert.deepEqual(batchSizes([1], 3), [1, 1, 1]);
  assert.deepEqual(batchSizes([1, 2, '50%'], 10), [1, 2, 5, 2]);
  assert.deepEqual(batchSizes(['30%'], 10), [3, 3, 3, 1]);
  assert.deepEqual(batchSizes(['1%'], 10), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(batchSizes(['2'], 3), [2, 1]);
  assert.deepEqual(batchSizes([1], 0), []);
});

test('serial values that are not sizes are refused', () => {
  for (const bad of [0, -1, 'x', '', NaN]) {
    assert.throws(() => batchSizes([bad as number | string], 4), (e: unknown) => e instanceof FleetError && e.code === 'E_VALIDATION');
  }
});
