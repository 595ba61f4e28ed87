/**
 * Real test of the systemd-nspawn lab: two nodes booting real systemd, reached
 * over the system ssh client, with units, cgroups and the network checked, and
 * nothing of the lab left after down(). Needs root; the first run builds the
 * rootfs (about 1-2 minutes).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createSystemdLab, downSystemdLab, type SystemdLab, type SystemdLabNode } from './lab.ts';
import { linkExists } from './bridge.ts';
import { cgroupPids, labCgroupDirs } from './cgroups.ts';
import { mountsUnder } from './mounts.ts';
import { PLAIN_ENV, cmdline, isAlive, run, type RunResult } from './proc.ts';

const isRoot = process.getuid?.() === 0;
const LAB = 'nsptest';

function ssh(lab: SystemdLab, node: SystemdLabNode, script: string, input?: string): Promise<RunResult> {
  return run('ssh', [
    '-F', '/dev/null', '-i', lab.keyPath, '-o', `UserKnownHostsFile=${lab.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
    '-o', 'ConnectTimeout=10', `root@${node.address}`, script,
  ], { timeoutMs: 60_000, env: PLAIN_ENV, ...(input !== undefined ? { input } : {}) });
}

async function sshOk(lab: SystemdLab, node: SystemdLabNode, script: string, input?: string): Promise<string> {
  const r = await ssh(lab, node, script, input);
  assert.equal(r.code, 0, `ssh ${node.name} '${script}' exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Host PIDs of a unit's processes in a node: its cgroup under the node's own cgroup. */
function unitPids(node: SystemdLabNode, unit: string): number[] {
  const pids = node.cgroups.flatMap((c) => cgroupPids(join(c, 'payload/system.slice', unit)));
  return [...new Set(pids)].filter(isAlive);
}

