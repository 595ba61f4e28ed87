/** The nspawn lab's pure helpers and its lock file (no root, no containers). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseNodes } from './cli.ts';
import { cgroupHierarchies } from './cgroups.ts';
import { bridgeName, usedOctets } from './bridge.ts';
import { inventoryYaml } from './inventory.ts';
import { withLockFile } from './lock.ts';
import { pruneOldRootfs, rootfsRecipeHash } from './rootfs.ts';

test('parseNodes derives groups from names and takes explicit ones', () => {
  assert.deepEqual(parseNodes('master1,worker1, worker2,etcd'), [
    { name: 'master1', groups: ['masters'] },
    { name: 'worker1', groups: ['workers'] },
    { name: 'worker2', groups: ['workers'] },
    { name: 'etcd', groups: [] },
  ]);
  assert.deepEqual(parseNodes('worker-node-1'), [{ name: 'worker-node-1', groups: ['worker_nodes'] }]);
  assert.deepEqual(parseNodes('a:masters+etcd,b:'), [
    { name: 'a', groups: ['masters', 'etcd'] },
    { name: 'b', groups: [] },
  ]);
});

test('cgroupHierarchies picks cgroup2 and the v1 name=systemd hierarchy only', () => {
  const mounts = [
    'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0',
    'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
    'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
    'cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,xattr,name=systemd 0 0',
    'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
  ].join('\n');
  assert.deepEqual(cgroupHierarchies(mounts), ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']);
  assert.deepEqual(cgroupHierarchies('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n'), ['/sys/fs/cgroup']);
});

test('bridge names fit IFNAMSIZ', () => {
  assert.equal(bridgeName('k8s'), 'fnb-k8s');
  const long = bridgeName('a-rather-long-lab-name');
  assert.ok(long.length <= 15 && long.startsWith('fnb-'), long);
  assert.notEqual(long, bridgeName('a-rather-long-lab-nam2'));
});

test('usedOctets sees every 198.19.x.0/24 a host network overlaps', () => {
  const text = [
    '2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0',
    '5: flab96    inet 198.19.128.1/22 scope global flab96',
    '6: fnb-k8s    inet 198.19.194.1/24 scope global fnb-k8s',
  ].join('\n');
  assert.deepEqual([...usedOctets(text)].sort((a, b) => a - b), [128, 129, 130, 131, 194]);
  assert.equal(usedOctets('inet 198.18.0.1/15 scope global x').size, 256);
  assert.equal(usedOctets('inet 198.18.4.1/22 scope global x').size, 0);
});

test('inventory.yaml has hosts with addresses, groups as children, ssh vars', () => {
  const text = inventoryYaml(
    [
      { name: 'master1', address: '198.19.130.11', groups: ['masters'] },
      { name: 'worker1', address: '198.19.130.12', groups: ['workers', 'etcd'] },
    ],
    { keyPath: '/lab/id_ed25519', knownHostsPath: '/lab/known_hosts' },
  );
  const inv = parse(text) as {
    all: { vars: Record<string, string>; hosts: Record<string, unknown>; children: Record<string, { hosts: Record<string, null> }> };
  };
  assert.equal(inv.all.vars.ansible_user, 'root');
  assert.equal(inv.all.vars.ansible_ssh_private_key_file, '/lab/id_ed25519');
  assert.match(inv.all.vars.ansible_ssh_common_args!, /UserKnownHostsFile=\/lab\/known_hosts/);
  assert.deepEqual(inv.all.hosts, { master1: { ansible_host: '198.19.130.11' }, worker1: { ansible_host: '198.19.130.12' } });
  assert.deepEqual(Object.keys(inv.all.children), ['masters', 'workers', 'etcd']);
  assert.deepEqual(inv.all.children.etcd, { hosts: { worker1: null } });
});

test('the rootfs cache key is stable', () => {
  assert.match(rootfsRecipeHash(), /^[0-9a-f]{16}$/);
  assert.equal(rootfsRecipeHash(), rootfsRecipeHash());
});

test('withLockFile serializes holders and takes over a dead owner\'s lock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nspawn-lock-'));
  try {
    const lock = join(dir, 'x.lock');
    const order: string[] = [];
    const hold = (id: string): Promise<void> =>
      withLockFile(lock, 5000, async () => {
        order.push(`${id}+`);
        await new Promise((r) => setTimeout(r, 50));
        order.push(`${id}-`);
      });
    await Promise.all([hold('a'), hold('b')]);
    assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-']);
    assert.ok(!existsSync(lock), 'released');
    // A PID that is not running (beyond pid_max) owns a stale lock: it is taken over.
    writeFileSync(lock, '99999999\n');
    assert.equal(await withLockFile(lock, 1000, async () => 'took'), 'took');
    // A live owner (this test's parent) is waited for until the timeout.
    writeFileSync(lock, `${process.ppid}\n`);
    await assert.rejects(withLockFile(lock, 300, async () => 'never'), { code: 'E_LOCKED' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pruneOldRootfs removes other recipes\' trees, keeps the current one and locked builds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nspawn-cache-'));
  try {
    const keep = join(dir, 'rootfs-aaaaaaaaaaaaaaaa');
    const old = join(dir, 'rootfs-bbbbbbbbbbbbbbbb');
    const locked = join(dir, 'rootfs-cccccccccccccccc');
    for (const d of [keep, old, locked]) mkdirSync(join(d, 'etc'), { recursive: true });
    writeFileSync(`${old}.log`, 'log');
    writeFileSync(`${locked}.lock`, `${process.pid}\n`);
    writeFileSync(join(dir, 'unrelated'), 'x');
    await pruneOldRootfs(dir, keep, () => undefined);
    assert.ok(existsSync(keep));
    assert.ok(!existsSync(old) && !existsSync(`${old}.log`));
    assert.ok(existsSync(locked));
    assert.ok(existsSync(join(dir, 'unrelated')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
