import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory } from '../../src/inventory/index.ts';
import { parseError, thrown, yaml } from './helpers.ts';

test('hosts: as a list is E_INVENTORY at the list, with a hint', () => {
  const e = parseError(yaml('all:', '  hosts:', '    - web1', '    - web2'), 'E_INVENTORY', 3, 5, /hosts of group 'all' must be a mapping.*got a list/);
  assert.match(e.hint ?? '', /web1:/);
  parseError(yaml('web:', '  hosts: [a, b]'), 'E_INVENTORY', 2, 10, /hosts of group 'web'/);
  parseError(yaml('web:', '  hosts: a'), 'E_INVENTORY', 2, 10, /got a string/);
});

test('bad ports are E_INVENTORY at the value', () => {
  parseError(yaml('all:', '  hosts:', '    a:', '      port: abc'), 'E_INVENTORY', 4, 13, /'port' of host 'a' must be an integer port from 1 to 65535, got a string \('abc'\)/);
  parseError(yaml('all:', '  hosts:', '    a: { ansible_port: 70000 }'), 'E_INVENTORY', 3, 24, /'ansible_port'.*got a number \(70000\)/);
  parseError(yaml('all:', '  hosts:', '    a: { port: 0 }'), 'E_INVENTORY', 3, 16);
  parseError(yaml('all:', '  hosts:', '    a: { port: 22.5 }'), 'E_INVENTORY', 3, 16);
  parseError(yaml('all:', '  vars:', '    port: [22]', '  hosts: { a: }'), 'E_INVENTORY', 3, 11, /got a list/);
  // string digits are accepted, like Ansible
  assert.equal(parseInventory(yaml('all:', '  hosts:', '    a: { port: "2222" }'), 'i.yml').hosts[0].connection.port, 2222);
});

test('the error points at the block that set the bad value, even a group', () => {
  parseError(yaml('all:', '  children:', '    g:', '      vars:', '        ansible_user: 1000', '      hosts: { a: }'), 'E_INVENTORY', 5, 23, /'ansible_user' of host 'a' must be a user name/);
});

test('other bad connection values', () => {
  parseError(yaml('all:', '  hosts:', '    a: { address: "10.0.0.1 x" }'), 'E_INVENTORY', 3, 19, /'address'/);
  parseError(yaml('all:', '  hosts:', '    a: { address: 10 }'), 'E_INVENTORY', 3, 19, /'address'.*got a number/);
  parseError(yaml('all:', '  hosts:', '    a: { connect_timeout: 0 }'), 'E_INVENTORY', 3, 27, /positive number of seconds/);
  parseError(yaml('all:', '  hosts:', '    a: { ansible_ssh_timeout: soon }'), 'E_INVENTORY', 3, 31);
  parseError(yaml('all:', '  hosts:', '    a: { private_key: "" }'), 'E_INVENTORY', 3, 23, /private key file/);
  parseError(yaml('all:', '  hosts:', '    a: { private_key: ~bob/key }'), 'E_INVENTORY', 3, 23, /~user paths/);
});

test('secrets are not echoed in errors', () => {
  const e = parseError(yaml('all:', '  hosts:', '    a:', '      password: 123456'), 'E_INVENTORY', 4, 17, /'password' of host 'a' must be a string \(quote it\), got a number$/);
  assert.doesNotMatch(e.describe(), /123456/);
  parseError(yaml('all:', '  hosts:', '    a: { ansible_become_pass: true }'), 'E_INVENTORY', 3, 31, /got a boolean$/);
});

test('two spellings with different values in one block', () => {
  parseError(yaml('all:', '  hosts:', '    a:', '      address: 10.0.0.1', '      ansible_host: 10.0.0.2'), 'E_INVENTORY', 5, 7, /both 'address' and 'ansible_host'/);
});

