/**
 * One playbook with every module but systemd, on 10 lab hosts at once through
 * the real CLI: --check first (nothing on any host changes, byte for byte),
 * then the real run (its diffs are exactly the ones --check predicted), then a
 * second run and a second --check that find nothing to do.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { EventOf } from '../../src/events/types.ts';
import { snapshotDiff, useLab } from '../lab/index.ts';
import {
  changedByHost, eventsOf, explain, fleetRun, hostFile, hostSh, hostStat, hostTask, recapOf, removeDir, runEnd,
  tempDir, writePlaybook, type FleetResult,
} from './helpers.ts';

const HOSTS = Array.from({ length: 10 }, (_, i) => `h${i + 1}`);
/** Hosts that start with an old /etc/par/legacy.conf (so hosts differ). */
const LEGACY = ['h1', 'h4', 'h7'];
const SLEEP_S = 2;

const PLAYBOOK = String.raw`
- hosts: all
  vars:
    cluster_cidr: 10.244.0.0/16
  tasks:
    - name: label
      set_fact: { node_label: 'node-{{ inventory_hostname }}' }
    - name: label ok
      assert: { that: ["node_label == 'node-' + inventory_hostname"] }
    - name: show
      debug: { msg: '{{ node_label }} in {{ join group_names "," }}' }
    - name: never
      fail: { msg: 'not for this fleet' }
      when: inventory_hostname == 'nowhere'
    - name: sshd up
      wait_for: { host: '{{ inventory_hostname }}', port: 22, timeout: 10 }
    - name: conf dir
      file: { path: /etc/par, state: directory, mode: '0750' }
    - name: extra
      copy: { dest: /etc/par/extra.conf, content: "[extra]\nnode={{ inventory_hostname }}\n", mode: '0600' }
    - name: cidr
      replace: { path: /etc/par/app.conf, regexp: '192\.168\.0\.0/16', replace: '{{ cluster_cidr }}' }
    - name: mtu
      lineinfile: { path: /etc/par/app.conf, regexp: '^mtu=', line: 'mtu=1400' }
    - name: node line
      lineinfile: { path: /etc/par/app.conf, line: 'node={{ node_label }}', insertafter: '^\[net\]' }
    - name: env
      template: { src: par.env.hbs, dest: /etc/par/par.env, owner: deploy, mode: '0640' }
    - name: legacy gone
      file: { path: /etc/par/legacy.conf, state: absent }
    - name: opt dir
      file: { path: /opt/par/state, state: directory, mode: '0700' }
    - name: stamp
      file: { path: /opt/par/stamp, state: touch }
    - name: backup
      command: { argv: [cp, /etc/par/app.conf, /opt/par/app.conf.bak], creates: /opt/par/app.conf.bak }
    - name: slow shell
      shell: { cmd: 'sleep ${SLEEP_S}; hostname > /opt/par/hostname', creates: /opt/par/hostname }
`;

const TEMPLATE = '# {{ inventory_hostname }}\nNODE={{ quote node_label }}\nCIDR={{ cluster_cidr }}\n';

/** (host, task) -> the host-task event. */
function byHostTask(r: FleetResult): Map<string, EventOf<'host-task'>> {
  return new Map(eventsOf(r.events, 'host-task').map((e) => [`${e.host} ${e.task}`, e]));
}

