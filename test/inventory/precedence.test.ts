import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory } from '../../src/inventory/index.ts';
import { yaml } from './helpers.ts';

const vars = (text: string, host: string) => parseInventory(text, 'p.yml').hosts.find((h) => h.name === host)!.vars;

test('host vars beat child-group vars beat parent-group vars beat all vars', () => {
  const text = yaml(
    'all:',
    '  vars: { a: all, b: all, c: all, d: all }',
    '  children:',
    '    parent:',
    '      vars: { b: parent, c: parent, d: parent }',
    '      children:',
    '        child:',
    '          vars: { c: child, d: child }',
    '          hosts:',
    '            h: { d: host }',
  );
  assert.deepEqual(vars(text, 'h'), { a: 'all', b: 'parent', c: 'child', d: 'host' });
});

test('a child beats its parent even when the parent comes later in the file', () => {
  const text = yaml(
    'child:',
    '  hosts: { h: }',
    '  vars: { x: child }',
    'parent:',
    '  children: { child: }',
    '  vars: { x: parent }',
  );
  const inv = parseInventory(text, 'p.yml');
  assert.deepEqual(inv.hosts[0].groups, ['all', 'parent', 'child']);
  assert.equal(inv.hosts[0].vars.x, 'child');
});

test('same depth: the group whose name sorts later wins, whatever the file order', () => {
  const zFirst = yaml('zeta:', '  hosts: { h: }', '  vars: { x: zeta }', 'alpha:', '  hosts: { h: }', '  vars: { x: alpha }');
  const aFirst = yaml('alpha:', '  hosts: { h: }', '  vars: { x: alpha }', 'zeta:', '  hosts: { h: }', '  vars: { x: zeta }');
  assert.equal(vars(zFirst, 'h').x, 'zeta');
  assert.equal(vars(aFirst, 'h').x, 'zeta');
  assert.deepEqual(parseInventory(zFirst, 'p.yml').hosts[0].groups, ['all', 'alpha', 'zeta']);
  // code-unit order: uppercase sorts before lowercase
  const mixed = yaml('b:', '  hosts: { h: }', '  vars: { x: b }', 'B:', '  hosts: { h: }', '  vars: { x: B }');
  assert.equal(vars(mixed, 'h').x, 'b');
});

test('depth is the longest path from all: a deeper group wins over a shallower one', () => {
  // deep is at depth 3 (all → a → b → deep); shallow at depth 1
  const text = yaml(
    'a:',
    '  children:',
    '    b:',
    '      children:',
    '        deep:',
    '          vars: { x: deep }',
    'zzz_shallow:',
    '  hosts: { h: }',
    '  vars: { x: shallow }',
    'deep:',
    '  hosts: { h: }',
  );
  const inv = parseInventory(text, 'p.yml');
  assert.deepEqual(inv.hosts[0].groups, ['all', 'a', 'zzz_shallow', 'b', 'deep']);
  assert.equal(inv.hosts[0].vars.x, 'deep');
});

test('values replace, dicts are not merged (hash_behaviour=replace)', () => {
  const text = yaml(
    'all:',
    '  vars: { cfg: { a: 1, b: 2 }, list: [1, 2] }',
    '  hosts:',
    '    h: { cfg: { a: 9 }, list: [3] }',
  );
  assert.deepEqual(vars(text, 'h'), { cfg: { a: 9 }, list: [3] });
});

test('connection settings follow the same precedence, across spellings', () => {
  const text = yaml(
    'all:',
    '  vars: { ansible_user: alluser, port: 2000, ansible_host: 1.1.1.1 }',
    '  children:',
    '    g:',
    '      vars: { user: groupuser, ansible_port: 3000 }',
    '      hosts:',
    '        h: { address: 2.2.2.2 }',
    '        k:',
  );
  const inv = parseInventory(text, 'p.yml');
  const [h, k] = inv.hosts;
  assert.deepEqual([h.connection.address, h.connection.port, h.connection.user], ['2.2.2.2', 3000, 'groupuser']);
  assert.deepEqual([k.connection.address, k.connection.port, k.connection.user], ['1.1.1.1', 3000, 'groupuser']);
  assert.deepEqual(h.vars, { ansible_user: 'alluser', port: 2000, ansible_host: '1.1.1.1', user: 'groupuser', ansible_port: 3000, address: '2.2.2.2' });
});

test('null resets a connection setting to its default', () => {
  const text = yaml(
    'all:',
    '  vars: { port: 2222, jump_host: bastion }',
    '  hosts:',
    '    h: { port: null, jump_host: ~ }',
    '    bastion: { jump_host: null }',
    '    other:',
  );
  const inv = parseInventory(text, 'p.yml');
  assert.deepEqual(inv.hosts.map((h) => [h.connection.port, h.connection.jumpHost]), [
    [22, undefined],
    [2222, undefined],
    [2222, 'bastion'],
  ]);
});

test('the same value in both spellings in one block is fine', () => {
  const inv = parseInventory('all:\n  hosts:\n    h: { port: 22, ansible_port: 22 }\n', 'p.yml');
  assert.equal(inv.hosts[0].connection.port, 22);
});
