/**
 * playbooks/migrate-flannel-to-calico.yaml end to end on the k8s lab (test/lab/k8s):
 * nodes booting real systemd, seeded as a binary-installed cluster on Flannel; real
 * BIRD, real etcd, real vxlan and systemd units (the Kubernetes parts are stand-ins).
 *
 * ipip lab (1 master, 3 workers): --check changes nothing and shows every node's
 * diffs; the real run migrates every node; a second run changes nothing;
 * `fleet rollback RUN --host worker2` puts worker2 back on Flannel.
 * bgp lab: worker2's BIRD cannot come up; master1 and worker1 migrate in BGP mode,
 * worker2 fails its verification and is rolled back byte for byte, the rollout
 * stops before worker3, exit code 2.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shq } from '../../src/core/shell.ts';
import { createK8sLab, type K8sLab } from '../lab/k8s/index.ts';
import {
  bgpPeers, diffSnapshots, etcdJson, etcdKeys, failures, fleet, isActive, isEnabled, MIGRATION_DIRS, NOISE, ofKind,
  runArgs, runEnd, snapshot, type CliResult,
} from './calico-helpers.ts';

const log = (line: string) => process.stderr.write(`# ${line}\n`);

async function assertOnFlannel(lab: K8sLab, node: string): Promise<void> {
  assert.equal(await isActive(lab, node, 'flanneld'), 'active', `${node}: flanneld running`);
  assert.equal(await isEnabled(lab, node, 'flanneld'), 'enabled', `${node}: flanneld enabled`);
  assert.equal(await isActive(lab, node, 'docker'), 'active', `${node}: docker running`);
  assert.equal(await isActive(lab, node, 'kubelet'), 'active', `${node}: kubelet running`);
  assert.equal((await lab.exec(node, 'ip -d link show flannel.1 | grep -q "vxlan id 1 .*dstport 8472"')).code, 0, `${node}: flannel.1`);
  assert.match(await lab.sh(node, 'cat /run/docker-standin/options'), /--bip=172\.30\.\d+\.1\/24/, `${node}: docker on Flannel's subnet`);
  assert.doesNotMatch(await lab.sh(node, 'systemctl show kubelet -p ExecStart --value'), /--network-plugin=cni/);
}

async function assertMigrated(lab: K8sLab, node: string): Promise<void> {
  assert.equal(await isActive(lab, node, 'flanneld'), 'inactive', `${node}: flanneld stopped`);
  assert.equal(await isEnabled(lab, node, 'flanneld'), 'disabled', `${node}: flanneld disabled`);
  assert.notEqual((await lab.exec(node, 'ip link show flannel.1')).code, 0, `${node}: flannel.1 is gone`);
  assert.match(await lab.sh(node, 'systemctl show kubelet -p ExecStart --value'), /--network-plugin=cni/, `${node}: kubelet on CNI`);
  assert.equal(await isActive(lab, node, 'kubelet'), 'active');
  assert.equal(await isActive(lab, node, 'docker'), 'active');
  assert.doesNotMatch(await lab.sh(node, 'cat /run/docker-standin/options'), /--bip/, `${node}: docker off Flannel's options`);
}

describe('Flannel → Calico, IPIP mode, 1 master + 3 workers', { timeout: 600_000 }, () => {
  let lab: K8sLab;
  let state: string;
  let migration: CliResult;
  const initial = new Map<string, Map<string, string>>();

  before(async () => {
    const t = Date.now();
    lab = await createK8sLab({ name: 'e2e-ipip', log: () => undefined });
    state = mkdtempSync(join(tmpdir(), 'fleet-calico-e2e-'));
    log(`lab up in ${Date.now() - t} ms`);
    for (const n of lab.nodes) initial.set(n.name, await snapshot(lab, n.name, MIGRATION_DIRS));
    for (const n of lab.nodes) await assertOnFlannel(lab, n.name);
  });

  after(async () => {
    await lab?.down();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('--check changes nothing on any node and shows every node its diffs', async () => {
    const dirs = ['/etc', '/run', '/var/lib', '/opt'];
    const before = new Map<string, Map<string, string>>();
    for (const n of lab.nodes) before.set(n.name, await snapshot(lab, n.name, dirs, NOISE));
    const r = await fleet(runArgs(lab, state, ['--check']));
    log(`check run ${r.ms} ms`);
    assert.equal(r.code, 0, failures(r));
    assert.equal(runEnd(r).result, 'ok');
    for (const n of lab.nodes) {
      assert.deepEqual(diffSnapshots(before.get(n.name)!, await snapshot(lab, n.name, dirs, NOISE)), [], `${n.name} unchanged`);
      const tasks = ofKind(r.events, 'host-task').filter((e) => e.host === n.name);
      const diffs = tasks.flatMap((e) => e.effects.diffs);
      const dropin = diffs.find((d) => d.path === '/etc/systemd/system/kubelet.service.d/10-fleet-calico-cni.conf');
      assert.ok(dropin && /\+ {2}--network-plugin=cni/.test(dropin.unified ?? ''), `${n.name}: the kubelet drop-in's diff is shown`);
      assert.ok(diffs.some((d) => d.path === '/etc/systemd/system/docker.service.d/10-fleet-no-flannel.conf'), `${n.name}: docker drop-in`);
      assert.ok(diffs.some((d) => d.path === '/etc/calico/calicoctl.cfg'), `${n.name}: calicoctl.cfg`);
      assert.ok(diffs.some((d) => d.path === '/run/flannel' && d.after === 'absent'), `${n.name}: /run/flannel removal`);
      const services = tasks.flatMap((e) => e.effects.services);
      assert.ok(services.some((s) => s.name === 'flanneld.service' && s.after.active === 'inactive' && s.after.enabled === 'disabled'),
        `${n.name}: flanneld would be stopped and disabled`);
    }
    const master = ofKind(r.events, 'host-task').filter((e) => e.host === 'master1').flatMap((e) => e.effects.diffs);
    const manifest = master.find((d) => d.path === '/opt/k8s/work/calico.yaml');
    assert.ok(manifest?.unified?.includes('+              value: "172.30.0.0/16"'), 'the rendered manifest is shown');
  });

  it('migrates every node: Flannel gone, kubelet on CNI, a full BGP mesh, IPAM blocks in etcd', async () => {
    migration = await fleet(runArgs(lab, state));
    log(`migration run ${migration.ms} ms`);
    assert.equal(migration.code, 0, failures(migration));
    const end = runEnd(migration);
    assert.equal(end.result, 'ok');
    for (const n of lab.nodes) assert.equal(end.recap[n.name]?.state, 'ok', n.name);
    const addresses = lab.nodes.map((n) => n.address);
    for (const n of lab.nodes) {
      await assertMigrated(lab, n.name);
      assert.deepEqual(await bgpPeers(lab, n.name), addresses.filter((a) => a !== n.address).sort(), `${n.name}: BGP to every other node`);
      assert.match(await lab.sh(n.name, 'calicoctl node status'), /Calico process is running\./);
    }
    const hostKeys = await etcdKeys(lab, '/calico/ipam/v2/host/');
    for (const n of lab.nodes) {
      assert.ok(hostKeys.some((k) => k.startsWith(`/calico/ipam/v2/host/${n.name}/ipv4/block/172.30.`)), `${n.name}: IPAM block in etcd`);
    }
    const pool = await etcdJson(lab, '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool');
    assert.deepEqual(pool.spec, { cidr: '172.30.0.0/16', ipipMode: 'Always', natOutgoing: true, blockSize: 26, nodeSelector: 'all()' });
    assert.equal((await lab.exec('worker2', 'ip link show cni0')).code, 1, 'the leftover cni0 bridge is gone');
    // worker3's docker.service reads EnvironmentFile=/run/flannel/docker without '-': the drop-in's reset lets it start anyway
    assert.match(await lab.sh('worker3', 'grep ^EnvironmentFile= /etc/systemd/system/docker.service'), /^EnvironmentFile=\/run\/flannel\/docker$/m);
  });

  it('calicoctl node status prints Calico v3.8\'s format byte for byte (fed canned BIRD output)', async () => {
    const protocols = (rows: string[]) => ['BIRD 1.6.8 ready.', 'name     proto    table    state  since       info',
      'static1  Static   master   up     09:21:40    ', 'kernel1  Kernel   master   up     09:21:40    ',
      'device1  Device   master   up     09:21:40    ', 'direct1  Direct   master   up     09:21:40    ', ...rows].join('\n');
    const cases = [
      ['calicoctl-node-status.txt', ['Mesh_10_0_0_2 BGP      master   up     09:21:45    Established   ',
        'Mesh_10_0_0_3 BGP      master   up     09:21:47    Established   ']],
      ['calicoctl-node-status-peer-down.txt', ['Mesh_10_0_0_2 BGP      master   up     09:21:45    Established   ',
        'Mesh_10_0_0_3 BGP      master   start  09:30:12    Connect       ']],
    ] as const;
    for (const [sample, rows] of cases) {
      // birdc/birdc6 answering as BIRD would; bird, bird6 and calico-node really run on master1 now
      const fake = `mkdir -p /tmp/fake-birdc && printf '%s\\n' ${shq(protocols([...rows]))} > /tmp/fake-birdc/v4 && ` +
        `printf '%s\\n' ${shq(protocols([]))} > /tmp/fake-birdc/v6 && ` +
        `printf '#!/bin/sh\\ncat /tmp/fake-birdc/v4\\n' > /tmp/fake-birdc/birdc && ` +
        `printf '#!/bin/sh\\ncat /tmp/fake-birdc/v6\\n' > /tmp/fake-birdc/birdc6 && chmod +x /tmp/fake-birdc/birdc*`;
      await lab.sh('master1', fake);
      const out = await lab.sh('master1', 'PATH=/tmp/fake-birdc:$PATH calicoctl node status; rm -rf /tmp/fake-birdc');
      assert.equal(out, readFileSync(new URL(`./fixtures/${sample}`, import.meta.url), 'utf8'), sample);
    }
  });

  it('a second run changes nothing', async () => {
    const r = await fleet(runArgs(lab, state));
    log(`second run ${r.ms} ms`);
    assert.equal(r.code, 0, failures(r));
    const end = runEnd(r);
    for (const n of lab.nodes) assert.equal(end.recap[n.name]?.changed, 0, `${n.name}: 0 changed`);
    assert.deepEqual(ofKind(r.events, 'host-task').filter((e) => e.status === 'changed').map((e) => `${e.host}: ${e.task}`), []);
  });

  it('fleet rollback RUN --host worker2 puts worker2 back on Flannel, byte for byte', async () => {
    const runId = runEnd(migration).runId;
    const r = await fleet(['rollback', runId, '--host', 'worker2', '-i', lab.inventoryPath, '--known-hosts', lab.knownHostsPath,
      '--state-dir', state, '--output', 'json']);
    log(`rollback ${r.ms} ms`);
    assert.equal(r.code, 0, `${r.stdout.slice(-3000)}\n${r.stderr}`);
    assert.deepEqual(ofKind(r.events, 'rollback-end').map((e) => `${e.host} ${e.status}`), ['worker2 rolled-back']);
    await assertOnFlannel(lab, 'worker2');
    assert.deepEqual(diffSnapshots(initial.get('worker2')!, await snapshot(lab, 'worker2', MIGRATION_DIRS)), [],
      'worker2 files as before the migration');
    assert.match(await lab.sh('worker2', 'ip -o -4 addr show dev cni0'), /inet 172\.30\.\d+\.1\/24/, 'cni0 recreated with its address');
    assert.match((await lab.exec('worker2', 'calicoctl node status')).stdout, /Calico process is not running\./);
    for (const other of ['master1', 'worker1', 'worker3']) await assertMigrated(lab, other);
  });
});

describe('Flannel → Calico, BGP mode, a worker whose BIRD cannot come up', { timeout: 600_000 }, () => {
  let lab: K8sLab;
  let state: string;

  before(async () => {
    lab = await createK8sLab({ name: 'e2e-bgp', log: () => undefined });
    state = mkdtempSync(join(tmpdir(), 'fleet-calico-e2e-'));
  });

  after(async () => {
    await lab?.down();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('a failed preflight (kube-apiserver without --allow-privileged=true) stops the run with nothing changed', async () => {
    const unit = '/etc/systemd/system/kube-apiserver.service';
    await lab.sh('master1', `cp -p ${unit} /root/apiserver.unit && sed -i '/--allow-privileged=true/d' ${unit} && ` +
      'systemctl daemon-reload && systemctl restart kube-apiserver');
    const before = new Map<string, Map<string, string>>();
    for (const n of lab.nodes) before.set(n.name, await snapshot(lab, n.name, MIGRATION_DIRS));
    const r = await fleet(runArgs(lab, state, ['-e', 'calico_mode=bgp']));
    log(`failed preflight ${r.ms} ms`);
    assert.equal(r.code, 2, failures(r));
    assert.deepEqual(ofKind(r.events, 'host-task').filter((e) => e.status === 'failed').map((e) => `${e.host}: ${e.task}`),
      ['master1: kube-apiserver runs with --allow-privileged=true']);
    assert.deepEqual(ofKind(r.events, 'host-task').filter((e) => e.status === 'changed'), [], 'no task changed anything');
    assert.ok(!ofKind(r.events, 'play-start').some((e) => e.play !== 'Preflight (read-only, every node)'), 'no other play started');
    for (const n of lab.nodes) {
      assert.deepEqual(diffSnapshots(before.get(n.name)!, await snapshot(lab, n.name, MIGRATION_DIRS)), [], `${n.name} unchanged`);
      await assertOnFlannel(lab, n.name);
    }
    await lab.sh('master1', `mv /root/apiserver.unit ${unit} && systemctl daemon-reload && systemctl restart kube-apiserver`);
    assert.match(await lab.sh('master1', 'systemctl show kube-apiserver -p ExecStart --value'), /--allow-privileged=true/);
  });

  it('rolls worker2 back to Flannel byte for byte, stops the rollout, exits 2', async () => {
    await lab.sh('worker2', 'touch /etc/fake-k8s/break-bird');
    const before = await snapshot(lab, 'worker2', MIGRATION_DIRS);
    const r = await fleet(runArgs(lab, state, ['-e', 'calico_mode=bgp', '-e', 'bgp_timeout=15']));
    log(`failing run ${r.ms} ms`);
    assert.equal(r.code, 2, failures(r));
    const end = runEnd(r);
    assert.equal(end.result, 'failed');
    assert.deepEqual(Object.fromEntries(Object.entries(end.recap).map(([h, x]) => [h, x.state])),
      { master1: 'ok', worker1: 'ok', worker2: 'rolled-back', worker3: 'ok' });
    const failed = ofKind(r.events, 'host-task').filter((e) => e.status === 'failed');
    assert.deepEqual(failed.map((e) => `${e.host}: ${e.task}`), ['worker2: BGP sessions ESTABLISHED on TCP 179 to every other migrated node']);
    assert.deepEqual(ofKind(r.events, 'rollback-end').map((e) => `${e.host} ${e.status}`), ['worker2 rolled-back']);
    assert.equal(ofKind(r.events, 'rollout-stopped').length, 1, 'the rollout stopped');
    const worker3Rollout = ofKind(r.events, 'host-task').filter((e) => e.host === 'worker3' && e.task === 'Stop and disable flanneld');
    assert.deepEqual(worker3Rollout, [], 'worker3 was not touched');

    assert.deepEqual(diffSnapshots(before, await snapshot(lab, 'worker2', MIGRATION_DIRS)), [], 'worker2 files byte for byte');
    await assertOnFlannel(lab, 'worker2');
    await assertOnFlannel(lab, 'worker3');
    for (const n of ['master1', 'worker1']) await assertMigrated(lab, n);
    const worker1 = lab.workers[0]!;
    assert.deepEqual(await bgpPeers(lab, 'master1'), [worker1.address]);
    const manifest = await lab.sh('master1', 'cat /opt/k8s/work/calico.yaml');
    assert.match(manifest, /- name: CALICO_IPV4POOL_IPIP\n\s+value: "Never"/);
    const pool = await etcdJson(lab, '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool');
    assert.equal((pool.spec as { ipipMode: string }).ipipMode, 'Never');
    // BGP mode: the routes to the other node's pod block go straight over the shared segment
    assert.match(await lab.sh('master1', 'ip route show proto bird'), new RegExp(`172\\.30\\.\\d+\\.\\d+/26 via ${worker1.address.replace(/\./g, '\\.')} dev host0`));
  });
});