describe('systemd-nspawn lab', { skip: isRoot ? false : 'needs root' }, () => {
  let lab: SystemdLab | undefined;
  let n1: SystemdLabNode;
  let n2: SystemdLabNode;

  before(async () => {
    lab = await createSystemdLab({
      name: LAB,
      nodes: [{ name: 'node1', groups: ['masters'] }, { name: 'node2', groups: ['workers'] }],
    });
    [n1, n2] = lab.nodes as [SystemdLabNode, SystemdLabNode];
  }, { timeout: 20 * 60_000 });

  after(async () => {
    await lab?.down();
  });

  test('each node answers over ssh with its hostname and a running systemd', async () => {
    for (const node of [n1, n2]) {
      const out = await sshOk(lab!, node, 'hostname; systemctl is-system-running || true');
      const [hostname, state] = out.trim().split('\n');
      assert.equal(hostname, node.name);
      assert.ok(state === 'running' || state === 'degraded', `${node.name}: is-system-running says ${state}`);
      if (state === 'degraded') {
        const failed = await sshOk(lab!, node, 'systemctl list-units --failed --plain --no-legend');
        console.error(`${node.name} is degraded; failed units:\n${failed}`);
        for (const unit of ['ssh.service', 'systemd-networkd.service', 'dbus.service']) {
          assert.ok(!failed.includes(unit), `${unit} failed on ${node.name}`);
        }
      }
      assert.equal((await sshOk(lab!, node, 'systemctl is-active ssh systemd-networkd')).trim(), 'active\nactive');
    }
  });

  test('inventory, known_hosts and per-node host keys', async () => {
    const inv = parse(readFileSync(lab!.inventoryPath, 'utf8')) as {
      all: { vars: Record<string, string>; hosts: Record<string, { ansible_host: string }>; children: Record<string, { hosts: Record<string, null> }> };
    };
    assert.equal(inv.all.vars.ansible_user, 'root');
    assert.equal(inv.all.vars.ansible_ssh_private_key_file, lab!.keyPath);
    assert.equal(inv.all.hosts.node1?.ansible_host, n1.address);
    assert.equal(inv.all.hosts.node2?.ansible_host, n2.address);
    assert.deepEqual(Object.keys(inv.all.children.masters?.hosts ?? {}), ['node1']);
    assert.deepEqual(Object.keys(inv.all.children.workers?.hosts ?? {}), ['node2']);
    const known = readFileSync(lab!.knownHostsPath, 'utf8').trim().split('\n');
    assert.equal(known.length, 2);
    assert.notEqual(known[0]!.split(' ')[2], known[1]!.split(' ')[2], 'host keys differ per node');
    const key1 = (await sshOk(lab!, n1, 'cat /etc/ssh/ssh_host_ed25519_key.pub')).split(' ')[1];
    assert.equal(known[0]!.split(' ')[2], key1);
    // The base rootfs carries no host key: each node got its own in its upper layer.
    const lower = /lowerdir=([^,]+)/.exec(readFileSync('/proc/self/mounts', 'utf8').split('\n')
      .find((l) => l.includes(` ${n1.root} `)) ?? '')?.[1];
    assert.ok(lower, 'node1 root is an overlay');
    assert.deepEqual(readdirSync(join(lower, 'etc/ssh')).filter((f) => f.startsWith('ssh_host_')), []);
  });

  test('a unit written on node1 starts and stops there and is unknown on node2', async () => {
    const unit = '[Unit]\nDescription=fleet lab probe\n[Service]\nExecStart=/bin/sleep infinity\n';
    await sshOk(lab!, n1, 'cat > /etc/systemd/system/fleet-lab-probe.service && systemctl daemon-reload', unit);
    await sshOk(lab!, n1, 'systemctl start fleet-lab-probe');
    assert.equal((await sshOk(lab!, n1, 'systemctl is-active fleet-lab-probe')).trim(), 'active');
    assert.equal(unitPids(n1, 'fleet-lab-probe.service').length, 1, 'its process is in node1 own cgroup');
    await sshOk(lab!, n1, 'systemctl stop fleet-lab-probe');
    const stopped = await ssh(lab!, n1, 'systemctl is-active fleet-lab-probe');
    assert.equal(stopped.stdout.trim(), 'inactive');
    const other = await sshOk(lab!, n2, 'systemctl show -p LoadState --value fleet-lab-probe.service');
    assert.equal(other.trim(), 'not-found');
  });

  test('a unit of the same name in both nodes is independent (own cgroups)', async () => {
    const unit = '[Service]\nExecStart=/bin/sh -c "sleep 1000 & exec sleep 1001"\n';
    for (const node of [n1, n2]) {
      await sshOk(lab!, node, 'cat > /etc/systemd/system/fleet-lab-same.service && systemctl daemon-reload && systemctl start fleet-lab-same', unit);
    }
    // On the host, each node's unit has its own cgroup holding exactly its own two processes.
    let pids1: number[] = [];
    let pids2: number[] = [];
    for (let i = 0; i < 50 && (pids1.length < 2 || pids2.length < 2); i++) {
      await new Promise((r) => setTimeout(r, 100));
      pids1 = unitPids(n1, 'fleet-lab-same.service');
      pids2 = unitPids(n2, 'fleet-lab-same.service');
    }
    assert.equal(pids1.length, 2, `node1 unit cgroup holds ${pids1.join(' ')}`);
    assert.equal(pids2.length, 2, `node2 unit cgroup holds ${pids2.join(' ')}`);
    assert.deepEqual(pids1.filter((p) => pids2.includes(p)), []);
    // Inside, systemd can list the unit's processes (a shared cgroup shows other nodes' PIDs as 0: EIO).
    for (const node of [n1, n2]) {
      const st = await ssh(lab!, node, 'systemctl status fleet-lab-same --no-pager');
      assert.doesNotMatch(st.stderr, /Failed to dump process list/);
      assert.match(st.stdout, /sleep 1000/);
      assert.match(st.stdout, /sleep 1001/);
    }
    const main2 = (await sshOk(lab!, n2, 'systemctl show -p MainPID --value fleet-lab-same')).trim();
    await sshOk(lab!, n1, 'systemctl stop fleet-lab-same');
    assert.equal((await ssh(lab!, n1, 'systemctl is-active fleet-lab-same')).stdout.trim(), 'inactive');
    assert.equal((await ssh(lab!, n1, 'pgrep -c -x sleep')).stdout.trim(), '0', 'node1 processes are gone');
    assert.deepEqual(pids1.filter(isAlive), []);
    assert.equal((await sshOk(lab!, n2, 'systemctl is-active fleet-lab-same')).trim(), 'active');
    assert.equal((await sshOk(lab!, n2, 'systemctl show -p MainPID --value fleet-lab-same')).trim(), main2);
    assert.deepEqual(pids2.filter(isAlive), pids2, 'node2 processes still run');
    assert.deepEqual(unitPids(n2, 'fleet-lab-same.service'), pids2);
    await sshOk(lab!, n2, 'systemctl stop fleet-lab-same');
    assert.deepEqual(pids2.filter(isAlive), []);
  });

  test('node1 reaches node2 over the lab network', async () => {
    const out = await sshOk(lab!, n1, `timeout 5 bash -c 'exec 3<>/dev/tcp/${n2.address}/22; head -c 4 <&3'`);
    assert.equal(out, 'SSH-');
  });

  test('a node can make a vxlan flannel.1 and bind TCP 179 (what the migration needs)', async () => {
    const r = await lab!.exec(n1, 'ip link add flannel.1 type vxlan id 1 dstport 8472 dev host0 && ' +
      'ip -d link show flannel.1 && ip link del flannel.1 && ' +
      'python3 -c "import socket; s=socket.socket(); s.bind((\'0.0.0.0\', 179)); s.listen(); print(\'bound\')"');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /vxlan id 1 .*dstport 8472/);
    assert.match(r.stdout, /bound/);
    // exec runs in the node: it sees the node's hostname, not the host's.
    assert.equal((await lab!.exec(n2, 'hostname')).stdout.trim(), 'node2');
  });

  test('down() leaves no process, mount, cgroup, bridge, veth or directory', async () => {
    const l = lab!;
    const nodes = l.nodes;
    assert.ok(nodes.every((n) => n.veth && linkExists(n.veth)), 'veths known before down');
    await l.down();
    for (const n of nodes) {
      assert.ok(!isAlive(n.nspawnPid), `nspawn of ${n.name} is gone`);
      assert.ok(!isAlive(n.leaderPid), `PID 1 of ${n.name} is gone`);
      assert.ok(!linkExists(n.veth!), `veth ${n.veth} is gone`);
      assert.ok(!linkExists(`vb-${n.machine}`.slice(0, 15)));
      for (const c of n.cgroups) assert.ok(!existsSync(c), `cgroup ${c} is gone`);
    }
    const nspawns = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
      const args = cmdline(pid) ?? [];
      return isAlive(pid) && args[0]?.endsWith('systemd-nspawn') && nodes.some((n) => args.includes(n.machine));
    });
    assert.deepEqual(nspawns, []);
    assert.deepEqual(mountsUnder(l.dir), []);
    assert.ok(!readFileSync('/proc/self/mounts', 'utf8').includes(l.dir), 'no mount mentions the lab dir');
    for (const c of labCgroupDirs(l.name)) assert.ok(!existsSync(c), `cgroup ${c} is gone`);
    assert.ok(!linkExists(l.bridge), `bridge ${l.bridge} is gone`);
    assert.ok(!existsSync(l.dir), 'lab dir removed');
    await l.down(); // idempotent
    assert.equal(await downSystemdLab({ dir: l.dir }), false, 'no state left to take down');
  });
});
