/**
 * Check mode over real SSH on real-systemd nodes: it changes nothing (byte
 * for byte, services too), its predictions chain from task to task, and what
 * it predicts is exactly what the real run then reports.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSystemdLab, type SystemdLab } from '../lab/nspawn/index.ts';
import { runFleet as fleet, runEnd, eventsOf } from './helpers.ts';
import { snapshotFiles, diffSnapshots } from '../support/node-snapshot.ts';

const NODES = ['c1', 'c2'];
const DIRS = ['/etc', '/opt', '/var/lib/demo'];
const EXCLUDE = [/^\/etc\/machine-id$/, /^\/etc\/\.pwd\.lock$/];

const PLAYBOOK = `
- name: chained predictions
  hosts: all
  tasks:
    - name: render app.conf
      template: { src: app.conf.hbs, dest: /etc/app.conf }
    - name: edit the rendered file
      lineinfile: { path: /etc/app.conf, regexp: '^level=', line: 'level=debug' }
    - name: remove the old data dir
      file: { path: /var/lib/demo, state: absent }
    - name: recreate it
      file: { path: /var/lib/demo, state: directory, mode: "0700" }
    - name: put a file in it
      copy: { dest: /var/lib/demo/state, content: "fresh\\n" }
    - name: a unit that does not exist yet
      copy:
        dest: /etc/systemd/system/later.service
        content: "[Unit]\\nDescription=later\\n[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n"
    - name: load it
      systemd: { daemon_reload: true }
    - name: start the new unit
      systemd: { name: later, state: started, enabled: true }
    - name: stop demo
      systemd: { name: demo, state: stopped }
      register: stopped
    - name: only when demo was stopped
      copy: { dest: /etc/demo-was-stopped, content: "yes\\n" }
      when: stopped is changed
    - name: start demo again
      systemd: { name: demo, state: started }
    - name: a probe that reads the host
      command: cat /etc/app.conf
      register: probe
      changed_when: false
    - name: depends on the probe
      copy: { dest: /etc/probe-said, content: "{{ probe.stdout }}" }
      when: "'debug' in probe.stdout"
`;

describe('check mode on real-systemd nodes', { timeout: 300_000 }, () => {
  let lab: SystemdLab;
  let dir: string;
  let pb: string;
  let base: string[];

  before(async () => {
    lab = await createSystemdLab({ name: 'it-ck', nodes: NODES.map((name) => ({ name, groups: ['nodes'] })) });
    dir = mkdtempSync(join(tmpdir(), 'fleet-ck-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'app.conf.hbs'), 'name={{ inventory_hostname }}\nlevel=info\n');
    pb = join(dir, 'play.yaml');
    writeFileSync(pb, PLAYBOOK);
    base = ['-i', lab.inventoryPath, '--known-hosts', lab.knownHostsPath, '--state-dir', join(dir, 'state'), '--output', 'json'];
    for (const n of NODES) {
      const r = await lab.exec(n, [
        'set -e',
        'mkdir -p /var/lib/demo && echo old > /var/lib/demo/old',
        "printf '[Unit]\\nDescription=demo\\n[Service]\\nExecStart=/bin/sleep infinity\\n' > /etc/systemd/system/demo.service",
        'systemctl daemon-reload && systemctl start demo',
      ].join('\n'));
      assert.equal(r.code, 0, r.stderr);
    }
  });

  after(async () => {
    await lab?.down();
  });

  it('changes nothing, chains predictions, and predicts exactly what the real run does', async () => {
    const snaps = await Promise.all(NODES.map((n) => snapshotFiles((s) => lab.exec(n, s), DIRS, EXCLUDE)));
    const services = async (n: string) => (await lab.exec(n, 'systemctl is-active demo later; systemctl is-enabled later; true')).stdout;
    const svcBefore = await Promise.all(NODES.map(services));

    const check = fleet(['run', pb, '--check', ...base]);
    assert.equal(check.code, 0, check.stderr + check.stdout);
    assert.equal(runEnd(check).check, true);

    // nothing changed, byte for byte, and no service changed state
    for (const [i, n] of NODES.entries()) {
      assert.deepEqual(diffSnapshots(snaps[i]!, await snapshotFiles((s) => lab.exec(n, s), DIRS, EXCLUDE)), [], `${n} changed in check mode`);
      assert.equal(await services(n), svcBefore[i]);
    }

    const checkTasks = eventsOf(check.events, 'host-task').filter((t) => t.host === 'c1');
    const byName = (name: string) => checkTasks.find((t) => t.task === name)!;
    // the lineinfile diff is against the rendered (predicted) content, not the absent file
    const edit = byName('edit the rendered file').effects.diffs[0]!;
    assert.equal(edit.before, 'file');
    assert.match(edit.unified!, /-level=info\n\+level=debug/);
    // removed then recreated: the recreate is predicted against absence
    assert.deepEqual(byName('recreate it').effects.diffs.map((d) => [d.before, d.after]), [['absent', 'directory']]);
    assert.equal(byName('put a file in it').status, 'changed');
    // a unit written and loaded earlier can be started in check mode (Ansible fails here)
    const start = byName('start the new unit');
    assert.equal(start.status, 'changed', start.msg);
    assert.deepEqual(start.effects.services.map((s) => `${s.name} ${s.before.active}->${s.after.active} ${s.before.enabled}->${s.after.enabled}`).sort(),
      ['later.service inactive->active enabled->enabled', 'later.service inactive->inactive disabled->enabled'].sort());
    // a service stopped by an earlier task is predicted stopped, and the task conditioned on it runs
    assert.equal(byName('only when demo was stopped').status, 'changed');
    assert.deepEqual(byName('start demo again').effects.services.map((s) => `${s.before.active}->${s.after.active}`), ['inactive->active']);
    // a command does not run in check mode; what depends on its output is unknown, not guessed
    assert.equal(byName('a probe that reads the host').effects.commands[0], 'cat /etc/app.conf');
    assert.equal(byName('depends on the probe').status, 'unknown');

    // the real run: its diffs are the ones check mode predicted
    const real = fleet(['run', pb, ...base]);
    assert.equal(real.code, 0, real.stderr + real.stdout);
    for (const n of NODES) {
      const predicted = eventsOf(check.events, 'host-task').filter((t) => t.host === n).filter((t) => t.status !== 'unknown');
      const actual = new Map(eventsOf(real.events, 'host-task').filter((t) => t.host === n).map((t) => [t.task, t]));
      for (const p of predicted) {
        const a = actual.get(p.task)!;
        assert.deepEqual(a.effects.diffs, p.effects.diffs, `${n} [${p.task}] file diffs`);
        assert.deepEqual(a.effects.services, p.effects.services, `${n} [${p.task}] service changes`);
        assert.equal(a.status, p.status, `${n} [${p.task}] status`);
      }
    }
    assert.equal((await lab.exec('c1', 'cat /etc/probe-said')).stdout, 'name=c1\nlevel=debug');
  });
});
