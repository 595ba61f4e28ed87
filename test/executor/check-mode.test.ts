import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleet, hostTask, ofKind, run, taskLines, yaml } from './helpers.ts';
import type { MemoryHostInit } from '../support/memory-host.ts';
import type { RunEvent } from '../../src/events/types.ts';

const TEMPLATES = { 'templates/app.conf.hbs': 'port={{ port }}\nname={{ inventory_hostname }}\n' };

const SITE = yaml(
  '- hosts: all',
  '  vars: { port: 8080 }',
  '  tasks:',
  '    - name: render',
  '      template: { src: app.conf.hbs, dest: /etc/app/app.conf, mode: "0640" }',
  '      notify: restart app',
  '    - name: tune',
  "      lineinfile: { path: /etc/app/app.conf, regexp: '^port=', line: 'port=9090' }",
  '    - name: drop old',
  '      file: { path: /srv/old, state: absent }',
  '    - name: new dir',
  '      file: { path: /srv/new/sub, state: directory, mode: "0750" }',
  '    - name: new file',
  '      copy: { dest: /srv/new/sub/f.txt, content: "hello\\n" }',
  '    - name: legacy gone',
  '      file: { path: /etc/legacy.conf, state: absent }',
  '    - name: legacy back',
  '      copy: { dest: /etc/legacy.conf, content: "legacy v2\\n" }',
  '    - name: unit',
  '      copy: { dest: /etc/systemd/system/new.service, content: "[Service]\\nExecStart=/bin/true\\n" }',
  '    - name: reload',
  '      systemd: { daemon_reload: true }',
  '    - name: start new',
  '      systemd: { name: new, state: started, enabled: true }',
  '    - name: migrate',
  '      command: migrate --fast',
  '  handlers:',
  '    - name: restart app',
  '      systemd: { name: app, state: restarted }',
);

function site(): MemoryHostInit {
  return {
    files: {
      '/etc/app/app.conf': 'port=1\nname=old\n',
      '/srv/old/data.txt': 'data\n',
      '/srv/old/deep/more.bin': Buffer.from([0, 1, 2]),
      '/etc/legacy.conf': 'legacy\n',
      '/etc/systemd/system/other.service': '[Service]\n',
    },
    services: { 'app.service': { active: 'active', enabled: 'enabled' } },
    commands: { 'migrate --fast': { stdout: 'migrated\n' } },
  };
}

/** host / task / status / effects of every host-task event, host by host (hosts finish a task in any order). */
function effects(events: RunEvent[]) {
  const all = ofKind(events, 'host-task').map((e) => ({ host: e.host, task: e.task, status: e.status, effects: e.effects }));
  return [...new Set(all.map((e) => e.host))].sort().flatMap((h) => all.filter((e) => e.host === h));
}