test('ansible_ssh_common_args: ProxyJump forms, host-key options ignored, others refused', () => {
  const ok = (args: string) =>
    parseInventory(yaml('all:', '  hosts:', `    a: { ansible_ssh_common_args: "${args}" }`), 'i.yml').hosts[0].connection.jumpHost;
  assert.equal(ok('-o ProxyJump=admin@bastion:2222'), 'admin@bastion:2222');
  assert.equal(ok('-oProxyJump=bastion'), 'bastion');
  assert.equal(ok('-J 10.0.0.1'), '10.0.0.1');
  assert.equal(ok("-o 'ProxyJump=[fd00::1]:22'"), '[fd00::1]:22');
  assert.equal(ok(''), undefined);
  assert.equal(ok('-o ProxyJump=none'), undefined);
  assert.equal(ok('-o StrictHostKeyChecking=no'), undefined);
  assert.equal(ok('-o UserKnownHostsFile=/x/known_hosts -o StrictHostKeyChecking=yes -J b'), 'b');
  const e = parseError(
    yaml('all:', '  hosts:', '    a:', '      ansible_ssh_common_args: -o Compression=yes'),
    'E_INVENTORY', 4, 32, /only '-o ProxyJump=HOST', '-J HOST' and host-key options/,
  );
  assert.match(e.hint ?? '', /jump_host/);
  parseError(yaml('all:', '  hosts:', '    a: { ansible_ssh_common_args: "-o ProxyCommand=\\"ssh -W %h:%p b\\"" }'), 'E_INVENTORY', 3, 35, /ProxyJump/);
  parseError(yaml('all:', '  hosts:', '    a: { jump_host: "a,b" }'), 'E_INVENTORY', 3, 21, /multi-hop/);
  parseError(yaml('all:', '  hosts:', '    a: { jump_host: "u@h:99999" }'), 'E_INVENTORY', 3, 21, /jump host/);
  parseError(yaml('all:', '  hosts:', '    a: { jump_host: 5 }'), 'E_INVENTORY', 3, 21, /got a number/);
});

test('jump hosts that loop are refused', () => {
  parseError(yaml('all:', '  hosts:', '    a: { jump_host: b }', '    b: { jump_host: a }'), 'E_INVENTORY', 3, 21, /jump hosts form a cycle: a → b → a/);
  parseError(yaml('all:', '  hosts:', '    c: { jump_host: a }', '    a: { jump_host: a }'), 'E_INVENTORY', 4, 21, /cycle: a → a/);
  // a chain is fine
  const inv = parseInventory(yaml('all:', '  hosts:', '    a: { jump_host: b }', '    b: { jump_host: c }', '    c:'), 'i.yml');
  assert.deepEqual(inv.hosts.map((h) => h.connection.jumpHost), ['b', 'c', undefined]);
});

test('ansible_connection other than ssh is refused', () => {
  parseError(yaml('all:', '  hosts:', '    localhost: { ansible_connection: local }'), 'E_INVENTORY', 3, 38, /ansible_connection 'local' is not supported \(host 'localhost'\)/);
  assert.equal(parseInventory(yaml('all:', '  hosts:', '    h: { ansible_connection: ssh }'), 'i.yml').hosts.length, 1);
});

test('unknown keys in a group', () => {
  const e = parseError(yaml('all:', '  children:', '    web:', '      host:', '        a:'), 'E_INVENTORY', 4, 7, /unknown key 'host' in group 'web'/);
  assert.match(e.hint ?? '', /hosts, vars, children/);
  parseError(yaml('all:', '  ansible_user: root'), 'E_INVENTORY', 2, 3, /unknown key 'ansible_user' in group 'all'/);
});

test('wrong shapes', () => {
  parseError(yaml('- a', '- b'), 'E_INVENTORY', 1, 1, /inventory must be a mapping.*got a list/);
  parseError('just a string\n', 'E_INVENTORY', 1, 1, /got a string/);
  parseError(yaml('web: yes'), 'E_INVENTORY', 1, 6, /group 'web' must be a mapping with hosts, vars or children, got a string/);
  parseError(yaml('web:', '  hosts:', '    w1: 10.0.0.1'), 'E_INVENTORY', 3, 9, /host 'w1' must be a mapping of variables or empty, got a string/);
  parseError(yaml('web:', '  vars:', '    - a: 1'), 'E_INVENTORY', 3, 5, /vars of group 'web' must be a mapping/);
  parseError(yaml('web:', '  children: [a, b]'), 'E_INVENTORY', 2, 13, /children of group 'web' must be a mapping/);
  parseError(yaml('web:', '  hosts:', '    w1: [1]'), 'E_INVENTORY', 3, 9, /got a list/);
});

