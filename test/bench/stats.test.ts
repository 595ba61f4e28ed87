/** bench/stats.ts: medians, ranges, ratios and the interleaving of tools. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interleave, median, ratio, summarize } from '../../bench/stats.ts';

describe('bench stats', () => {
  it('takes the median of odd and even counts without reordering the input', () => {
    const xs = [5, 1, 3];
    assert.equal(median(xs), 3);
    assert.deepEqual(xs, [5, 1, 3]);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('summarizes median, min and max', () => {
    assert.deepEqual(summarize([2.5, 9, 1]), { n: 3, median: 2.5, min: 1, max: 9 });
    const empty = summarize([]);
    assert.equal(empty.n, 0);
    assert.ok(Number.isNaN(empty.min) && Number.isNaN(empty.max));
  });

  it('divides medians, NaN when a side is missing or zero', () => {
    assert.equal(ratio(summarize([1, 2, 3]), summarize([4, 40, 8])), 0.25);
    assert.ok(Number.isNaN(ratio(undefined, summarize([1]))));
    assert.ok(Number.isNaN(ratio(summarize([1]), summarize([0]))));
  });

  it('rotates the order each round so every tool runs first once per cycle', () => {
    const tools = ['a', 'b', 'c', 'd'];
    const rounds = [0, 1, 2, 3].map((r) => interleave(tools, r));
    assert.deepEqual(rounds.map((r) => r[0]), tools);
    for (const r of rounds) assert.deepEqual([...r].sort(), tools);
    assert.deepEqual(interleave(tools, 5), interleave(tools, 1));
    assert.deepEqual(interleave([], 2), []);
  });
});
