import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { UNKNOWN, UNKNOWN_MARK, UnknownValueError } from '../../src/expr/index.ts';
import { renderDeep, renderString, renderTemplate } from '../../src/template/index.ts';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

describe('prototype safety', () => {
  const vars = { name: 'web', cfg: { a: 1 }, list: [{ x: 1 }], s: 'str' };
  const attempts = [
    '{{constructor}}',
    '{{ constructor }}',
    'x {{constructor}}',
    '{{__proto__}}',
    'x {{__proto__}}',
    '{{this.constructor.name}}',
    'x {{this.constructor.name}}',
    '{{constructor.constructor}}',
    '{{cfg.constructor}}',
    'x {{cfg.__proto__.polluted}}',
    '{{lookup this "constructor"}}',
    '{{lookup this "__proto__"}}',
    '{{lookup cfg "constructor"}}',
    '{{lookup (lookup this "constructor") "name"}}',
    '{{toString}}',
    'x {{toString}}',
    'x {{hasOwnProperty}}',
    '{{cfg.toString}}',
    'x {{valueOf}}',
    '{{json constructor}}',
    '{{quote this.__proto__}}',
    '{{#with constructor}}{{name}}{{/with}}',
    '{{#each list}}{{constructor.name}}{{/each}}',
    '{{#each list}}{{lookup this "constructor"}}{{/each}}',
    '{{#each list as |it|}}{{it.constructor.name}}{{/each}}',
    '{{#each list as |it|}}{{lookup it "toString"}}{{/each}}',
    '{{#each list}}{{../constructor}}{{/each}}',
    '{{#each list}}x{{../toString}}{{/each}}',
    '{{@root.constructor}}',
    'x {{@root.toString}}',
    '{{s.constructor}}',
    '{{list.constructor}}',
    '{{#if (eq constructor 1)}}y{{/if}}',
    '{{default cfg.constructor "fallback"}}',
    '{{"constructor"}}',
  ];
  for (const text of attempts) {
    it(`${text} cannot read the prototype`, () => {
      const e = thrown(() => renderString(text, vars, { task: 'T' }));
      assert.ok(e instanceof FleetError, `${text}: ${String(e)}`);
      assert.ok(['E_UNDEFINED_VAR', 'E_TEMPLATE'].includes(e.code), `${text}: ${e.code}`);
      assert.doesNotMatch(e.message, /function|native code|Object\(\)/);
    });
  }

  it('own __proto__/constructor keys from JSON are not reachable either', () => {
    const evil = JSON.parse('{"__proto__": {"p": 1}, "constructor": "c", "ok": 1}') as Record<string, unknown>;
    assert.equal(renderString('{{ ok }}', evil, {}), 1);
    assert.equal(renderString('x{{ ok }}', evil, {}), 'x1');
    assert.ok(thrown(() => renderString('{{ constructor }}', evil, {})) instanceof FleetError);
    assert.ok(thrown(() => renderString('x{{lookup this "constructor"}}', evil, {})) instanceof FleetError);
    assert.equal(renderString('{{json this}}', evil, {}), '{"ok":1}');
  });

  it('never changes Object.prototype and does not log', () => {
    const logged: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      thrown(() => renderString('{{cfg.__proto__}}', { cfg: {} }, {}));
      thrown(() => renderString('x {{lookup cfg "__proto__"}}', { cfg: {} }, {}));
      renderString('{{#if cfg.toString}}y{{else}}n{{/if}}', { cfg: {} }, {});
    } finally {
      console.error = original;
    }
    assert.deepEqual(logged, []);
    assert.equal(Object.getOwnPropertyNames(Object.prototype).includes('polluted'), false);
  });

  it('treats functions in the data as missing', () => {
    assert.ok(thrown(() => renderString('x{{ f }}', { f: () => 'called' }, {})) instanceof FleetError);
    assert.equal(renderString('{{#if f}}y{{else}}n{{/if}}', { f: () => 'called' }, {}), 'n');
  });

  it('cannot change the data', () => {
    const vars = { cfg: { a: 1 }, list: [3, 1, 2] };
    renderString('{{#each list}}{{this}}{{/each}}{{json cfg}}{{join list ","}}{{quote list}}', vars, {});
    assert.deepEqual(vars, { cfg: { a: 1 }, list: [3, 1, 2] });
  });

  it('works with frozen data', () => {
    const vars = Object.freeze({ cfg: Object.freeze({ a: 1, l: Object.freeze([1, 2]) }) });
    assert.equal(renderString('{{cfg.a}} {{cfg.l}} {{#each cfg.l}}{{this}}{{/each}}', vars, {}), '1 [1,2] 12');
  });
});

describe('unknown values (check mode)', () => {
  const vars = {
    probe: UNKNOWN,
    marked: { [UNKNOWN_MARK]: true, stdout: 'stale' },
    partly: { rc: 0, stdout: UNKNOWN },
    list: ['a', UNKNOWN],
    known: 'k',
  };
  const where = { task: 'Configure', location: { file: 'site.yml', line: 2, col: 3 } };
  const touching = [
    '{{ probe }}',
    '{{ probe.stdout }}',
    'x {{ probe.stdout }}',
    'x {{ marked.stdout }}',
    '{{ partly.stdout }}',
    'x {{ partly.stdout }}',
    '{{ partly }}',
    'x {{ partly }}',
    '{{json partly}}',
    '{{ list }}',
    '{{quote list}}',
    '{{join list ","}}',
    '{{#each list}}{{this}}{{/each}}',
    '{{#if probe}}y{{/if}}',
    '{{#if probe.rc}}y{{/if}}',
    '{{default probe "x"}}',
    '{{default partly.stdout "x"}}',
    '{{#if (eq probe 1)}}y{{/if}}',
    '{{lookup partly "stdout"}}',
  ];
  for (const text of touching) {
    it(`${text} throws UnknownValueError`, () => {
      const e = thrown(() => renderString(text, vars, where));
      assert.ok(e instanceof UnknownValueError, `${text}: ${String(e)}`);
      assert.ok(!(e instanceof FleetError));
      assert.match(e.message, /unknown until/);
      assert.match(e.message, /in task "Configure" \(site\.yml:2\)/);
    });
  }

  it('names what is unknown', () => {
    const e = thrown(() => renderString('x {{ partly.stdout }}', vars, where));
    assert.ok(e instanceof UnknownValueError);
    assert.deepEqual(e.references, ['partly.stdout']);
    const e2 = thrown(() => renderTemplate('a\n{{ probe.stdout }}', vars, { file: 't.hbs' }));
    assert.ok(e2 instanceof UnknownValueError);
    assert.deepEqual(e2.references, ['probe']);
  });

  it('known parts of partly unknown data render', () => {
    assert.equal(renderString('{{ partly.rc }}', vars, where), 0);
    assert.equal(renderString('rc={{ partly.rc }} {{ known }} {{ list.[0] }}', vars, where), 'rc=0 k a');
    assert.equal(renderString('{{#if known}}{{known}}{{/if}}', vars, where), 'k');
  });

  it('renderDeep throws as soon as one string touches an unknown value', () => {
    assert.ok(thrown(() => renderDeep({ a: '{{ known }}', b: ['{{ probe }}'] }, vars, where)) instanceof UnknownValueError);
  });
});
