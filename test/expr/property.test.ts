import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { compileExpression, evaluate, evaluateCondition, UNKNOWN, UnknownValueError } from '../../src/expr/index.ts';

const vars: Record<string, unknown> = {
  a: 1,
  b: 'text',
  c: [1, 'two', { three: 3 }],
  d: { e: { f: 'g' }, n: null, u: UNKNOWN },
  r: { rc: 0, failed: false, changed: true, stdout: 'line1\nline2' },
  u: UNKNOWN,
  t: true,
};

/** Only these may escape: anything else (TypeError, RangeError, ...) is a bug. */
function expectedError(e: unknown): boolean {
  return e instanceof FleetError || e instanceof UnknownValueError;
}

function check(src: string): void {
  const started = Date.now();
  try {
    const compiled = compileExpression(src);
    evaluate(compiled, vars);
    evaluateCondition(compiled, vars);
  } catch (e) {
    if (!expectedError(e)) {
      assert.fail(`${JSON.stringify(src)} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }
  assert.ok(Date.now() - started < 5000, `${JSON.stringify(src)} took too long`);
}

const TOKENS = [
  'a', 'b', 'c', 'd', 'r', 'u', 't', 'missing', '__proto__', 'constructor', 'e', 'f', 'rc', 'stdout', 'length',
  '0', '1', '-1', '2.5', "'x'", '"y"', "''", 'true', 'None', 'null', '[', ']', '(', ')', '.', ',', '|', '+', '-',
  '*', '/', '//', '%', '==', '!=', '<', '<=', '>', '>=', 'in', 'not', 'is', 'and', 'or', 'defined', 'undefined',
  'none', 'number', 'string', 'mapping', 'sequence', 'failed', 'succeeded', 'changed', 'skipped', 'match',
  'search', 'default', 'd', 'int', 'float', 'bool', 'lower', 'upper', 'trim', 'first', 'last', 'join', 'split',
  'regex_search', 'startswith', 'endswith', 'strip', 'splitlines', 'find', "'(a+)+'", "'['", "'\\\\d'",
];

describe('property: hostile input never escapes as another error, never hangs', () => {
  it('arbitrary ASCII strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), check), { numRuns: 1000 });
  });

  it('arbitrary unicode strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), check), { numRuns: 500 });
  });

  it('token soup (reaches the parser and evaluator much more often)', () => {
    const soup = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 25 }).map((t) => t.join(' '));
    fc.assert(fc.property(soup, check), { numRuns: 1000 });
  });

  it('tightly packed token soup', () => {
    const soup = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 25 }).map((t) => t.join(''));
    fc.assert(fc.property(soup, check), { numRuns: 500 });
  });

  it('deep nesting and long inputs', () => {
    const deep = fc.tuple(fc.constantFrom('(', '[', 'not ', '-', 'a.', 'a['), fc.integer({ min: 1, max: 3000 }))
      .map(([t, n]) => t.repeat(n) + 'a');
    fc.assert(fc.property(deep, check), { numRuns: 100 });
  });

  it('well-formed comparisons evaluate to booleans', () => {
    const operand = fc.oneof(fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('a', 'r.rc', "c | length", "b | length"));
    const op = fc.constantFrom('==', '!=', '<', '<=', '>', '>=');
    fc.assert(
      fc.property(operand, op, operand, (l, o, r) => {
        const v = evaluate(compileExpression(`${l} ${o} ${r}`), vars);
        assert.equal(typeof v, 'boolean');
      }),
      { numRuns: 500 },
    );
  });
});
