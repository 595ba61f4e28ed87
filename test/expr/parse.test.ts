import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { compileExpression, evaluate, MAX_NESTING, MAX_SOURCE_LENGTH } from '../../src/expr/index.ts';

const ev = (src: string, vars: Record<string, unknown> = {}): unknown => evaluate(compileExpression(src), vars);

function syntaxError(src: string): FleetError {
  try {
    compileExpression(src);
  } catch (e) {
    assert.ok(e instanceof FleetError, `expected a FleetError for ${src}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(src)} to be rejected`);
}

describe('literals', () => {
  it('reads numbers, strings, booleans, null and lists', () => {
    assert.equal(ev('42'), 42);
    assert.equal(ev('1.5'), 1.5);
    assert.equal(ev('2e3'), 2000);
    assert.equal(ev("'single'"), 'single');
    assert.equal(ev('"double"'), 'double');
    assert.equal(ev('true'), true);
    assert.equal(ev('True'), true);
    assert.equal(ev('false'), false);
    assert.equal(ev('False'), false);
    for (const n of ['null', 'none', 'None']) assert.equal(ev(n), null);
    assert.deepEqual(ev("[1, 'a', [true], ]"), [1, 'a', [true]]);
    assert.deepEqual(ev('[]'), []);
  });

  it('decodes escapes in strings', () => {
    assert.equal(ev(String.raw`'a\nb\tc\\d\'e'`), "a\nb\tc\\d'e");
    assert.equal(ev(String.raw`"q\"q"`), 'q"q');
    assert.equal(ev(String.raw`'\x41\u00e9\U0001F600'`), 'Aé😀');
    assert.equal(ev(String.raw`'\d+'`), '\\d+', 'unknown escapes are kept, as in Python');
  });
});

describe('precedence', () => {
  const cases: Array<[string, unknown]> = [
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['2 * 3 % 4', 2],
    ['7 // 2 * 2', 6],
    ['-2 * 3', -6],
    ['- 1 + 1', 0],
    ['not true or true', true],
    ['not (true or true)', false],
    ['true or false and false', true],
    ['(true or false) and false', false],
    ['not 1 == 2', true],
    ['1 + 1 == 2 and 3 > 2', true],
    ['not x in [1, 2]', true],
    ['x not in [1, 2]', true],
    ['1 < 2 < 3', true],
    ['3 > 2 > 2', false],
    ["'ab' | length + 1", 3],
    ["-'ab' | length", -2],
    ['[1, 2] | length is number', true],
    ['x is defined and x == 5', true],
    ['y is not defined or y > 1', true],
  ];
  for (const [src, want] of cases) {
    it(src, () => assert.deepEqual(ev(src, { x: 5 }), want));
  }
});

describe('syntax errors', () => {
  it('reports the column of the problem', () => {
    const e = syntaxError('a and (b or');
    assert.equal(e.code, 'E_EXPRESSION');
    assert.match(e.message, /unexpected end of expression at column 12/);
    assert.match(e.message, /`a and \(b or`/);
    assert.match(syntaxError('a ==== b').message, /unexpected '==' at column 5/);
    assert.match(syntaxError('x[0').message, /expected '\]' but found end of expression at column 4/);
    assert.match(syntaxError("'abc").message, /unterminated string at column 1/);
    assert.match(syntaxError('a b').message, /unexpected 'b' at column 3/);
  });

  it('moves the location by the column (and lines) when given where the expression starts', () => {
    const e = syntaxError('x +');
    assert.equal(e.location, undefined);
    try {
      compileExpression('ok and )', { file: 'site.yml', line: 7, col: 13 });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof FleetError);
      assert.deepEqual(err.location, { file: 'site.yml', line: 7, col: 20 });
    }
    try {
      compileExpression('ok and\n  (x ==)', { file: 'site.yml', line: 7, col: 13 });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof FleetError);
      assert.deepEqual(err.location, { file: 'site.yml', line: 8, col: 8 });
    }
  });

  it('gives hints for habits from other languages', () => {
    assert.match(syntaxError('a && b').message, /use 'and'/);
    assert.match(syntaxError('a || b').message, /use 'or'/);
    assert.match(syntaxError('!a').message, /use 'not'/);
    assert.match(syntaxError('a = 1').message, /use '=='/);
    assert.match(syntaxError('{{ a }}').message, /without \{\{ \}\}/);
  });

  it('rejects unknown filters, tests and methods, and other calls, by name', () => {
    const f = syntaxError('x | shell');
    assert.match(f.message, /unknown filter 'shell' at column 5/);
    assert.match(f.hint ?? '', /length/);
    assert.match(syntaxError('x is odd').message, /unknown test 'odd'/);
    assert.match(syntaxError('x.format(1)').message, /'format' is not a method that can be called/);
    assert.match(syntaxError("lookup('env', 'HOME')").message, /only string methods can be called at column 7/);
    assert.match(syntaxError('(x)(1)').message, /only string methods can be called/);
    assert.match(syntaxError('x.constructor("return 1")()').message, /'constructor' is not a method/);
  });

  it('checks the number of arguments', () => {
    assert.match(syntaxError("x | join('a', 'b')").message, /filter 'join' takes 0 to 1 arguments, got 2/);
    assert.match(syntaxError('x is search').message, /test 'search' takes 1 argument, got 0/);
    assert.match(syntaxError('x.find()').message, /method 'find' takes 1 argument, got 0/);
  });

  it('rejects empty and non-string conditions', () => {
    assert.match(syntaxError('').message, /empty expression/);
    assert.match(syntaxError('   ').message, /empty expression/);
    assert.throws(() => compileExpression(true as unknown as string), (e: unknown) => e instanceof FleetError && e.code === 'E_EXPRESSION');
  });
});

describe('limits', () => {
  it(`refuses expressions longer than ${MAX_SOURCE_LENGTH} characters`, () => {
    assert.throws(
      () => compileExpression('x or '.repeat(1000) + 'x'),
      (e: unknown) => e instanceof FleetError && e.code === 'E_INPUT_TOO_LARGE',
    );
  });

  it(`refuses nesting deeper than ${MAX_NESTING}`, () => {
    assert.equal(ev('('.repeat(MAX_NESTING) + '1' + ')'.repeat(MAX_NESTING)), 1);
    const deep = '('.repeat(MAX_NESTING + 1) + '1' + ')'.repeat(MAX_NESTING + 1);
    assert.match(syntaxError(deep).message, /nested more than 64 levels/);
    assert.match(syntaxError('['.repeat(200)).message, /nested more than 64 levels/);
    assert.match(syntaxError('not '.repeat(100) + 'x').message, /nested more than 64 levels/);
    assert.match(syntaxError('-'.repeat(100) + '1').message, /nested more than 64 levels/);
  });

  it('refuses operator chains too tall to evaluate safely, but allows long ones', () => {
    assert.equal(ev(Array(200).fill('1').join(' + ')), 200);
    assert.match(syntaxError(Array(1000).fill('1').join('+')).message, /too complex/);
    assert.match(syntaxError('x' + '.a'.repeat(1500)).message, /too complex/);
  });
});