test('bad names', () => {
  const range = parseError(yaml('web:', '  hosts:', '    web[01:10].example.com:'), 'E_INVENTORY', 3, 5, /invalid host name 'web\[01:10\]\.example\.com'/);
  assert.match(range.hint ?? '', /ranges/);
  const port = parseError(yaml('web:', '  hosts:', '    "jumper:2222":'), 'E_INVENTORY', 3, 5, /invalid host name/);
  assert.match(port.hint ?? '', /port: 2222/);
  parseError(yaml('all:', '  children:', '    "web servers":'), 'E_INVENTORY', 3, 5, /invalid group name 'web servers'/);
  parseError(yaml('web:', '  vars:', '    ok: 1', '    ansible-host: 1.2.3.4'), 'E_INVENTORY', 4, 5, /invalid variable name 'ansible-host' in group 'web'/);
  parseError(yaml('web:', '  hosts:', '    a: { 1x: 1 }'), 'E_INVENTORY', 3, 10, /invalid variable name '1x' in host 'a'/);
  parseError(yaml('web:', '  hosts:', '    __proto__:'), 'E_INVENTORY', 3, 5, /reserved/);
  parseError(yaml('web:', '  vars: { __proto__: 1 }'), 'E_INVENTORY', 2, 11, /invalid variable name '__proto__'/);
});

test('a name that is both a host and a group', () => {
  const e = parseError(yaml('db:', '  hosts: { a: }', 'web:', '  hosts:', '    db:'), 'E_INVENTORY', 5, 5, /'db' is both a host and a group/);
  assert.match(e.hint ?? '', /defined at 1:1/);
  parseError(yaml('web:', '  hosts:', '    all:'), 'E_INVENTORY', 3, 5, /'all' is both/);
  parseError(yaml('web:', '  hosts:', '    ungrouped:'), 'E_INVENTORY', 3, 5, /'ungrouped' is both/);
});

test('all cannot be a child', () => {
  parseError(yaml('web:', '  children:', '    all:'), 'E_INVENTORY', 3, 5, /'all' cannot be a child of group 'web'/);
});

test('cyclic children name the cycle and where it closes', () => {
  parseError(yaml('a:', '  children:', '    b:', '      children:', '        a:'), 'E_INVENTORY', 5, 9, /cyclic group children: a → b → a/);
  parseError(yaml('a:', '  children:', '    a:'), 'E_INVENTORY', 3, 5, /cyclic group children: a → a/);
  parseError(
    yaml('a:', '  children: { b: }', 'b:', '  children: { c: }', 'c:', '  hosts: { h: }', '  children: { a: }'),
    'E_INVENTORY', 7, 15, /a → b → c → a/,
  );
});

test('duplicate keys are E_YAML at the duplicate', () => {
  parseError(yaml('all:', '  hosts:', '    a:', '    b:', '    a:'), 'E_YAML', 5, 5, /duplicate key 'a'/);
  parseError(yaml('all:', '  hosts:', '    a: { port: 1, port: 2 }'), 'E_YAML', 3, 19, /duplicate key 'port'/);
  parseError(yaml('all:', '  vars: {}', '  vars: {}'), 'E_YAML', 3, 3, /duplicate key 'vars'/);
});

test('YAML syntax errors are E_YAML with location', () => {
  parseError(yaml('all:', '  hosts:', '    a: [1, 2', '    b: 3'), 'E_YAML', 4, 5);
  parseError(yaml('all:', '\thosts:'), 'E_YAML', 2, 1);
  parseError(yaml('all:', '  hosts:', '    a: *nope'), 'E_YAML', 3, 8, /nope/);
  parseError(yaml('all:', '  hosts:', '    a: { pw: !vault abc }'), 'E_YAML', 3, 14, /vault/);
});

test('alias bombs fail in well under a second', () => {
  const lines = ['lol0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 15; i++) lines.push(`lol${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
  lines.push('all:', '  vars:', '    boom: *l15');
  const t0 = performance.now();
  const e = thrown(() => parseInventory(yaml(...lines), 'bomb.yml'));
  const ms = performance.now() - t0;
  assert.equal(e.code, 'E_YAML');
  assert.match(e.message, /alias/);
  assert.ok(ms < 300, `took ${ms} ms`);
});

test('groups nested absurdly deep are refused cleanly', () => {
  const n = 250;
  let text = '';
  for (let i = 0; i < n; i++) text += `{children: {g${i}: `;
  text += 'null' + '}}'.repeat(n) + '\n';
  const e = thrown(() => parseInventory(text, 'deep.yml'));
  assert.equal(e.code, 'E_INVENTORY');
  assert.match(e.message, /nested more than 200 levels/);
  assert.equal(e.location?.line, 1);
  const huge = '{children: {g: '.repeat(20_000) + 'null' + '}}'.repeat(20_000);
  const e2 = thrown(() => parseInventory(huge, 'huge.yml'));
  assert.ok(e2.code === 'E_YAML' || e2.code === 'E_INVENTORY', e2.describe());
});