test('check mode changes nothing on the host and predicts exactly the diffs of the real run that follows', async () => {
  const hosts = fleet({ h1: site(), h2: site() });
  const before = new Map([...hosts].map(([n, h]) => [n, h.snapshot()]));

  const check = await run({ playbook: SITE, hosts, check: true, files: TEMPLATES });
  assert.equal(check.summary.result, 'ok');
  for (const [n, h] of hosts) {
    assert.deepEqual(h.snapshot(), before.get(n), `${n}: files changed in check mode`);
    assert.deepEqual(h.log.filter((s) => !/^systemctl show \S+ -p LoadState -p ActiveState -p UnitFileState$/.test(s)), [], `${n}: check mode sent more than reads`);
    assert.equal(h.service('app.service').active, 'active');
    assert.equal(h.service('new.service').load, 'not-found');
    assert.equal(h.daemonReloads, 0);
  }
  assert.ok(ofKind(check.events, 'host-task').every((e) => e.check));
  const migrate = hostTask(check.events, 'h1', 'migrate');
  assert.equal(migrate.msg, 'would run');
  assert.deepEqual(migrate.effects.commands, ['migrate --fast']);

  for (const h of hosts.values()) h.log.length = 0;
  const real = await run({ playbook: SITE, hosts, files: TEMPLATES });
  assert.equal(real.summary.result, 'ok');
  assert.deepEqual(effects(check.events), effects(real.events));
  assert.deepEqual(taskLines(real.events, 'h1'), [
    'h1 render changed', 'h1 tune changed', 'h1 drop old changed', 'h1 new dir changed', 'h1 new file changed',
    'h1 legacy gone changed', 'h1 legacy back changed', 'h1 unit changed', 'h1 reload changed', 'h1 start new changed',
    'h1 migrate changed', 'h1 restart app changed',
  ]);

  // what the real run did
  const h1 = hosts.get('h1')!;
  assert.equal(h1.text('/etc/app/app.conf'), 'port=9090\nname=h1\n');
  const conf = h1.files.get('/etc/app/app.conf');
  assert.ok(conf?.kind === 'file');
  assert.equal(conf.meta.mode, 0o640);
  assert.equal(h1.files.has('/srv/old'), false);
  assert.equal(h1.files.has('/srv/old/deep/more.bin'), false);
  assert.equal(h1.files.get('/srv/new/sub')?.kind, 'directory');
  assert.equal(h1.text('/srv/new/sub/f.txt'), 'hello\n');
  assert.equal(h1.text('/etc/legacy.conf'), 'legacy v2\n');
  assert.deepEqual(h1.service('new.service'), { name: 'new.service', load: 'loaded', active: 'active', enabled: 'enabled' });
  assert.equal(h1.daemonReloads, 1);
  assert.ok(h1.log.includes('migrate --fast'));
  assert.ok(h1.log.includes('systemctl restart -- app.service'));

  // the predicted effects, spelled out for one host
  const fx = (task: string) => hostTask(check.events, 'h1', task).effects;
  assert.deepEqual(fx('render').diffs, [{
    path: '/etc/app/app.conf', before: 'file', after: 'file',
    unified: '--- /etc/app/app.conf\n+++ /etc/app/app.conf\n@@ -1,2 +1,2 @@\n-port=1\n-name=old\n+port=8080\n+name=h1\n',
    attrs: { before: '0644 root:root', after: '0640 root:root' },
  }]);
  // chained prediction: the lineinfile diff is against the content the template would write
  assert.deepEqual(fx('tune').diffs, [{
    path: '/etc/app/app.conf', before: 'file', after: 'file',
    unified: '--- /etc/app/app.conf\n+++ /etc/app/app.conf\n@@ -1,2 +1,2 @@\n-port=8080\n+port=9090\n name=h1\n',
  }]);
  assert.deepEqual(fx('drop old').diffs, [{ path: '/srv/old', before: 'directory', after: 'absent' }]);
  assert.deepEqual(fx('new dir').diffs, [{ path: '/srv/new/sub', before: 'absent', after: 'directory' }]);
  assert.deepEqual(fx('new file').diffs.map((d) => [d.before, d.after]), [['absent', 'file']]);
  // removed, then recreated: the second diff starts from absent
  assert.deepEqual(fx('legacy gone').diffs, [{
    path: '/etc/legacy.conf', before: 'file', after: 'absent',
    unified: '--- /etc/legacy.conf\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-legacy\n',
  }]);
  assert.deepEqual(fx('legacy back').diffs, [{
    path: '/etc/legacy.conf', before: 'absent', after: 'file',
    unified: '--- /dev/null\n+++ /etc/legacy.conf\n@@ -0,0 +1,1 @@\n+legacy v2\n',
  }]);
  // a unit written and loaded by a predicted daemon-reload can be predicted to start
  assert.deepEqual(fx('start new').services, [
    { name: 'new.service', before: { active: 'inactive', enabled: 'disabled' }, after: { active: 'inactive', enabled: 'enabled' } },
    { name: 'new.service', before: { active: 'inactive', enabled: 'enabled' }, after: { active: 'active', enabled: 'enabled' } },
  ]);
  assert.deepEqual(hostTask(check.events, 'h1', 'restart app').effects.services, [
    { name: 'app.service', before: { active: 'active', enabled: 'enabled' }, after: { active: 'active', enabled: 'enabled' }, action: 'restart' },
  ]);

  // a check run after the real one: converged tasks are ok; the ones that undo each other
  // (template vs lineinfile, remove vs recreate) and those that always act are not
  const again = await run({ playbook: SITE, hosts, check: true, files: TEMPLATES });
  const lines = taskLines(again.events, 'h1');
  assert.deepEqual(lines.filter((l) => l.endsWith(' ok')), ['h1 drop old ok', 'h1 new dir ok', 'h1 new file ok', 'h1 unit ok', 'h1 start new ok']);
  assert.deepEqual(lines.filter((l) => !l.endsWith(' ok')), [
    'h1 render changed', 'h1 tune changed', 'h1 legacy gone changed', 'h1 legacy back changed',
    'h1 reload changed', 'h1 migrate changed', 'h1 restart app changed',
  ]);
});

