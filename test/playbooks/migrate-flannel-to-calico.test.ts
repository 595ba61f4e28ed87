/**
 * The migration playbook's render-and-apply play ("Calico, once, from the first
 * master") run for real against an in-memory master: the manifest each setting
 * picks, the edits (each must match exactly once), Typha's replica count, the
 * TLS secret, the apply and its rollback. Shell probes run locally with /bin/sh
 * (they only compute); kubectl is faked. The whole playbook on real nodes is
 * test/e2e/calico.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaybook } from '../../src/playbook/index.ts';
import { parseInventory } from '../../src/inventory/index.ts';
import { getModule, modules } from '../../src/modules/index.ts';
import { runPlaybook } from '../../src/executor/run.ts';
import { createMemoryTransport, type MemoryTransport } from '../../src/transport/memory.ts';
import type { ExecResult } from '../../src/transport/types.ts';
import type { RunEvent } from '../../src/events/types.ts';
import { RunJournal } from '../../src/journal/journal.ts';
import { pendingIntents } from '../../src/executor/rollback.ts';

const PLAYBOOK = new URL('../../playbooks/migrate-flannel-to-calico.yaml', import.meta.url).pathname;
const FILES = new URL('../../playbooks/files/', import.meta.url).pathname;
const DEST = '/opt/k8s/work/calico.yaml';

function result(code: number, stdout: string, stderr = ''): ExecResult {
  return { code, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), timedOut: false, truncated: false };
}

interface Master {
  transport: MemoryTransport;
  kubectl: string[];
}

function master(installed = false): Master {
  const kubectl: string[] = [];
  const transport = createMemoryTransport('master1', {
    files: { '/opt/k8s/work/.keep': '' },
    exec: (script) => {
      if (script.includes('/opt/k8s/bin/kubectl')) {
        kubectl.push(script);
        if (script.includes(' get daemonset ')) return result(0, installed ? 'daemonset.apps/calico-node\n' : '');
        if (script.includes(' apply ')) return result(0, 'configmap/calico-config created\ndaemonset.apps/calico-node created\n');
        return result(1, '', `unexpected kubectl call: ${script}`);
      }
      // The play's other probes only compute (node count, Typha replicas, base64 of TLS files).
      const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'buffer' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: false, truncated: false };
    },
  });
  return { transport, kubectl };
}

async function renderPlay(m: Master, vars: Record<string, unknown>) {
  const loaded = await loadPlaybook(PLAYBOOK, { modules, resolveModule: getModule });
  const play = loaded.plays.find((p) => p.name === 'Calico, once, from the first master');
  assert.ok(play, 'the playbook has its render play');
  const dir = mkdtempSync(join(tmpdir(), 'fleet-calico-'));
  const inventory = parseInventory('all:\n  children:\n    masters:\n      hosts:\n        master1: {}\n' +
    '    workers:\n      hosts:\n        worker1: {}\n        worker2: {}\n', join(dir, 'inventory.yaml'));
  const events: RunEvent[] = [];
  const settings = {
    calico_mode: 'ipip', calico_datastore: 'etcdv3', etcd_endpoints: 'http://10.220.209.201:2379',
    etcd_ca_file: '', etcd_cert_file: '', etcd_key_file: '', calico_manifest: '', calico_work_dir: '/opt/k8s/work',
    node_count: '', kubectl: '/opt/k8s/bin/kubectl', cluster_cidr: '172.30.0.0/16', ...vars,
  };
  const summary = await runPlaybook({
    playbook: { ...loaded, plays: [play] }, inventory, check: false, forks: 5, onlyTags: [], skipTags: [],
    extraVars: settings, noRollback: true, forceHandlers: false, emit: (e) => events.push(e), stateDir: join(dir, 'state'),
    // runPlaybook closes its transports: hand it one that stays open, to read the result afterwards
    connector: async () => Object.assign(Object.create(m.transport) as MemoryTransport, { close: async () => undefined }),
  });
  const failed = events.filter((e) => e.kind === 'host-task' && e.status === 'failed');
  return { summary, events, failed, stateDir: join(dir, 'state') };
}

async function rendered(m: Master): Promise<string> {
  const st = await m.transport.read(DEST);
  assert.equal(st.kind, 'file', `${DEST} was written`);
  return st.kind === 'file' ? st.content.toString('utf8') : '';
}

/** Lines that differ between the pristine manifest and the rendered one, as [before, after]. */
function changedLines(pristine: string, out: string): Array<[string, string]> {
  const a = pristine.split('\n');
  const b = out.split('\n');
  assert.equal(a.length, b.length, 'the edits change lines, never add or remove them');
  return a.flatMap((line, i) => (line === b[i] ? [] : [[line.trim(), b[i]!.trim()] as [string, string]]));
}

