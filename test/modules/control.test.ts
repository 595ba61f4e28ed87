import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assert as assertModule } from '../../src/modules/assert.ts';
import { debug, lookupVar } from '../../src/modules/debug.ts';
import { fail } from '../../src/modules/fail.ts';
import { setFact } from '../../src/modules/set-fact.ts';
import { waitFor } from '../../src/modules/wait-for.ts';
import { argErrors, MemoryFacts, plan } from '../support/memory-facts.ts';

const f = new MemoryFacts();

test('assert: all conditions hold', async () => {
  const conditions = { 'peers | length == 3': true, 'calico_running': true };
  const p = await plan(assertModule, { that: ['peers | length == 3', 'calico_running'] }, f, { conditions });
  assert.deepEqual(p, {
    ops: [],
    msg: 'All assertions passed',
    result: { assertions: ['peers | length == 3', 'calico_running'], evaluated_to: true },
  });
  const quiet = await plan(assertModule, { that: 'calico_running', quiet: true, success_msg: 'ok' }, f, { conditions });
  assert.equal(quiet.msg, undefined);
  const custom = await plan(assertModule, { that: 'calico_running', success_msg: 'calico is up' }, f, { conditions });
  assert.equal(custom.msg, 'calico is up');
});

test('assert: fails on the first false condition and does not evaluate the rest', async () => {
  const conditions = { a: true, b: false };
  const p = await plan(assertModule, { that: ['a', 'b', 'not-evaluated'] }, f, { conditions });
  assert.deepEqual(p, { ops: [], fail: 'Assertion failed: b', result: { assertion: 'b', evaluated_to: false } });
  assert.equal((await plan(assertModule, { that: 'b', fail_msg: 'peer down' }, f, { conditions })).fail, 'peer down');
  assert.equal((await plan(assertModule, { that: 'b', msg: 'alias' }, f, { conditions })).fail, 'alias');
});

test('assert: schema', () => {
  assert.deepEqual(assertModule.rawArgs, ['that']);
  assert.match(argErrors(assertModule, {}).join(), /that/);
  assert.match(argErrors(assertModule, { that: [] }).join(), /at least one condition/);
  assert.match(argErrors(assertModule, { that: ' ' }).join(), /empty/);
  assert.match(argErrors(assertModule, { that: 'a', msg: 'x', fail_msg: 'y' }).join(), /only one of 'fail_msg' or 'msg'/);
  assert.match(argErrors(assertModule, { that: 'a', foo: 1 }).join(), /Unrecognized key/);
});

test('set_fact: sets variables', async () => {
  const p = await plan(setFact, { calico_mode: 'bgp', peers: ['10.0.0.2'], n: 3 }, f);
  assert.deepEqual(p.setFacts, { calico_mode: 'bgp', peers: ['10.0.0.2'], n: 3 });
  assert.deepEqual(p.ops, []);
  assert.equal(p.fail, undefined);
});

test('set_fact: names must be identifiers', () => {
  assert.match(argErrors(setFact, { 'bad-name': 1 }).join(), /'bad-name' is not a valid variable name/);
  assert.match(argErrors(setFact, { '1x': 1 }).join(), /not a valid variable name/);
  assert.match(argErrors(setFact, { 'a.b': 1 }).join(), /not a valid variable name/);
  assert.match(argErrors(setFact, JSON.parse('{"__proto__": 1, "a": 2}')).join(), /'__proto__' is not a valid variable name/);
  assert.match(argErrors(setFact, { constructor: 1 }).join(), /'constructor' is not a valid variable name/);
  assert.match(argErrors(setFact, {}).join(), /at least one variable/);
  assert.deepEqual(argErrors(setFact, { _ok: 1, A9: null }), []);
});

test('fail: fails with the message', async () => {
  assert.equal((await plan(fail, {}, f)).fail, 'Failed as requested from task');
  assert.equal((await plan(fail, { msg: 'flannel still running' }, f)).fail, 'flannel still running');
  assert.match(argErrors(fail, { message: 'x' }).join(), /Unrecognized key/);
});

