import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closest, didYouMean, editDistance } from '../../src/playbook/suggest.ts';

test('editDistance counts insertions, deletions, substitutions and swaps', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('', 'ab'), 2);
  assert.equal(editDistance('when', 'when'), 0);
  assert.equal(editDistance('whne', 'when'), 1);
  assert.equal(editDistance('sytemd', 'systemd'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('ca', 'abc'), 3);
});

test('editDistance is a symmetric, bounded measure', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
      const d = editDistance(a, b);
      assert.equal(d, editDistance(b, a));
      assert.ok(d <= Math.max(a.length, b.length));
      assert.ok(d >= Math.abs(a.length - b.length));
      assert.equal(d === 0, a === b);
    }),
  );
});

test('closest suggests plausible typos only', () => {
  assert.equal(closest('whne', ['name', 'when', 'tags']), 'when');
  assert.equal(closest('taks', ['tags', 'tasks']), 'tasks');
  assert.equal(closest('When', ['when']), 'when');
  assert.equal(closest('foo', ['loop', 'tags']), undefined);
  assert.equal(closest('x', ['vars']), undefined);
  assert.equal(closest('anything', []), undefined);
  assert.equal(didYouMean('sytemd', ['systemd', 'shell']), " (did you mean 'systemd'?)");
  assert.equal(didYouMean('zzz', ['systemd']), '');
});