test('check mode: a command "would run"; a when on its result is unknown; check_mode: false runs for real', async () => {
  const hosts = fleet({
    h1: {
      files: { '/etc/motd': 'hi\n' },
      commands: { 'cat /etc/os-release': { stdout: 'ID=debian\n' }, 'systemctl is-system-running': { stdout: 'running\n' } },
    },
  });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: probe, command: cat /etc/os-release, register: os, check_mode: false, changed_when: false }',
    '    - { name: status, command: systemctl is-system-running, register: st }',
    '    - { name: on debian, copy: { dest: /etc/motd, content: "debian\\n" }, when: "\'debian\' in os.stdout" }',
    '    - { name: when running, copy: { dest: /etc/motd, content: "running\\n" }, when: "st.stdout == \'running\'" }',
    '    - { name: depends, debug: { msg: "{{ st.rc }}" } }',
  );
  const { events, summary } = await run({ playbook: pb, hosts, check: true });
  assert.deepEqual(hosts.get('h1')!.log, ['cat /etc/os-release']);
  assert.equal(hosts.get('h1')!.text('/etc/motd'), 'hi\n');
  assert.deepEqual(taskLines(events), [
    'h1 probe ok',
    'h1 status changed',
    'h1 on debian changed',
    'h1 when running unknown',
    'h1 depends unknown',
  ]);
  assert.equal(hostTask(events, 'h1', 'status').msg, 'would run');
  assert.deepEqual(hostTask(events, 'h1', 'status').effects.commands, ['systemctl is-system-running']);
  assert.match(hostTask(events, 'h1', 'when running').msg ?? '', /^unknown until run/);
  assert.equal(summary.recap.h1!.unknown, 2);
  assert.equal(summary.result, 'ok');
});

for (const check of [true, false]) {
  test(`replace with a typo in the regexp fails in the plan (${check ? 'check' : 'apply'} mode) and changes nothing`, async () => {
    const conf = 'net:\n  cidr: 192.168.0.0/16\n';
    const hosts = fleet({ h1: { files: { '/etc/calico.yaml': conf, '/etc/other': 'x\n' } } });
    const pb = yaml(
      '- hosts: all',
      '  tasks:',
      '    - { name: other, copy: { dest: /etc/other, content: "y\\n" } }',
      "    - { name: cidr, replace: { path: /etc/calico.yaml, regexp: '192.168.0.0./16', replace: '10.244.0.0/16' } }",
    );
    const { events, summary } = await run({ playbook: pb, hosts, check });
    const t = hostTask(events, 'h1', 'cidr');
    assert.equal(t.status, 'failed');
    assert.equal(t.msg, "replace: /etc/calico.yaml: regexp '192.168.0.0./16' matches nothing; nothing would change");
    assert.deepEqual(t.effects.diffs, []);
    assert.equal(hosts.get('h1')!.text('/etc/calico.yaml'), conf);
    assert.equal(summary.result, 'failed');
    // the earlier change is predicted (check) or rolled back (apply)
    assert.equal(hosts.get('h1')!.text('/etc/other'), 'x\n');
    assert.equal(summary.recap.h1!.state, check ? 'failed' : 'rolled-back');
  });
}

test('check mode: after a directory is (predicted to be) removed, nothing under it exists, as in the real run', async () => {
  const pb = yaml(
    '- hosts: all',
    '  rollback: false',
    '  tasks:',
    '    - { name: rm, file: { path: /srv/old, state: absent } }',
    '    - { name: put, copy: { dest: /srv/old/data.txt, content: "new\\n" } }',
  );
  const outcome = async (check: boolean) => {
    const hosts = fleet({ h1: { files: { '/srv/old/data.txt': 'data\n' } } });
    const { events } = await run({ playbook: pb, hosts, check });
    return ofKind(events, 'host-task').map((e) => [e.task, e.status, e.msg, e.effects.diffs]);
  };
  const predicted = await outcome(true);
  assert.deepEqual(predicted, await outcome(false));
  assert.deepEqual(predicted[1], ['put', 'failed', 'copy: parent directory /srv/old of /srv/old/data.txt does not exist (create it first with a file task, state: directory)', []]);
});
