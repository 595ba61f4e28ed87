import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { renderString } from '../../src/template/index.ts';

const where = { task: 'Helpers' };
const r = (text: string, vars: Record<string, unknown> = {}): unknown => renderString(text, vars, where);

function templateError(text: string, vars: Record<string, unknown> = {}): FleetError {
  try {
    r(text, vars);
  } catch (e) {
    assert.ok(e instanceof FleetError, `expected a FleetError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${text} to fail`);
}

/** What /bin/sh makes of a command line: each argument on its own, NUL-separated. */
function shellWords(commandLine: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${commandLine}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quote', () => {
  const tricky = [
    "it's",
    'a "double" quote',
    '$(touch /tmp/fleet-pwned)',
    '`touch /tmp/fleet-pwned`',
    'a; rm -rf /',
    'line1\nline2',
    'tab\there',
    'ünïcödé ✓ 😀',
    '$HOME ${PATH} $((1+1))',
    '*.conf ? [a-z]',
    '~root',
    "'",
    "''",
    '\\',
    '-n',
    ' leading and trailing ',
    '',
  ];
  for (const value of tricky) {
    it(`keeps ${JSON.stringify(value)} one shell word`, () => {
      const quoted = r('{{quote v}}', { v: value }) as string;
      assert.deepEqual(shellWords(quoted), [value]);
    });
  }

  it('leaves safe words readable', () => {
    assert.equal(r('{{quote v}}', { v: '/etc/hosts' }), '/etc/hosts');
    assert.equal(r('{{quote v}}', { v: 8080 }), '8080');
    assert.equal(r('{{quote v}}', { v: true }), 'true');
    assert.equal(r('{{quote v}}', { v: null }), "''");
  });

  it('quotes lists element-wise, joined by spaces', () => {
    const v = ['a b', "c'd", '$(x)', 'plain'];
    const quoted = r('cmd {{quote v}}', { v }) as string;
    assert.equal(quoted, "cmd 'a b' 'c'\\''d' '$(x)' plain");
    assert.deepEqual(shellWords(quoted.slice(4)), v);
  });

  it('refuses mappings, nested lists and NUL bytes', () => {
    assert.match(templateError('{{quote v}}', { v: { a: 1 } }).message, /quote: cannot quote a mapping/);
    assert.match(templateError('{{quote v}}', { v: [['a']] }).message, /quote: cannot quote a list/);
    const nul = templateError('{{quote v}}', { v: 'a\0b' });
    assert.equal(nul.code, 'E_TEMPLATE');
    assert.match(nul.message, /NUL/);
  });
});

describe('json, join, indent, default', () => {
  it('json', () => {
    assert.equal(r('{{json v}}', { v: { a: [1, 'x'], b: null } }), '{"a":[1,"x"],"b":null}');
    assert.equal(r('{{json v}}', { v: 'q"s' }), '"q\\"s"');
    assert.equal(r('{{json v indent=2}}', { v: { a: 1 } }), '{\n  "a": 1\n}');
  });

  it('join', () => {
    assert.equal(r('{{join v ","}}', { v: ['a', 'b', 3] }), 'a,b,3');
    assert.equal(r('{{join v}}', { v: ['a', 'b'] }), 'ab');
    assert.equal(r('{{join v " "}}', { v: [] }), '');
    assert.match(templateError('{{join v ","}}', { v: 'abc' }).message, /join: expects a list, got string/);
  });

  it('indent indents every non-empty line', () => {
    assert.equal(r('{{indent v 4}}', { v: 'a\n\nb\n' }), '    a\n\n    b\n');
    assert.equal(r('x:\n{{indent v 2}}', { v: 'k: 1\nl: 2' }), 'x:\n  k: 1\n  l: 2');
    assert.match(templateError('{{indent v -1}}', { v: 'a' }).message, /indent: the width must be a whole number/);
    assert.match(templateError('{{indent v 2}}', { v: 5 }).message, /indent: expects a string, got number/);
  });

  it('default gives the fallback for a missing or null value', () => {
    assert.equal(r('{{default v "fb"}}', {}), 'fb');
    assert.equal(r('{{default v "fb"}}', { v: null }), 'fb');
    assert.equal(r('{{default v "fb"}}', { v: 0 }), '0');
    assert.equal(r('{{default v "fb"}}', { v: '' }), '');
    assert.equal(r('{{default a.b.c "fb"}}', { a: {} }), 'fb');
    assert.equal(r('{{default a.b.c "fb"}}', {}), 'fb', 'missing anywhere along the path');
    assert.equal(r('{{default a.b "fb"}}', { a: { b: 'set' } }), 'set');
    assert.equal(r('{{default v port}}', { port: 22 }), '22');
    assert.equal(r('{{quote (default v "x y")}}', {}), "'x y'");
    assert.match(templateError('{{default v fallback}}', {}).message, /undefined variable 'fallback'/);
  });
});

describe('eq, ne, and, or, not in #if', () => {
  const vars = { a: 1, b: 2, s: 'x', list: [1, 2], copy: [1, 2], empty: [] };
  const cases: Array<[string, string]> = [
    ['(eq a 1)', 'y'],
    ['(eq a b)', 'n'],
    ['(eq s "x")', 'y'],
    ['(eq a "1")', 'n'],
    ['(eq list copy)', 'y'],
    ['(ne a b)', 'y'],
    ['(and a b)', 'y'],
    ['(and a empty)', 'n'],
    ['(or empty a)', 'y'],
    ['(or empty 0)', 'n'],
    ['(not empty)', 'y'],
    ['(not (eq a 1))', 'n'],
    ['(and (eq a 1) (or (eq b 3) (ne s "y")))', 'y'],
  ];
  for (const [expr, want] of cases) {
    it(expr, () => assert.equal(r(`{{#if ${expr}}}y{{else}}n{{/if}}`, vars), want));
  }

  it('check their arguments', () => {
    assert.match(templateError('{{#if (eq a)}}y{{/if}}', vars).message, /helper 'eq' takes 2 arguments, got 1/);
    assert.match(templateError('{{#if (not)}}y{{/if}}', vars).message, /helper 'not' takes 1 argument, got 0/);
    assert.match(templateError('{{#if (eq a missing)}}y{{/if}}', vars).message, /undefined variable 'missing'/);
  });
});

describe('lookup', () => {
  it('reads own data by a computed key', () => {
    const vars = { m: { k1: 'v1' }, key: 'k1', list: ['a', 'b'] };
    assert.equal(r('{{lookup m key}}', vars), 'v1');
    assert.equal(r('{{lookup list 1}}', vars), 'b');
    assert.equal(r('{{#each list}}{{lookup ../list @index}}{{/each}}', vars), 'ab');
    assert.match(templateError('{{lookup m "nope"}}', vars).message, /undefined variable 'm.nope'/);
    assert.match(templateError('{{lookup list 5}}', vars).message, /undefined variable 'list\[5\]'/);
  });
});
