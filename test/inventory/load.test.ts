import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadInventory, parseInventory, groupMembers } from '../../src/inventory/index.ts';
import { ANSIBLE_5, thrown, yaml } from './helpers.ts';

test('Ansible layout: five hosts, groups, addresses, vars', () => {
  const inv = parseInventory(ANSIBLE_5, 'inv.yml');
  assert.equal(inv.file, 'inv.yml');
  assert.deepEqual(inv.hosts.map((h) => h.name), ['master1', 'master2', 'worker1', 'worker2', 'worker3']);
  assert.deepEqual(
    inv.hosts.map((h) => h.connection.address),
    ['10.220.209.201', '10.220.209.202', '10.220.209.203', '10.220.209.204', '10.220.209.205'],
  );
  assert.deepEqual(inv.hosts.map((h) => h.connection.port), [22, 22, 22, 2222, 22]);
  for (const h of inv.hosts) {
    assert.equal(h.connection.user, 'root');
    assert.equal(h.connection.connectTimeoutMs, 10_000);
    assert.equal(h.connection.jumpHost, undefined);
    assert.equal(h.connection.password, undefined);
  }
  const m1 = inv.hosts[0];
  assert.deepEqual(m1.groups, ['all', 'k8s', 'masters']);
  assert.deepEqual(m1.vars, {
    ansible_user: 'root',
    cluster_cidr: '172.30.0.0/16',
    kube_version: '1.30',
    role: 'master',
    ansible_host: '10.220.209.201',
  });
  assert.deepEqual(m1.location, { file: 'inv.yml', line: 8, col: 9 });
  assert.equal(inv.hosts[3].vars.role, 'worker');
  assert.equal(inv.hosts[3].vars.ansible_port, 2222);
  assert.deepEqual(Object.keys(inv.groups), ['all', 'masters', 'workers', 'k8s', 'ungrouped']);
  assert.deepEqual(inv.groups.all.children, ['masters', 'workers', 'k8s', 'ungrouped']);
  assert.deepEqual(inv.groups.k8s.children, ['masters', 'workers']);
  assert.deepEqual(inv.groups.masters.hosts, ['master1', 'master2']);
  assert.deepEqual(inv.groups.k8s.hosts, []);
  assert.deepEqual(inv.groups.k8s.vars, { kube_version: '1.30' });
  assert.deepEqual(inv.groups.masters.location, { file: 'inv.yml', line: 6, col: 5 });
  assert.deepEqual(groupMembers(inv, 'k8s'), ['master1', 'master2', 'worker1', 'worker2', 'worker3']);
  assert.deepEqual(groupMembers(inv, 'ungrouped'), []);
});

test('fleet spelling gives the same connections as the Ansible spelling', () => {
  const fleet = yaml(
    'all:',
    '  vars: { user: deploy, connect_timeout: 5 }',
    '  hosts:',
    '    a: { address: 10.0.0.1, port: 2200, private_key: /keys/a, password: pw, passphrase: pp, become_password: bp, jump_host: bastion }',
    '    bastion: { address: 10.0.0.9 }',
  );
  const ansible = yaml(
    'all:',
    '  vars: { ansible_user: deploy, ansible_ssh_timeout: 5 }',
    '  hosts:',
    '    a:',
    '      ansible_host: 10.0.0.1',
    '      ansible_port: 2200',
    '      ansible_ssh_private_key_file: /keys/a',
    '      ansible_ssh_pass: pw',
    '      ansible_ssh_private_key_passphrase: pp',
    '      ansible_become_pass: bp',
    '      ansible_ssh_common_args: -o ProxyJump=bastion',
    '    bastion: { ansible_host: 10.0.0.9 }',
  );
  const expected = {
    address: '10.0.0.1',
    port: 2200,
    user: 'deploy',
    privateKeyFile: '/keys/a',
    password: 'pw',
    passphrase: 'pp',
    becomePassword: 'bp',
    jumpHost: 'bastion',
    connectTimeoutMs: 5000,
  };
  assert.deepEqual(parseInventory(fleet, 'f.yml').hosts[0].connection, expected);
  assert.deepEqual(parseInventory(ansible, 'a.yml').hosts[0].connection, expected);
  // connection var names stay visible in vars
  assert.equal(parseInventory(ansible, 'a.yml').hosts[0].vars.ansible_ssh_pass, 'pw');
  assert.equal(parseInventory(fleet, 'f.yml').hosts[0].vars.address, '10.0.0.1');
});

