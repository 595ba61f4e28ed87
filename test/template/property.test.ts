import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { UNKNOWN, UnknownValueError } from '../../src/expr/index.ts';
import { renderString, renderTemplate } from '../../src/template/index.ts';

const vars: Record<string, unknown> = {
  a: 1,
  b: 'text',
  c: [1, 'two', { three: 3 }],
  d: { e: { f: 'g' }, n: null },
  u: UNKNOWN,
  t: true,
};

function check(text: string): void {
  const started = Date.now();
  for (const run of [
    () => renderString(text, vars, { task: 'T', location: { file: 'p.yml', line: 1, col: 1 } }),
    () => renderTemplate(text, vars, { file: 't.hbs' }),
  ]) {
    try {
      const out = run();
      assert.ok(out !== undefined, `${JSON.stringify(text)} rendered undefined`);
      if (typeof out === 'string') {
        assert.doesNotMatch(out, /\[object |native code|function /, `${JSON.stringify(text)} leaked ${out}`);
      }
    } catch (e) {
      if (!(e instanceof FleetError || e instanceof UnknownValueError)) {
        assert.fail(`${JSON.stringify(text)} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
  }
  assert.ok(Date.now() - started < 5000, `${JSON.stringify(text)} took too long`);
}

const PIECES = [
  '{{', '}}', '{{{', '}}}', '{{#', '{{/', '{{^', '{{else}}', '{{!', '--}}', '{{>', '{{*', '(', ')', ' ', '\n', '.', '..', '../',
  '/', '@root', '@index', '@key', 'this', 'a', 'b', 'c', 'd', 'e', 'f', 'u', 't', 'missing', 'constructor', '__proto__',
  'toString', 'if', 'unless', 'each', 'with', 'as', '|x|', 'lookup', 'quote', 'json', 'default', 'join', 'eq', 'ne',
  'and', 'or', 'not', 'indent', 'log', '"s"', "'s'", '1', '-1', 'true', 'null', 'undefined', '=', 'indent=2', '[0]', '.[0]', '~',
];

describe('property: templates never escape with another error type, never hang', () => {
  it('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), check), { numRuns: 800 });
  });

  it('arbitrary strings around mustaches', () => {
    const text = fc.tuple(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 20 }))
      .map(([x, y, z]) => `${x}{{${y}}}${z}`);
    fc.assert(fc.property(text, check), { numRuns: 800 });
  });

  it('handlebars token soup', () => {
    const soup = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 30 }).map((p) => p.join(''));
    fc.assert(fc.property(soup, check), { numRuns: 1000 });
  });

  it('well-formed single paths keep their value', () => {
    fc.assert(
      fc.property(fc.constantFrom('a', 'b', 'c', 'd', 't', 'c[0]', 'c.1', 'd.e.f'), fc.constantFrom('', ' ', '  '), (path, pad) => {
        const v = renderString(`{{${pad}${path}${pad}}}`, vars, {});
        assert.notEqual(typeof v, 'undefined');
      }),
      { numRuns: 50 },
    );
  });
});
