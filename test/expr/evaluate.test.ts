import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { compileExpression, evaluate, evaluateCondition, referencedNames } from '../../src/expr/index.ts';

const vars: Record<string, unknown> = {
  n: 3,
  f: 2.5,
  s: 'Hello World',
  empty: '',
  list: [1, 2, 3],
  names: ['web1', 'web2'],
  obj: { k: 'v', nested: { deep: 1 }, nothing: null },
  emptyList: [],
  emptyObj: {},
  zero: 0,
  nil: null,
  yes: true,
  ok: { rc: 0, changed: false, failed: false, stdout: 'a\nb\n' },
  bad: { rc: 1, changed: true, failed: true, stdout: '' },
  skip: { skipped: true, changed: false },
  copy: { deep: 1 },
};

const ev = (src: string, v: Record<string, unknown> = vars): unknown => evaluate(compileExpression(src), v);

function exprError(src: string, v: Record<string, unknown> = vars): FleetError {
  try {
    ev(src, v);
  } catch (e) {
    assert.ok(e instanceof FleetError, `expected a FleetError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${src} to throw`);
}

describe('variables and access', () => {
  it('reads names, attributes and indexes', () => {
    assert.equal(ev('n'), 3);
    assert.equal(ev('obj.k'), 'v');
    assert.equal(ev('obj.nested.deep'), 1);
    assert.equal(ev("obj['k']"), 'v');
    assert.equal(ev('obj["nested"]["deep"]'), 1);
    assert.equal(ev('list[0]'), 1);
    assert.equal(ev('list.1'), 2);
    assert.equal(ev('list[-1]'), 3);
    assert.equal(ev('list[n - 1]'), 3);
    assert.equal(ev('s[0]'), 'H');
    assert.equal(ev('obj.nothing'), null);
  });

  it('treats missing attributes and out-of-range indexes as undefined', () => {
    assert.equal(ev('obj.missing is undefined'), true);
    assert.equal(ev('list[10] is defined'), false);
    assert.equal(ev('list.length is defined'), false, 'lists have no attributes');
    assert.equal(ev('s.length is defined'), false, 'string length only through the length filter');
    assert.equal(ev('nil.x is defined'), false);
  });

  it('refuses bad index types', () => {
    assert.match(exprError('list[true]').message, /list index must be an integer, not bool at column 5/);
    assert.match(exprError('obj[[1]]').message, /mapping key must be a string or a number, not list/);
  });
});

describe('operators', () => {
  it('does arithmetic with Python semantics', () => {
    assert.equal(ev('n + f'), 5.5);
    assert.equal(ev('n - 5'), -2);
    assert.equal(ev('n * 2'), 6);
    assert.equal(ev('7 / 2'), 3.5);
    assert.equal(ev('7 // 2'), 3);
    assert.equal(ev('-7 // 2'), -4);
    assert.equal(ev('7 % 3'), 1);
    assert.equal(ev('-7 % 3'), 2);
    assert.equal(ev('7 % -3'), -2);
    assert.equal(ev('-n'), -3);
  });

  it('concatenates strings and lists, repeats them with *', () => {
    assert.equal(ev("s + '!'"), 'Hello World!');
    assert.deepEqual(ev('list + [4]'), [1, 2, 3, 4]);
    assert.equal(ev("'-' * 3"), '---');
    assert.equal(ev("2 * 'ab'"), 'abab');
    assert.deepEqual(ev('[0] * 3'), [0, 0, 0]);
    assert.equal(ev("'x' * -1"), '');
  });

  it('refuses mixed types and division by zero', () => {
    assert.match(exprError("n + 'a'").message, /cannot apply '\+' to int and string at column 3/);
    assert.match(exprError('list - [1]').message, /cannot apply '-' to list and list/);
    assert.match(exprError('1 / 0').message, /division by zero/);
    assert.match(exprError('1 // zero').message, /division by zero/);
    assert.match(exprError('1 % 0').message, /division by zero/);
    assert.match(exprError("-'a'").message, /cannot negate a string/);
    assert.match(exprError("'a' * 1.5").message, /cannot apply/);
  });

  it('bounds the size of built strings and lists', () => {
    assert.match(exprError("'x' * 100000000").message, /too long/);
    assert.match(exprError('[1, 2] * 10000000').message, /too long/);
  });

  it('compares', () => {
    assert.equal(ev('n == 3'), true);
    assert.equal(ev('n == 3.0'), true);
    assert.equal(ev("n == '3'"), false);
    assert.equal(ev('n != 4'), true);
    assert.equal(ev('list == [1, 2, 3]'), true);
    assert.equal(ev('obj.nested == copy'), true, 'mappings compare by content');
    assert.equal(ev('obj == copy'), false);
    assert.equal(ev('nil == none'), true);
    assert.equal(ev('n < 4 and n <= 3 and n > 2 and n >= 3'), true);
    assert.equal(ev("'abc' < 'abd'"), true);
    assert.equal(ev('[1, 2] < [1, 3]'), true);
    assert.equal(ev('[1, 2] < [1, 2, 0]'), true);
    assert.match(exprError("n < 'a'").message, /cannot compare int and string with '<'/);
    assert.match(exprError('nil < 1').message, /cannot compare none and int/);
  });

  it("tests membership with 'in' and 'not in'", () => {
    assert.equal(ev("'World' in s"), true);
    assert.equal(ev("'world' in s"), false);
    assert.equal(ev('2 in list'), true);
    assert.equal(ev('2.0 in list'), true);
    assert.equal(ev('[1] in [[1], [2]]'), true);
    assert.equal(ev("'k' in obj"), true);
    assert.equal(ev("'v' in obj"), false);
    assert.equal(ev("'web3' not in names"), true);
    assert.equal(ev("'constructor' in obj"), false);
    assert.equal(ev("'toString' in obj"), false);
    assert.match(exprError("1 in 'abc'").message, /needs a string on the left/);
    assert.match(exprError('1 in 5').message, /'in' needs a string, a list or a mapping on the right, not int/);
  });

  it('returns operand values from and/or like Python', () => {
    assert.equal(ev("empty or 'fallback'"), 'fallback');
    assert.equal(ev("s and 'x'"), 'x');
    assert.equal(ev('zero and undefined_thing'), 0, 'the right side is not evaluated');
    assert.equal(ev('n or undefined_thing'), 3);
  });
});

describe('truthiness (evaluateCondition)', () => {
  const falsy = ["''", '0', '0.0', '[]', 'emptyObj', 'nil', 'false', 'empty', 'emptyList'];
  const truthy = ["'0'", "' '", '1', '-1', '[0]', 'obj', 'true', 'list', "'false'"];
  for (const src of falsy) it(`${src} is false`, () => assert.equal(evaluateCondition(src, vars), false));
  for (const src of truthy) it(`${src} is true`, () => assert.equal(evaluateCondition(src, vars), true));

  it('accepts compiled expressions and caches strings', () => {
    const c = compileExpression('n > 2');
    assert.equal(evaluateCondition(c, vars), true);
    assert.equal(evaluateCondition(c, { n: 1 }), false);
    for (let i = 0; i < 3000; i++) assert.equal(evaluateCondition(`n == ${i % 1500}`, { n: i % 1500 }), true);
  });
});

describe('filters', () => {
  it('length', () => {
    assert.equal(ev('s | length'), 11);
    assert.equal(ev("'é😀' | length"), 2, 'counts characters, not UTF-16 units');
    assert.equal(ev('list | length'), 3);
    assert.equal(ev('obj | length'), 3);
    assert.match(exprError('n | length').message, /length: int has no length/);
  });

  it('int and float', () => {
    assert.equal(ev("'3' | int"), 3);
    assert.equal(ev("' 42 ' | int"), 42);
    assert.equal(ev("'3.9' | int"), 3);
    assert.equal(ev('f | int'), 2);
    assert.equal(ev("'abc' | int"), 0);
    assert.equal(ev("'abc' | int(7)"), 7);
    assert.equal(ev("'0x1A' | int(0, 16)"), 26);
    assert.equal(ev("'ff' | int(0, 16)"), 255);
    assert.equal(ev('true | int'), 1);
    assert.equal(ev('nil | int'), 0);
    assert.equal(ev("'2.5' | float"), 2.5);
    assert.equal(ev("'1e3' | float"), 1000);
    assert.equal(ev("'x' | float"), 0);
    assert.equal(ev('n | float'), 3);
    assert.match(exprError("'1' | int(0, 99)").message, /base must be an integer from 2 to 36/);
  });

  it('string, bool, lower, upper, trim', () => {
    assert.equal(ev('n | string'), '3');
    assert.equal(ev('yes | string'), 'True');
    assert.equal(ev('nil | string'), 'None');
    assert.equal(ev('list | string'), '[1,2,3]');
    assert.equal(ev("'yes' | bool"), true);
    assert.equal(ev("'On' | bool"), true);
    assert.equal(ev("'1' | bool"), true);
    assert.equal(ev("'no' | bool"), false);
    assert.equal(ev("'banana' | bool"), false);
    assert.equal(ev('1 | bool'), true);
    assert.equal(ev('2 | bool'), false, 'Ansible: only 1 is true among numbers');
    assert.equal(ev('s | lower'), 'hello world');
    assert.equal(ev('s | upper'), 'HELLO WORLD');
    assert.equal(ev('yes | lower'), 'true');
    assert.equal(ev("'  x \\n' | trim"), 'x');
  });

  it('default and d', () => {
    assert.equal(ev("missing | default('x')"), 'x');
    assert.equal(ev("missing | d('x')"), 'x');
    assert.equal(ev('missing | default'), '');
    assert.equal(ev("obj.missing.deeper | default('x')"), 'x', 'chains through undefined');
    assert.equal(ev("list[99] | default('x')"), 'x');
    assert.equal(ev("n | default('x')"), 3);
    assert.equal(ev("nil | default('x')"), null, 'null is defined (Jinja)');
    assert.equal(ev("empty | default('x')"), '');
    assert.equal(ev("empty | default('x', true)"), 'x');
    assert.equal(ev("zero | default(5, true)"), 5);
  });

  it('first, last, join, split', () => {
    assert.equal(ev('list | first'), 1);
    assert.equal(ev('list | last'), 3);
    assert.equal(ev('s | first'), 'H');
    assert.equal(ev("emptyList | first | default('none')"), 'none');
    assert.equal(ev('emptyList | first is defined'), false);
    assert.equal(ev("names | join(',')"), 'web1,web2');
    assert.equal(ev('names | join'), 'web1web2');
    assert.equal(ev("[1, true, none] | join('-')"), '1-True-None');
    assert.deepEqual(ev("'a,b,,c' | split(',')"), ['a', 'b', '', 'c']);
    assert.deepEqual(ev("'  a  b\\tc ' | split"), ['a', 'b', 'c']);
    assert.deepEqual(ev("'a,b,c' | split(',', 1)"), ['a', 'b,c']);
    assert.match(exprError("s | split('')").message, /empty separator/);
    assert.match(exprError('n | join').message, /join: expects a list, got int/);
    assert.match(exprError('n | first').message, /first: expects a list or a string/);
  });

  it('regex_search', () => {
    assert.equal(ev("s | regex_search('W\\\\w+')"), 'World');
    assert.equal(ev("s | regex_search('^World')"), null);
    assert.equal(ev("s | regex_search('(?i)hello')"), 'Hello');
    assert.equal(ev("'v1.2.3' | regex_search('(?P<major>\\\\d+)\\\\.(?P=major)')"), null);
    assert.equal(ev("'v1.1.3' | regex_search('(?P<major>\\\\d+)\\\\.(?P=major)')"), '1.1');
    assert.match(exprError("s | regex_search('(')").message, /invalid regular expression/);
    assert.match(exprError(`s | regex_search('${'a'.repeat(600)}')`).message, /longer than 512 characters/);
    assert.match(exprError("n | regex_search('1')").message, /regex_search expects a string, got int/);
  });
});

describe('tests', () => {
  it('defined, undefined, none, number, string, mapping, sequence', () => {
    assert.equal(ev('n is defined'), true);
    assert.equal(ev('nope is defined'), false);
    assert.equal(ev('nope is undefined'), true);
    assert.equal(ev('nope is not defined'), true);
    assert.equal(ev('nil is defined'), true);
    assert.equal(ev('nil is none'), true);
    assert.equal(ev('nil is None'), true);
    assert.equal(ev('n is not none'), true);
    assert.equal(ev('f is number'), true);
    assert.equal(ev("'3' is number"), false);
    assert.equal(ev('s is string'), true);
    assert.equal(ev('obj is mapping'), true);
    assert.equal(ev('list is mapping'), false);
    assert.equal(ev('list is sequence'), true);
    assert.equal(ev('s is sequence'), true);
    assert.equal(ev('obj is sequence'), false);
  });

  it('succeeded, failed, changed, skipped on registered results', () => {
    assert.equal(ev('ok is succeeded'), true);
    assert.equal(ev('ok is success'), true);
    assert.equal(ev('ok is failed'), false);
    assert.equal(ev('bad is failed'), true);
    assert.equal(ev('bad is failure'), true);
    assert.equal(ev('bad is not succeeded'), true);
    assert.equal(ev('bad is changed'), true);
    assert.equal(ev('ok is changed'), false);
    assert.equal(ev('skip is skipped'), true);
    assert.equal(ev('ok is skipped'), false);
    assert.equal(ev('skip is succeeded'), true, 'a skipped task did not fail');
    assert.match(exprError('n is failed').message, /'failed' test expects a registered result \(a mapping\), got int/);
  });

  it('match and search', () => {
    assert.equal(ev("s is match('Hello')"), true);
    assert.equal(ev("s is match('World')"), false, 'match anchors at the start');
    assert.equal(ev("s is search('World')"), true);
    assert.equal(ev("s is not search('^World')"), true);
    assert.equal(ev("ok.stdout is search('^b$')"), false);
    assert.equal(ev("ok.stdout is search('b', )"), true, 'a trailing comma is allowed');
    assert.equal(ev("ok.stdout is search('(?m)^b$')"), true);
    assert.match(exprError("n is match('3')").message, /the 'match' test expects a string, got int/);
    assert.match(exprError("s is search('[')").message, /invalid regular expression/);
  });
});

describe('string methods', () => {
  it('startswith, endswith (also with a list of prefixes)', () => {
    assert.equal(ev("s.startswith('Hello')"), true);
    assert.equal(ev("s.startswith(['x', 'He'])"), true);
    assert.equal(ev("s.endswith('World')"), true);
    assert.equal(ev("s.endswith('Hello')"), false);
  });

  it('strip, lstrip, rstrip, lower, upper', () => {
    assert.equal(ev("'  x  '.strip()"), 'x');
    assert.equal(ev("'xxaxx'.strip('x')"), 'a');
    assert.equal(ev("'  x  '.lstrip()"), 'x  ');
    assert.equal(ev("'  x  '.rstrip()"), '  x');
    assert.equal(ev('s.lower()'), 'hello world');
    assert.equal(ev('s.upper()'), 'HELLO WORLD');
  });

  it('splitlines, split, find', () => {
    assert.deepEqual(ev('ok.stdout.splitlines()'), ['a', 'b']);
    assert.deepEqual(ev("'a\\r\\nb\\rc'.splitlines()"), ['a', 'b', 'c']);
    assert.deepEqual(ev("''.splitlines()"), []);
    assert.deepEqual(ev("'a b  c'.split()"), ['a', 'b', 'c']);
    assert.deepEqual(ev("'a=b=c'.split('=', 1)"), ['a', 'b=c']);
    assert.equal(ev("s.find('World')"), 6);
    assert.equal(ev("s.find('nope')"), -1);
    assert.equal(ev("'x'.strip() + 'y'.upper()"), 'xY');
  });

  it('work on strings only', () => {
    assert.match(exprError('list.strip()').message, /works on strings only/);
    assert.match(exprError('s.startswith(1)').message, /startswith expects a string, got int/);
  });
});

describe('referencedNames', () => {
  it('lists top-level variables in order of first use', () => {
    assert.deepEqual(referencedNames("a.b and c[d] | default(e) or a or 'f' in g.h"), ['a', 'c', 'd', 'e', 'g']);
    assert.deepEqual(referencedNames(compileExpression("x is search('y')")), ['x']);
    assert.deepEqual(referencedNames('1 + 2'), []);
  });
});