test('top level as a mapping of groups: children of an implicit all', () => {
  const inv = parseInventory(
    yaml('web:', '  hosts:', '    w1:', '    w2:', 'db:', '  hosts: { d1: { address: 10.1.1.1 } }', '  vars: { x: 1 }'),
    'g.yml',
  );
  assert.deepEqual(inv.hosts.map((h) => h.name), ['w1', 'w2', 'd1']);
  assert.deepEqual(inv.groups.all.children, ['web', 'db', 'ungrouped']);
  assert.deepEqual(inv.hosts[2].groups, ['all', 'db']);
  assert.equal(inv.hosts[0].connection.address, 'w1');
  assert.equal(inv.groups.all.location, undefined);
});

test('top level hosts:/vars:/children: without all: means all', () => {
  const inv = parseInventory(yaml('vars: { v: 1 }', 'hosts:', '  h1:', 'children:', '  g:', '    hosts: { h2: }'), 'i.yml');
  assert.deepEqual(inv.groups.all.hosts, ['h1']);
  assert.deepEqual(inv.groups.all.children, ['g', 'ungrouped']);
  assert.deepEqual(inv.groups.ungrouped.hosts, ['h1']);
  assert.deepEqual(inv.hosts.map((h) => [h.name, h.groups, h.vars.v]), [
    ['h1', ['all', 'ungrouped'], 1],
    ['h2', ['all', 'g'], 1],
  ]);
});

test('other top-level groups next to all: are children of all', () => {
  const inv = parseInventory(yaml('all:', '  hosts: { a: }', 'extra:', '  hosts: { b: }'), 'i.yml');
  assert.deepEqual(inv.groups.all.children, ['extra', 'ungrouped']);
  assert.deepEqual(inv.hosts.map((h) => h.groups), [['all', 'ungrouped'], ['all', 'extra']]);
});

test('empty and comment-only inventories have no hosts', () => {
  for (const text of ['', '# nothing\n', 'all:\n', 'all:\n  hosts:\n  children:\n']) {
    const inv = parseInventory(text, 'e.yml');
    assert.deepEqual(inv.hosts, []);
    assert.deepEqual(Object.keys(inv.groups), ['all', 'ungrouped']);
  }
});

test('defaults: address is the host name, port 22, current user, 10 s', () => {
  const inv = parseInventory('all:\n  hosts:\n    node-1.example.com:\n', 'd.yml');
  assert.deepEqual(inv.hosts[0].connection, {
    address: 'node-1.example.com',
    port: 22,
    user: userInfo().username,
    connectTimeoutMs: 10_000,
  });
  assert.deepEqual(inv.hosts[0].vars, {});
});

test('a host listed in several groups is one host in all of them, entries merged in file order', () => {
  const inv = parseInventory(
    yaml(
      'a:',
      '  hosts:',
      '    h: { address: 10.0.0.1, x: 1, y: 1 }',
      'b:',
      '  hosts:',
      '    h: { x: 2 }',
      '    other:',
    ),
    'i.yml',
  );
  assert.equal(inv.hosts.length, 2);
  assert.deepEqual(inv.hosts[0].groups, ['all', 'a', 'b']);
  assert.deepEqual(inv.hosts[0].vars, { address: '10.0.0.1', x: 2, y: 1 });
  assert.equal(inv.hosts[0].connection.address, '10.0.0.1');
  assert.deepEqual(inv.hosts[0].location, { file: 'i.yml', line: 3, col: 5 });
});

