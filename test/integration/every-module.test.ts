/**
 * Issue 2's "done when": one playbook using every module, run against a
 * 10-host lab whose hosts boot real systemd (so the systemd module is real
 * too), changes what it should and reports it; a second run reports 0 changed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSystemdLab, type SystemdLab } from '../lab/nspawn/index.ts';
import { runFleet, runEnd, hostTask } from './helpers.ts';
import { modules } from '../../src/modules/index.ts';

const NODES = Array.from({ length: 10 }, (_, i) => `e${i + 1}`);

const PLAYBOOK = `
- name: every module
  hosts: all
  vars: { port: 8125 }
  tasks:
    - name: app dir
      file: { path: /opt/app, state: directory, mode: "0755" }
    - name: config from a template
      template: { src: app.conf.hbs, dest: /opt/app/app.conf, mode: "0640" }
    - name: a line in the hosts file
      lineinfile: { path: /etc/hosts, regexp: ' app\\.local$', line: 127.0.0.1 app.local }
    - name: a static file
      copy: { dest: /opt/app/static.txt, content: "static\\n" }
    - name: the safe sed on the pool CIDR
      replace: { path: /etc/pool.conf, regexp: '192\\.168\\.0\\.0/16', replace: 172.30.0.0/16 }
    - name: a unit
      copy:
        dest: /etc/systemd/system/app.service
        content: "[Unit]\\nDescription=app\\n[Service]\\nExecStart=/usr/bin/python3 -m http.server {{ port }} --bind 127.0.0.1\\n[Install]\\nWantedBy=multi-user.target\\n"
      register: unit
    - name: load, enable and start it
      systemd: { name: app, daemon_reload: "{{ unit.changed }}", state: started, enabled: true }
    - name: it listens
      wait_for: { port: "{{ port }}", state: started, timeout: 30 }
    - name: ask it
      command: { argv: [python3, -c, "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{{ port }}/').status)"] }
      register: answer
      changed_when: false
    - name: shell pipeline
      shell: "systemctl is-enabled app | tr a-z A-Z"
      register: enabled
      changed_when: false
    - name: remember
      set_fact: { served: "{{ answer.stdout }}" }
    - name: it answered
      assert: { that: ["served == '200'", "enabled.stdout == 'ENABLED'"] }
    - name: say so
      debug: { msg: "{{ inventory_hostname }} serves on {{ port }}" }
    - name: never on a healthy host
      fail: { msg: "app is not enabled" }
      when: enabled.stdout != 'ENABLED'
`;

describe('one playbook using every module on 10 real-systemd hosts', { timeout: 600_000 }, () => {
  let lab: SystemdLab;
  let dir: string;
  let base: string[];
  let pb: string;

  before(async () => {
    lab = await createSystemdLab({ name: 'it-all', nodes: NODES.map((name) => ({ name, groups: ['nodes'] })) });
    dir = mkdtempSync(join(tmpdir(), 'fleet-all-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'app.conf.hbs'), 'host={{ inventory_hostname }}\nport={{ port }}\nlevel=info\n');
    pb = join(dir, 'play.yaml');
    writeFileSync(pb, PLAYBOOK);
    for (const n of NODES) assert.equal((await lab.exec(n, 'printf "cidr 192.168.0.0/16\\n" > /etc/pool.conf')).code, 0);
    base = ['-i', lab.inventoryPath, '--known-hosts', lab.knownHostsPath, '--state-dir', join(dir, 'state'), '--output', 'json'];
  });

  after(async () => {
    await lab?.down();
  });

  it('uses every module, changes what it should, and a second run changes nothing', async () => {
    const used = new Set([...PLAYBOOK.matchAll(/^ {6}(\w+):/gm)].map((m) => m[1]));
    for (const name of Object.keys(modules)) assert.ok(used.has(name), `the playbook uses ${name}`);

    const first = runFleet(['run', pb, ...base], { timeoutMs: 300_000 });
    assert.equal(first.code, 0, first.stderr + first.stdout.slice(-3000));
    const recap = runEnd(first).recap;
    assert.deepEqual(Object.keys(recap).sort(), [...NODES].sort());
    for (const n of NODES) {
      assert.equal(recap[n]!.state, 'ok');
      assert.equal(recap[n]!.changed, 7, `${n}: file, template, lineinfile, copy, replace, unit, systemd`);
      assert.equal(hostTask(first, 'say so', n).msg, `${n} serves on 8125`);
      assert.equal(hostTask(first, 'never on a healthy host', n).status, 'skipped');
    }
    for (const n of ['e1', 'e5', 'e10']) {
      const r = await lab.exec(n, 'cat /opt/app/app.conf /opt/app/static.txt /etc/pool.conf; grep -c "app.local" /etc/hosts; stat -c %a /opt/app/app.conf; systemctl is-active app; systemctl is-enabled app');
      assert.equal(r.stdout, `host=${n}\nport=8125\nlevel=info\nstatic\ncidr 172.30.0.0/16\n1\n640\nactive\nenabled\n`);
    }

    const second = runFleet(['run', pb, ...base], { timeoutMs: 300_000 });
    assert.equal(second.code, 0, second.stderr);
    for (const [n, r] of Object.entries(runEnd(second).recap)) assert.equal(r.changed, 0, `${n} changed on the second run`);
  });
});
