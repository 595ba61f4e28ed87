import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseInventory,
  hostVars,
  groupMembers,
  inventoryGroupsVar,
  inventoryToJSON,
  REDACTED,
} from '../../src/inventory/index.ts';
import { ANSIBLE_5, thrown, yaml } from './helpers.ts';

const inv = parseInventory(ANSIBLE_5, 'inv.yml');

test('hostVars returns a copy of the merged vars', () => {
  const v = hostVars(inv, 'worker2');
  assert.deepEqual(v, {
    ansible_user: 'root',
    cluster_cidr: '172.30.0.0/16',
    kube_version: '1.30',
    role: 'worker',
    ansible_host: '10.220.209.204',
    ansible_port: 2222,
  });
  v.role = 'changed';
  assert.equal(hostVars(inv, 'worker2').role, 'worker');
  const e = thrown(() => hostVars(inv, 'worker9'));
  assert.equal(e.code, 'E_INVENTORY');
  assert.match(e.message, /no host named 'worker9'/);
});

test('groupMembers is recursive and in inventory order', () => {
  assert.deepEqual(groupMembers(inv, 'workers'), ['worker1', 'worker2', 'worker3']);
  assert.deepEqual(groupMembers(inv, 'k8s'), ['master1', 'master2', 'worker1', 'worker2', 'worker3']);
  assert.deepEqual(groupMembers(inv, 'all'), ['master1', 'master2', 'worker1', 'worker2', 'worker3']);
  assert.equal(thrown(() => groupMembers(inv, 'constructor')).code, 'E_INVENTORY');
  assert.equal(thrown(() => groupMembers(inv, 'worker1')).code, 'E_INVENTORY');
});

test('inventoryGroupsVar maps every group, including all and ungrouped, to its hosts', () => {
  const inv2 = parseInventory(
    yaml('all:', '  hosts: { lone: }', '  children:', '    a:', '      hosts: { x: }', '      children:', '        b:', '          hosts: { y: }'),
    'g.yml',
  );
  assert.deepEqual(inventoryGroupsVar(inv2), {
    all: ['lone', 'x', 'y'],
    a: ['x', 'y'],
    b: ['y'],
    ungrouped: ['lone'],
  });
  assert.deepEqual(inventoryGroupsVar(inv).k8s, ['master1', 'master2', 'worker1', 'worker2', 'worker3']);
});

test('inventoryToJSON: hosts and groups in order, secrets redacted unless asked', () => {
  const text = yaml(
    'all:',
    '  vars: { ansible_become_pass: topsecret }',
    '  hosts:',
    '    a: { address: 10.0.0.1, password: hunter2, passphrase: pp, note: hi }',
    '    b:',
  );
  const i = parseInventory(text, 's.yml');
  const json = inventoryToJSON(i);
  assert.equal(json.file, 's.yml');
  assert.deepEqual(json.hosts.map((h) => h.name), ['a', 'b']);
  const a = json.hosts[0];
  assert.equal(a.connection.password, REDACTED);
  assert.equal(a.connection.passphrase, REDACTED);
  assert.equal(a.connection.becomePassword, REDACTED);
  assert.equal(a.connection.address, '10.0.0.1');
  assert.deepEqual(a.vars, { ansible_become_pass: REDACTED, address: '10.0.0.1', password: REDACTED, passphrase: REDACTED, note: 'hi' });
  assert.deepEqual(a.groups, ['all', 'ungrouped']);
  assert.deepEqual(a.location, { file: 's.yml', line: 4, col: 5 });
  assert.equal(json.hosts[1].connection.password, undefined);
  assert.deepEqual(json.groups.map((g) => [g.name, g.members]), [['all', ['a', 'b']], ['ungrouped', ['a', 'b']]]);
  assert.deepEqual(json.groups[0].vars, { ansible_become_pass: REDACTED });
  assert.doesNotMatch(JSON.stringify(json), /hunter2|topsecret/);
  // the inventory itself is untouched
  assert.equal(i.hosts[0].connection.password, 'hunter2');
  const shown = inventoryToJSON(i, { showSecrets: true });
  assert.equal(shown.hosts[0].connection.password, 'hunter2');
  assert.equal(shown.groups[0].vars.ansible_become_pass, 'topsecret');
  // round-trips through JSON
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
});

test('inventoryToJSON on the five-host inventory', () => {
  const json = inventoryToJSON(inv);
  assert.deepEqual(json.groups.map((g) => [g.name, g.hosts, g.children, g.members.length]), [
    ['all', [], ['masters', 'workers', 'k8s', 'ungrouped'], 5],
    ['masters', ['master1', 'master2'], [], 2],
    ['workers', ['worker1', 'worker2', 'worker3'], [], 3],
    ['k8s', [], ['masters', 'workers'], 5],
    ['ungrouped', [], [], 0],
  ]);
  assert.deepEqual(json.hosts[3].connection, { address: '10.220.209.204', port: 2222, user: 'root', connectTimeoutMs: 10_000 });
});