test('debug: msg of any type', async () => {
  assert.equal((await plan(debug, { msg: 'hello' }, f)).msg, 'hello');
  assert.equal((await plan(debug, { msg: { a: [1] } }, f)).msg, '{\n  "a": [\n    1\n  ]\n}');
  assert.equal((await plan(debug, {}, f)).msg, 'Hello world!');
});

test('debug: var looks up a dotted path in own properties only', async () => {
  const vars = { calico: { pool: { cidr: '10.244.0.0/16' } }, nodes: [{ name: 'n1' }, { name: 'n2' }] };
  const p = await plan(debug, { var: 'calico.pool.cidr' }, f, { vars });
  assert.equal(p.msg, 'calico.pool.cidr: 10.244.0.0/16');
  assert.deepEqual(p.result, { 'calico.pool.cidr': '10.244.0.0/16' });
  assert.equal((await plan(debug, { var: 'nodes[1].name' }, f, { vars })).msg, 'nodes[1].name: n2');
  assert.equal((await plan(debug, { var: 'nodes.0.name' }, f, { vars })).msg, 'nodes.0.name: n1');
  assert.equal((await plan(debug, { var: 'nope.x' }, f, { vars })).msg, 'nope.x: VARIABLE IS NOT DEFINED!');
  assert.deepEqual(lookupVar(vars, 'calico.constructor'), { found: false });
  assert.deepEqual(lookupVar(vars, 'nodes.map'), { found: false });
  assert.deepEqual(lookupVar(vars, 'calico.__proto__'), { found: false });
});

test('debug: schema', () => {
  assert.deepEqual(debug.rawArgs, ['var']);
  assert.match(argErrors(debug, { msg: 'a', var: 'b' }).join(), /only one of 'msg' or 'var'/);
  assert.match(argErrors(debug, { var: 'a b' }).join(), /variable name or a dotted path/);
  assert.match(argErrors(debug, { var: 'x', verbosity: 2 }).join(), /Unrecognized key/);
});

test('wait_for: one op with defaults', async () => {
  assert.deepEqual((await plan(waitFor, { port: 179, state: 'established', min_count: 3 }, f)).ops, [
    { op: 'wait_for', host: '127.0.0.1', port: 179, state: 'established', minCount: 3, timeoutSec: 300, delaySec: 0, sleepSec: 1 },
  ]);
  assert.deepEqual((await plan(waitFor, { host: '10.0.0.2', port: 2379, timeout: 30, delay: 2, sleep: 0.5 }, f)).ops, [
    { op: 'wait_for', host: '10.0.0.2', port: 2379, state: 'started', minCount: 1, timeoutSec: 30, delaySec: 2, sleepSec: 0.5 },
  ]);
  assert.equal(waitFor.kind, 'probe');
});

test('wait_for: schema rejections', () => {
  const errs = (a: Record<string, unknown>): string => argErrors(waitFor, a).join(' | ');
  assert.match(errs({}), /port/);
  assert.match(errs({ port: 0 }), /port/);
  assert.match(errs({ port: 65536 }), /port/);
  assert.match(errs({ port: 'http' }), /port/);
  assert.match(errs({ port: 1, host: '$(reboot)' }), /host name or an IP address/);
  assert.match(errs({ port: 1, state: 'present' }), /state/);
  assert.match(errs({ port: 1, min_count: 0 }), /min_count/);
  assert.match(errs({ port: 1, timeout: -1 }), /timeout/);
  assert.match(errs({ port: 1, sleep: 0 }), /sleep/);
  assert.match(errs({ port: 1, path: '/x' }), /Unrecognized key/);
  assert.equal(errs({ port: 1, host: 'fe80::1' }), '');
});

test('numeric arguments accept digits that templating turned into strings', async () => {
  const { waitFor } = await import('../../src/modules/wait-for.ts');
  const ok = waitFor.schema.safeParse({ port: '179', state: 'established', min_count: '3', timeout: '15' });
  assert.equal(ok.success, true);
  if (ok.success) assert.deepEqual([ok.data.port, ok.data.min_count, ok.data.timeout], [179, 3, 15]);
  assert.equal(waitFor.schema.safeParse({ port: 'http' }).success, false);
});
