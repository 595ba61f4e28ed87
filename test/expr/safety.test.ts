import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FleetError } from '../../src/errors/fleet-error.ts';
import {
  compileExpression,
  evaluate,
  evaluateCondition,
  isUnknown,
  UNKNOWN,
  UNKNOWN_MARK,
  UnknownValueError,
} from '../../src/expr/index.ts';

const ev = (src: string, vars: Record<string, unknown>): unknown => evaluate(compileExpression(src), vars);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

describe('undefined variables', () => {
  it('name the variable and the condition', () => {
    const e = thrown(() => evaluateCondition('foo == 1', {}));
    assert.ok(e instanceof FleetError);
    assert.equal(e.code, 'E_UNDEFINED_VAR');
    assert.equal(e.message, "undefined variable 'foo' in condition `foo == 1`");
    assert.equal(e.fault, 'user');
  });

  it('name the first missing step of a path', () => {
    const e1 = thrown(() => evaluateCondition('result.stdout == "x"', {}));
    assert.match((e1 as Error).message, /undefined variable 'result' in condition/);
    const e2 = thrown(() => evaluateCondition("result.stdout.lines[0] == 'x'", { result: { rc: 0 } }));
    assert.match((e2 as Error).message, /undefined variable 'result.stdout' in condition/);
    const e3 = thrown(() => evaluateCondition('l[5] > 1', { l: [1] }));
    assert.match((e3 as Error).message, /undefined variable 'l\[5\]'/);
  });

  it('point at the variable in the file when the expression has a location', () => {
    const c = compileExpression('ok and missing', { file: 'play.yml', line: 4, col: 11 });
    const e = thrown(() => evaluateCondition(c, { ok: true }));
    assert.ok(e instanceof FleetError);
    assert.deepEqual(e.location, { file: 'play.yml', line: 4, col: 18 });
  });

  it('are errors wherever they are used', () => {
    for (const src of ['missing', 'not missing', 'missing + 1', "missing | length", 'missing is none', '[missing]',
      "'a' in missing", "missing.strip()", "'x'.startswith(missing)", "x | default(missing)", "x[missing]"]) {
      const e = thrown(() => ev(src, { x: 'x' }));
      assert.ok(e instanceof FleetError && e.code === 'E_UNDEFINED_VAR', `${src}: ${String(e)}`);
      assert.match(e.message, /'missing'/);
    }
  });

  it('are allowed under is defined / is undefined / default', () => {
    assert.equal(evaluateCondition('missing is not defined', {}), true);
    assert.equal(evaluateCondition('missing.a.b is undefined', {}), true);
    assert.equal(ev("missing.a | default('d')", {}), 'd');
  });
});