test('a group defined in several places is merged', () => {
  const inv = parseInventory(
    yaml(
      'all:',
      '  children:',
      '    web:',
      '      hosts: { w1: }',
      '      vars: { a: 1, b: 1 }',
      '    edge:',
      '      children:',
      '        web:',
      '          hosts: { w2: }',
      '          vars: { b: 2 }',
    ),
    'i.yml',
  );
  assert.deepEqual(inv.groups.web.hosts, ['w1', 'w2']);
  assert.deepEqual(inv.groups.web.vars, { a: 1, b: 2 });
  assert.deepEqual(inv.groups.edge.children, ['web']);
  assert.deepEqual(inv.hosts.map((h) => h.groups), [['all', 'edge', 'web'], ['all', 'edge', 'web']]);
  assert.deepEqual(inv.hosts.map((h) => h.vars), [{ a: 1, b: 2 }, { a: 1, b: 2 }]);
});

test('YAML anchors, aliases and merge keys work', () => {
  const inv = parseInventory(
    yaml(
      'all:',
      '  vars:',
      '    common: &common { ntp: pool.ntp.org }',
      '  hosts:',
      '    a: { <<: *common, address: 10.0.0.1 }',
      '    b: *common',
    ),
    'i.yml',
  );
  assert.deepEqual(inv.hosts.map((h) => [h.name, h.vars.ntp, h.connection.address]), [
    ['a', 'pool.ntp.org', '10.0.0.1'],
    ['b', 'pool.ntp.org', 'b'],
  ]);
});

test('nested children many levels deep work', () => {
  const levels = 60;
  const lines = ['all:', '  children:'];
  for (let i = 0; i < levels; i++) {
    const pad = '  '.repeat(2 + 2 * i);
    lines.push(`${pad}g${i}:`, `${pad}  vars: { level: ${i} }`, `${pad}  hosts: { h${i}: }`, `${pad}  children:`);
  }
  const inv = parseInventory(yaml(...lines), 'deep.yml');
  assert.equal(inv.hosts.length, levels);
  const last = inv.hosts[levels - 1];
  assert.equal(last.groups.length, levels + 1);
  assert.equal(last.vars.level, levels - 1);
  assert.equal(inv.hosts[0].vars.level, 0);
});

test('loadInventory reads the file and resolves key paths against its directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-inv-'));
  try {
    const file = join(dir, 'hosts.yml');
    await writeFile(file, yaml('all:', '  hosts:', '    a: { private_key: keys/id_ed25519 }'));
    const inv = await loadInventory(file);
    assert.equal(inv.file, file);
    assert.equal(inv.hosts[0].connection.privateKeyFile, join(dir, 'keys/id_ed25519'));
    const missing = await loadInventory(join(dir, 'nope.yml')).catch((e: unknown) => e);
    assert.equal((missing as { code?: string }).code, 'E_FILE_NOT_FOUND');
    await writeFile(file, Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]));
    const bad = await loadInventory(file).catch((e: unknown) => e);
    assert.equal((bad as { code?: string }).code, 'E_VALIDATION');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a syntax error in the file surfaces as E_YAML, not a crash', () => {
  const e = thrown(() => parseInventory('all:\n  hosts:\n    a: {\n', 'x.yml'));
  assert.equal(e.code, 'E_YAML');
  assert.equal(e.location?.file, 'x.yml');
});

test('a large inventory (10,000 hosts) loads whole (its speed is measured by npm run bench, not asserted here)', () => {
  const lines = ['all:', '  vars: { ansible_user: root }', '  children:', '    web:', '      hosts:'];
  for (let i = 0; i < 10_000; i++) lines.push(`        h${i}: { ansible_host: 10.0.${(i >> 8) & 255}.${i & 255}, rack: r${i % 10} }`);
  const inv = parseInventory(yaml(...lines), 'big.yml');
  assert.equal(inv.hosts.length, 10_000);
  assert.equal(inv.hosts[9999]!.connection.address, '10.0.39.15');
  assert.equal(inv.hosts[9999]!.vars.rack, 'r9');
});