describe('one playbook on 10 hosts in parallel (it-par)', (s) => {
  const h = useLab(s, { name: 'it-par', hosts: 10 });
  let dir = '';
  let state = '';
  let pb = '';
  before(() => {
    dir = tempDir('it-par');
    state = join(dir, 'state');
    writePlaybook(dir, 'templates/par.env.hbs', TEMPLATE);
    pb = writePlaybook(dir, 'site.yaml', PLAYBOOK);
  });
  after(() => removeDir(dir));

  it('--check changes nothing and predicts exactly the diffs the real run makes; a second run changes nothing', async () => {
    const { lab } = h;
    const base = "mkdir -p /etc/par && printf '[net]\\ncidr=192.168.0.0/16\\nmtu=1450\\n' > /etc/par/app.conf";
    await Promise.all(HOSTS.map((x) => hostSh(lab, x, LEGACY.includes(x) ? `${base} && echo old > /etc/par/legacy.conf` : base)));
    const before = await Promise.all(HOSTS.map((x) => lab.snapshot(x)));

    const check = fleetRun(lab, pb, state, ['--check']);
    assert.equal(check.code, 0, explain(check));
    assert.equal(runEnd(check).check, true);
    for (const [i, host] of HOSTS.entries()) {
      assert.deepEqual(snapshotDiff(before[i]!, await lab.snapshot(host)), [], `${host} changed in --check`);
      for (const t of ['backup', 'slow shell']) {
        assert.deepEqual([hostTask(check, t, host).status, hostTask(check, t, host).msg], ['changed', 'would run'], `${host} ${t}`);
      }
      assert.equal(await hostStat(lab, host, '/opt/par'), null);
    }

    const run = fleetRun(lab, pb, state);
    assert.equal(run.code, 0, explain(run));
    // All 10 hosts in one batch, the sleeps overlapping.
    assert.deepEqual(eventsOf(run.events, 'batch-start').map((b) => [...b.hosts].sort()), [[...HOSTS].sort()]);
    for (const host of HOSTS) assert.ok(hostTask(run, 'slow shell', host).durationMs >= SLEEP_S * 1000);
    assert.ok(runEnd(run).durationMs < SLEEP_S * 1000 * HOSTS.length / 2, `run took ${runEnd(run).durationMs} ms: not parallel`);

    // The real run's diffs are exactly the predicted ones, task by task, host by host.
    const predicted = byHostTask(check);
    const applied = byHostTask(run);
    assert.deepEqual([...applied.keys()].sort(), [...predicted.keys()].sort());
    for (const [key, e] of applied) {
      const p = predicted.get(key)!;
      assert.deepEqual(e.effects.diffs, p.effects.diffs, `diffs of ${key}`);
      assert.deepEqual(e.effects.commands, p.effects.commands, `commands of ${key}`);
      assert.equal(e.status, p.status, `status of ${key}`);
    }
    // Not vacuous: every host had file changes, the legacy hosts one more.
    for (const host of HOSTS) {
      const files = recapOf(run)[host]!.filesChanged;
      assert.equal(recapOf(check)[host]!.filesChanged, files);
      assert.equal(hostTask(run, 'legacy gone', host).status, LEGACY.includes(host) ? 'changed' : 'ok');
    }
    assert.deepEqual(hostTask(run, 'legacy gone', 'h4').effects.diffs, [
      { path: '/etc/par/legacy.conf', before: 'file', after: 'absent', unified: '--- /etc/par/legacy.conf\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-old\n' },
    ]);

    for (const host of ['h1', 'h2', 'h5', 'h10']) {
      assert.equal(await hostFile(lab, host, '/etc/par/app.conf'), `[net]\nnode=node-${host}\ncidr=10.244.0.0/16\nmtu=1400\n`);
      assert.equal(await hostFile(lab, host, '/etc/par/extra.conf'), `[extra]\nnode=${host}\n`);
      assert.equal(await hostStat(lab, host, '/etc/par/extra.conf'), '600 root root regular file');
      assert.equal(await hostStat(lab, host, '/etc/par'), '750 root root directory');
      assert.equal(await hostFile(lab, host, '/etc/par/par.env'), `# ${host}\nNODE=node-${host}\nCIDR=10.244.0.0/16\n`);
      assert.equal(await hostStat(lab, host, '/etc/par/par.env'), '640 deploy root regular file');
      assert.equal(await hostStat(lab, host, '/etc/par/legacy.conf'), null);
      assert.equal(await hostStat(lab, host, '/opt/par/state'), '700 root root directory');
      assert.equal(await hostStat(lab, host, '/opt/par/stamp'), '644 root root regular file');
      assert.equal(await hostFile(lab, host, '/opt/par/app.conf.bak'), await hostFile(lab, host, '/etc/par/app.conf'));
      assert.equal(await hostFile(lab, host, '/opt/par/hostname'), `${host}\n`);
      assert.equal(hostTask(run, 'show', host).msg, `node-${host} in ${['h1', 'h2'].includes(host) ? 'masters' : 'workers'}`);
    }

    const again = fleetRun(lab, pb, state);
    assert.equal(again.code, 0, explain(again));
    assert.deepEqual(changedByHost(again), Object.fromEntries(HOSTS.map((x) => [x, 0])), explain(again));

    const settled = await Promise.all(HOSTS.map((x) => lab.snapshot(x)));
    const check2 = fleetRun(lab, pb, state, ['--check']);
    assert.equal(check2.code, 0, explain(check2));
    for (const [i, host] of HOSTS.entries()) {
      const rc = recapOf(check2)[host]!;
      assert.deepEqual([rc.changed, rc.unknown, rc.filesChanged], [0, 0, 0], `${host}: ${JSON.stringify(rc)}`);
      assert.deepEqual(snapshotDiff(settled[i]!, await lab.snapshot(host)), []);
    }
  });
});