describe('prototype safety', () => {
  const vars = { x: { a: 1 }, s: 'str', l: [1], n: 5 };
  const unreachable = [
    'constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
    'x.constructor', 'x.__proto__', 'x.toString', "x['constructor']", "x['__proto__']", 'x.constructor.name',
    's.constructor', 's.length', "s['constructor']", 'l.constructor', 'l.map', 'l.length', "l['push']",
    'n.constructor', 'x.__defineGetter__', 'x.__lookupGetter__',
  ];
  for (const src of unreachable) {
    it(`${src} is undefined`, () => {
      assert.equal(ev(`${src} is defined`, vars), false);
      const e = thrown(() => ev(src, vars));
      assert.ok(e instanceof FleetError && e.code === 'E_UNDEFINED_VAR');
    });
  }

  it('even own __proto__/constructor keys (e.g. from JSON) are unreachable', () => {
    const evil = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"name": "x"}, "ok": 1}') as Record<string, unknown>;
    assert.equal(ev('evil.__proto__ is defined', { evil }), false);
    assert.equal(ev("evil['constructor'] is defined", { evil }), false);
    assert.equal(ev("'__proto__' in evil", { evil }), false);
    assert.equal(ev('evil.ok', { evil }), 1);
    assert.equal(ev('__proto__ is defined', evil), false);
  });

  it('does not read from non-plain objects', () => {
    class Secret {
      token = 'abc';
    }
    assert.equal(ev('s.token is defined', { s: new Secret() }), false);
    assert.equal(ev('d.getTime is defined', { d: new Date() }), false);
    assert.equal(ev('f is defined', { f: () => 1 }), false, 'functions are never values');
  });

  it('cannot call anything except the string methods', () => {
    const e = thrown(() => compileExpression("x.constructor.constructor('return process')()"));
    assert.ok(e instanceof FleetError && e.code === 'E_EXPRESSION');
  });

  it('does not change Object.prototype', () => {
    ev("x | default('a')", {});
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('unknown values (check mode)', () => {
  const probe = UNKNOWN;
  const marked = { [UNKNOWN_MARK]: true, stdout: 'stale' };
  const vars = { probe, marked, partly: { rc: UNKNOWN, stdout: 'x' }, list: [1, UNKNOWN], n: 1 };

  it('isUnknown recognises the sentinel and marked objects', () => {
    assert.equal(isUnknown(UNKNOWN), true);
    assert.equal(isUnknown(marked), true);
    assert.equal(isUnknown({ stdout: 'x' }), false);
    assert.equal(isUnknown(null), false);
    assert.equal(isUnknown('UNKNOWN'), false);
    assert.ok(Object.isFrozen(UNKNOWN));
  });

  it('attribute access and operations on unknown values stay unknown', () => {
    for (const src of ['probe', 'probe.rc', 'probe.stdout.lines[0]', 'marked.stdout', 'probe == 0', 'probe.rc + 1',
      "probe.stdout | length", "probe.stdout.startswith('a')", 'not probe', 'partly.rc', "'a' in probe", 'probe in [1]',
      "probe is defined", "probe is failed", "[probe]", "n + partly.rc", "partly.rc | default(0)", "'x' | default(probe)", '-probe']) {
      assert.ok(isUnknown(ev(src, vars)), src);
    }
  });

  it('known parts of partly unknown data are known', () => {
    assert.equal(ev('partly.stdout', vars), 'x');
    assert.equal(ev('list | length', vars), 2);
    assert.equal(ev('1 in list', vars), true);
    assert.ok(isUnknown(ev('2 in list', vars)), '2 might be the unknown item');
    assert.ok(isUnknown(ev('list == [1, 2]', vars)));
    assert.equal(ev('list == [2, 2]', vars), false);
  });

  it('short-circuits: false and unknown is false, true or unknown is true (either order)', () => {
    assert.equal(evaluateCondition('false and probe.rc == 0', vars), false);
    assert.equal(evaluateCondition('probe.rc == 0 and false', vars), false);
    assert.equal(evaluateCondition('true or probe.rc == 0', vars), true);
    assert.equal(evaluateCondition('probe.rc == 0 or n == 1', vars), true);
    assert.equal(evaluateCondition('n == 2 and probe', vars), false);
    assert.ok(isUnknown(ev('probe and true', vars)));
    assert.ok(isUnknown(ev('probe or false', vars)));
    assert.ok(isUnknown(ev('probe and missing', vars)), 'the right side would only be needed for one value');
  });

  it('evaluateCondition throws UnknownValueError naming what is unknown', () => {
    const e = thrown(() => evaluateCondition('probe.rc != 0 and n == 1', vars));
    assert.ok(e instanceof UnknownValueError);
    assert.ok(!(e instanceof FleetError));
    assert.deepEqual(e.references, ['probe']);
    assert.match(e.message, /'probe'/);
    const e2 = thrown(() => evaluateCondition('partly.rc == 0', vars));
    assert.ok(e2 instanceof UnknownValueError);
    assert.deepEqual(e2.references, ['partly.rc']);
  });

  it('evaluate returns UNKNOWN instead of throwing', () => {
    assert.equal(ev('probe.rc', vars), UNKNOWN);
  });
});