const manifest = (name: string) => readFileSync(join(FILES, name), 'utf8');

describe('migrate-flannel-to-calico: render and apply Calico', () => {
  it('etcdv3, ipip: endpoints, CIDR and IPIP Always; kubectl apply with a delete -f rollback', async () => {
    const m = master();
    const r = await renderPlay(m, {});
    assert.equal(r.summary.result, 'ok', JSON.stringify(r.failed));
    assert.deepEqual(changedLines(manifest('calico-etcd-v3.8.yaml'), await rendered(m)), [
      ['etcd_endpoints: "http://<ETCD_IP>:<ETCD_PORT>"', 'etcd_endpoints: "http://10.220.209.201:2379"'],
      ['value: "192.168.0.0/16"', 'value: "172.30.0.0/16"'],
    ]);
    assert.deepEqual(m.kubectl.map((c) => c.replace(/^(exec )?\/opt\/k8s\/bin\/kubectl /, '')), [
      'get daemonset calico-node -n kube-system -o name --ignore-not-found',
      `apply -f ${DEST}`,
    ]);
    const journal = await RunJournal.open(r.stateDir, r.summary.runId);
    const undo = (await pendingIntents(journal, 'master1')).map((i) => i.undo);
    await journal.close();
    assert.deepEqual(undo[0], { kind: 'command', ran: `/opt/k8s/bin/kubectl apply -f ${DEST}`, cmd: `/opt/k8s/bin/kubectl delete --ignore-not-found -f ${DEST}` });
    assert.equal(undo[1]?.kind === 'path' && undo[1].path, DEST);
  });

  it('bgp mode sets CALICO_IPV4POOL_IPIP to Never', async () => {
    const m = master();
    const r = await renderPlay(m, { calico_mode: 'bgp', cluster_cidr: '10.244.0.0/16' });
    assert.equal(r.summary.result, 'ok', JSON.stringify(r.failed));
    assert.deepEqual(changedLines(manifest('calico-etcd-v3.8.yaml'), await rendered(m)).slice(1), [
      ['value: "Always"', 'value: "Never"'],
      ['value: "192.168.0.0/16"', 'value: "10.244.0.0/16"'],
    ]);
  });

  it('kubernetes datastore up to 50 nodes: calico-v3.8.yaml, no Typha', async () => {
    const m = master();
    const r = await renderPlay(m, { calico_datastore: 'kubernetes', node_count: 50 });
    assert.equal(r.summary.result, 'ok', JSON.stringify(r.failed));
    assert.deepEqual(changedLines(manifest('calico-v3.8.yaml'), await rendered(m)), [
      ['value: "192.168.0.0/16"', 'value: "172.30.0.0/16"'],
    ]);
  });

  for (const [nodes, replicas] of [[51, 1], [60, 1], [401, 3], [3999, 20], [4500, 20]] as const) {
    it(`kubernetes datastore, ${nodes} nodes: Typha with ${replicas} replica(s)`, async () => {
      const m = master();
      const r = await renderPlay(m, { calico_datastore: 'kubernetes', node_count: nodes, calico_mode: 'bgp' });
      assert.equal(r.summary.result, 'ok', JSON.stringify(r.failed));
      assert.deepEqual(changedLines(manifest('calico-typha-v3.8.yaml'), await rendered(m)), [
        ...(replicas === 1 ? [] : [['replicas: 1', `replicas: ${replicas}`] as [string, string]]),
        ['value: "Always"', 'value: "Never"'],
        ['value: "192.168.0.0/16"', 'value: "172.30.0.0/16"'],
      ]);
      const out = await rendered(m);
      assert.match(out, new RegExp(`name: calico-typha\n {2}namespace: kube-system[\\s\\S]*?\n {2}replicas: ${replicas}\n`));
      // kube-controllers keeps its single replica
      assert.match(out, /name: calico-kube-controllers\n {2}namespace: kube-system[\s\S]*?replicas: 1\n/);
    });
  }

  it('a node_count that is not a number stops the play before anything is written', async () => {
    const m = master();
    const r = await renderPlay(m, { calico_datastore: 'kubernetes', node_count: '60 nodes' });
    assert.equal(r.summary.result, 'failed');
    assert.match(JSON.stringify(r.failed), /node_count must be the number of Kubernetes nodes/);
    assert.equal((await m.transport.read(DEST)).kind, 'absent');
  });

  it('etcd TLS: the Secret carries the files, the ConfigMap points at them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-calico-tls-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), `-----BEGIN ${f}-----\n`);
    const m = master();
    const r = await renderPlay(m, {
      etcd_ca_file: join(dir, 'ca.pem'), etcd_cert_file: join(dir, 'cert.pem'), etcd_key_file: join(dir, 'key.pem'),
    });
    assert.equal(r.summary.result, 'ok', JSON.stringify(r.failed));
    const b64 = (f: string) => Buffer.from(`-----BEGIN ${f}-----\n`).toString('base64');
    assert.deepEqual(changedLines(manifest('calico-etcd-v3.8.yaml'), await rendered(m)), [
      ['# etcd-key: null', `etcd-key: ${b64('key.pem')}`],
      ['# etcd-cert: null', `etcd-cert: ${b64('cert.pem')}`],
      ['# etcd-ca: null', `etcd-ca: ${b64('ca.pem')}`],
      ['etcd_endpoints: "http://<ETCD_IP>:<ETCD_PORT>"', 'etcd_endpoints: "http://10.220.209.201:2379"'],
      ['etcd_ca: ""   # "/calico-secrets/etcd-ca"', 'etcd_ca: "/calico-secrets/etcd-ca"'],
      ['etcd_cert: "" # "/calico-secrets/etcd-cert"', 'etcd_cert: "/calico-secrets/etcd-cert"'],
      ['etcd_key: ""  # "/calico-secrets/etcd-key"', 'etcd_key: "/calico-secrets/etcd-key"'],
      ['value: "192.168.0.0/16"', 'value: "172.30.0.0/16"'],
    ]);
    const st = await m.transport.read(DEST);
    assert.equal(st.kind === 'file' && st.meta.mode, 0o600, 'a manifest holding keys is 0600');
    const shown = JSON.stringify(r.events);
    assert.ok(!shown.includes(b64('key.pem')), 'the key never appears in the output (no_log)');
  });

  it('an edit that matches nothing fails the play before anything is written or applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-calico-bad-'));
    // the notes' mistake: a manifest where the pool CIDR line is not what the edit expects
    const bad = join(dir, 'calico-etcd.yaml');
    writeFileSync(bad, manifest('calico-etcd-v3.8.yaml').replace('value: "192.168.0.0/16"', 'value: "192.168.0.0./16"'));
    const m = master();
    const r = await renderPlay(m, { calico_manifest: bad });
    assert.equal(r.summary.result, 'failed');
    assert.match(r.failed.map((e) => (e.kind === 'host-task' ? e.msg : '')).join('\n'),
      /edit 3 \(regexp '\(- name: CALICO_IPV4POOL_CIDR.*matches 0 time\(s\), expected exactly 1/);
    assert.equal((await m.transport.read(DEST)).kind, 'absent');
    assert.ok(!m.kubectl.some((c) => c.includes(' apply ')), 'nothing applied');
  });

  it('Calico already installed: no apply, and the rendered manifest must not change', async () => {
    const m = master(true);
    const first = await renderPlay(m, {});
    assert.equal(first.summary.result, 'failed', 'a new manifest for an installed Calico is refused');
    assert.match(JSON.stringify(first.failed), /calico-node already runs in this cluster/);
    const again = await renderPlay(m, {});
    assert.equal(again.summary.result, 'ok', 'same manifest as on disk: nothing to do');
    assert.ok(!m.kubectl.some((c) => c.includes(' apply ')), 'never applied over an installed Calico');
  });
});
