// Round trips per task (host-task events' roundTrips): a file task costs one round
// trip, its read, whether it changes something or not: the change (a write, a mkdir,
// the paused backup-and-remove of a tree) runs in the read's held session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleet, ofKind, run, yaml } from './helpers.ts';

const PB = yaml(
  '- hosts: all',
  '  tasks:',
  '    - name: drop',
  '      lineinfile: { path: /etc/kubernetes/kubelet.env, regexp: "^FLANNEL_", state: absent }',
  '    - name: add',
  '      lineinfile: { path: /etc/kubernetes/kubelet.env, line: CALICO=bird, insertafter: "^KUBELET_ARGS=" }',
  '    - name: cni dir',
  '      file: { path: /opt/cni/bin, state: directory, mode: "0755" }',
  '    - name: calico dir',
  '      file: { path: /etc/calico, state: directory, mode: "0755" }',
  '    - name: cfg',
  '      copy: { content: "datastoreType: kubernetes\\n", dest: /etc/calico/calicoctl.cfg, mode: "0644" }',
  '    - name: conflist',
  '      copy: { content: "{}\\n", dest: /etc/cni/net.d/10-calico.conflist }',
  '    - name: remove flannel',
  '      file: { path: /opt/flannel, state: absent }',
);

const seeded = () => ({
  files: {
    '/etc/kubernetes/kubelet.env': 'KUBELET_ARGS="--network-plugin=cni"\nFLANNEL_IFACE=eth0\n',
    '/etc/cni/net.d/10-flannel.conflist': '{}\n',
    '/opt/flannel/bin/flanneld': 'binary',
    '/opt/flannel/subnet.env': 'FLANNEL_MTU=1450\n',
  },
});

function trips(events: Parameters<typeof ofKind>[0]): Record<string, number> {
  return Object.fromEntries(ofKind(events, 'host-task').map((e) => [e.task, e.roundTrips]));
}

test('first run: a changing file task costs one round trip (read and change in one session); second run: at most 1 each (the read)', async () => {
  const hosts = fleet({ h1: seeded() });
  const first = await run({ playbook: PB, hosts });
  assert.equal(first.summary.result, 'ok');
  assert.deepEqual(trips(first.events), {
    drop: 1, // read, and the write in its held session
    add: 1, // write (the content is known from the task before)
    'cni dir': 1, // read (which also finds /opt missing and / there), mkdir in its session
    'calico dir': 1, // read + mkdir, one session
    cfg: 1, // the parent is known to exist from the mkdir, the file is known absent under a new directory: write only
    conflist: 1, // read (the parent comes with it) + write, one session
    'remove flannel': 1, // read, then backup-and-remove (paused until the backup is journaled) in its session
  });
  const second = await run({ playbook: PB, hosts });
  // 'add' reads nothing: the file is known from 'drop'.
  assert.deepEqual(Object.values(trips(second.events)), [1, 0, 1, 1, 1, 1, 1]);
  assert.ok(ofKind(second.events, 'host-task').every((e) => e.status === 'ok'));
});

test('check mode: reads only, one round trip per task at most, none for what earlier tasks predicted', async () => {
  const hosts = fleet({ h1: seeded() });
  const { events } = await run({ playbook: PB, hosts, check: true });
  const t = trips(events);
  assert.ok(Object.values(t).every((n) => n <= 1), JSON.stringify(t));
  assert.equal(t.add, 0);
  assert.equal(t.cfg, 0, 'under a directory check mode created, nothing to read');
  assert.equal(hosts.get('h1')!.log.length, 0, 'no command ran');
});

test('a directory known only to exist (an ancestor a read found, one a mkdir made) is read in full when a task needs its attributes', async () => {
  const hosts = fleet({ h1: seeded() });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - name: cni dir',
    '      file: { path: /opt/cni/bin, state: directory, mode: "0755" }',
    '    - name: conf',
    '      copy: { content: "x\\n", dest: /opt/cni/bin/x.conf }',
    '    - name: tighten',
    '      file: { path: /opt/cni/bin, state: directory, mode: "0700" }',
    '    - name: opt',
    '      file: { path: /opt, state: directory, mode: "0711" }',
  );
  const { events, summary } = await run({ playbook: pb, hosts });
  assert.equal(summary.result, 'ok');
  // conf: the parent is known to exist and to be empty: no read. tighten and opt: their mode is not known: one read each.
  assert.deepEqual(trips(events), { 'cni dir': 1, conf: 1, tighten: 1, opt: 1 });
  assert.deepEqual(ofKind(events, 'host-task').map((e) => e.status), ['changed', 'changed', 'changed', 'changed']);
  const h = hosts.get('h1')!;
  const mode = (p: string) => { const s = h.files.get(p); return s && s.kind !== 'absent' ? s.meta.mode : undefined; };
  assert.equal(mode('/opt/cni/bin'), 0o700);
  assert.equal(mode('/opt'), 0o711);
});
