import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleet, ofKind, run, taskLines, yaml } from './helpers.ts';
import type { MemoryHostInit } from '../support/memory-host.ts';
import type { PathState } from '../../src/modules/types.ts';
import { RunJournal } from '../../src/journal/journal.ts';
import { rollbackHost } from '../../src/executor/rollback.ts';
import type { RunEvent } from '../../src/events/types.ts';

const kube = (mode: number) => ({ mode, owner: 'kube', group: 'kube', uid: 1000, gid: 1000 });
const file = (content: string, mode = 0o644): PathState => ({ kind: 'file', content: Buffer.from(content), meta: { mode, owner: 'root', group: 'root', uid: 0, gid: 0 } });

function node(): MemoryHostInit {
  return {
    files: {
      '/etc/app/a.conf': { kind: 'file', content: Buffer.from('a=1\n'), meta: kube(0o600) },
      '/srv/cache': { kind: 'directory', meta: kube(0o750) },
      '/srv/cache/x.bin': { kind: 'file', content: Buffer.from([0, 255, 1]), meta: kube(0o640) },
      '/srv/cache/sub/y.txt': file('y\n', 0o600),
      '/srv/cache/link': { kind: 'other', type: 'symlink', meta: { mode: 0o777, owner: 'root', group: 'root', uid: 0, gid: 0 } },
    },
  };
}

const SITE = yaml(
  '- hosts: all',
  '  vars: { bad: [h2] }',
  '  tasks:',
  '    - { name: a, copy: { dest: /etc/app/a.conf, content: "a=2\\n" } }',
  '    - { name: b, copy: { dest: /etc/app/b.conf, content: "b\\n", mode: "0600" } }',
  '    - { name: drop cache, file: { path: /srv/cache, state: absent } }',
  '    - { name: check, fail: { msg: health check failed }, when: inventory_hostname in bad }',
);

function steps(events: RunEvent[], host: string): string[] {
  return ofKind(events, 'rollback-step').filter((e) => e.host === host).map((e) => `${e.status} ${e.description}`);
}

test('a failed host is rolled back byte for byte (content, mode, owner, trees); the others keep their changes', async () => {
  const hosts = fleet({ h1: node(), h2: node(), h3: node() });
  const before = hosts.get('h2')!.snapshot();
  const { summary, events } = await run({ playbook: SITE, hosts });

  assert.equal(summary.result, 'failed');
  assert.deepEqual(hosts.get('h2')!.snapshot(), before);
  assert.equal(summary.recap.h2!.state, 'rolled-back');
  assert.equal(summary.recap.h2!.rolledBack, 1);
  assert.equal(summary.recap.h2!.failed, 1);
  assert.deepEqual(ofKind(events, 'rollback-start').map((e) => [e.host, e.steps]), [['h2', 3]]);
  assert.deepEqual(steps(events, 'h2'), ['done restore /srv/cache', 'done restore /etc/app/b.conf', 'done restore /etc/app/a.conf']);
  assert.deepEqual(ofKind(events, 'rollback-end').map((e) => [e.host, e.status]), [['h2', 'rolled-back']]);
  // the restore diffs go from what fleet left back to what was there
  const restoreA = ofKind(events, 'rollback-step').find((e) => e.description === 'restore /etc/app/a.conf')!;
  assert.deepEqual(restoreA.effects?.diffs, [{
    path: '/etc/app/a.conf', before: 'file', after: 'file',
    unified: '--- /etc/app/a.conf\n+++ /etc/app/a.conf\n@@ -1,1 +1,1 @@\n-a=2\n+a=1\n',
  }]);

  for (const n of ['h1', 'h3']) {
    const h = hosts.get(n)!;
    assert.equal(summary.recap[n]!.state, 'ok');
    assert.equal(summary.recap[n]!.rolledBack, 0);
    assert.equal(h.text('/etc/app/a.conf'), 'a=2\n');
    assert.deepEqual((h.files.get('/etc/app/a.conf') as { meta: unknown }).meta, kube(0o600), 'a write keeps mode and owner');
    assert.equal(h.text('/etc/app/b.conf'), 'b\n');
    assert.equal(h.files.has('/srv/cache'), false);
  }
  assert.deepEqual(ofKind(events, 'run-end').map((e) => [e.result, e.recap.h2!.state]), [['failed', 'rolled-back']]);
});

test('noRollback: the failed host keeps its changes', async () => {
  const hosts = fleet({ h1: node(), h2: node() });
  const { summary, events } = await run({ playbook: SITE, hosts, noRollback: true });
  const h2 = hosts.get('h2')!;
  assert.equal(h2.text('/etc/app/a.conf'), 'a=2\n');
  assert.equal(h2.text('/etc/app/b.conf'), 'b\n');
  assert.equal(h2.files.has('/srv/cache'), false);
  assert.equal(summary.recap.h2!.state, 'failed');
  assert.equal(summary.recap.h2!.rolledBack, 0);
  assert.equal(ofKind(events, 'rollback-start').length, 0);
});

test('play rollback: false also leaves the failed host changed', async () => {
  const hosts = fleet({ h2: node() });
  const { summary } = await run({ playbook: SITE.replace('- hosts: all\n', '- hosts: all\n  rollback: false\n'), hosts });
  assert.equal(hosts.get('h2')!.text('/etc/app/b.conf'), 'b\n');
  assert.equal(summary.recap.h2!.state, 'failed');
});

test('a command with rollback: has its rollback command run, newest first', async () => {
  const hosts = fleet({
    h1: {
      files: { '/etc/users': 'root\n' },
      commands: { 'useradd bob': {}, 'userdel bob': {}, 'restart-thing': { code: 1, stderr: 'nope\n' } },
    },
  });
  const pb = yaml(
    '- hosts: all',
    '  vars: { who: bob }',
    '  tasks:',
    '    - { name: users, copy: { dest: /etc/users, content: "root\\nbob\\n" } }',
    '    - { name: add, command: "useradd {{ who }}", rollback: "userdel {{ who }}" }',
    '    - { name: restart, command: restart-thing }',
  );
  const { summary, events } = await run({ playbook: pb, hosts });
  const h = hosts.get('h1')!;
  assert.deepEqual(h.log, ['useradd bob', 'restart-thing', 'userdel bob']);
  assert.equal(h.text('/etc/users'), 'root\n');
  assert.equal(summary.recap.h1!.state, 'rolled-back');
  // the failed command is taken to have changed nothing: it is not undone
  assert.deepEqual(steps(events, 'h1'), ['done run userdel bob', 'done restore /etc/users']);
});

test('a command without rollback: stops the rollback there (failed-to-rollback); newer changes are undone', async () => {
  const hosts = fleet({ h1: { files: { '/etc/x': 'x0\n', '/etc/y': 'y0\n' }, commands: { 'useradd bob': {} } } });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: x, copy: { dest: /etc/x, content: "x1\\n" } }',
    '    - { name: add, command: useradd bob }',
    '    - { name: y, copy: { dest: /etc/y, content: "y1\\n" } }',
    '    - { name: boom, fail: { msg: boom } }',
  );
  const { summary, events } = await run({ playbook: pb, hosts });
  const h = hosts.get('h1')!;
  assert.equal(h.text('/etc/y'), 'y0\n', 'undone: newer than the command');
  assert.equal(h.text('/etc/x'), 'x1\n', 'not undone: older than the command');
  assert.equal(summary.recap.h1!.state, 'failed-to-rollback');
  assert.equal(summary.recap.h1!.rolledBack, 0);
  assert.equal(summary.result, 'failed');
  assert.deepEqual(steps(events, 'h1'), ['done restore /etc/y', 'failed undo run useradd bob']);
  const end = ofKind(events, 'rollback-end')[0]!;
  assert.equal(end.status, 'failed-to-rollback');
  assert.match(end.msg ?? '', /cannot undo "add": it ran `useradd bob` and declares no rollback command/);
});

test('rollbackHost of a finished run: refuses a drifted file without force, restores with force', async () => {
  const hosts = fleet({ h1: { files: { '/etc/a': 'a0\n', '/etc/b': 'b0\n' } } });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: a, copy: { dest: /etc/a, content: "a1\\n" } }',
    '    - { name: b, copy: { dest: /etc/b, content: "b1\\n" } }',
  );
  const { summary, stateDir } = await run({ playbook: pb, hosts });
  assert.equal(summary.result, 'ok');
  const h = hosts.get('h1')!;
  await h.base.write('/etc/a', Buffer.from('edited by hand\n'));

  const journal = await RunJournal.open(stateDir, summary.runId);
  const events: RunEvent[] = [];
  const opts = { host: 'h1', journal, emit: (e: RunEvent) => events.push(e), check: false, reason: 'test' };
  const refused = await rollbackHost({ ...opts, transport: await h.connect(), force: false });
  assert.equal(refused, 'failed-to-rollback');
  assert.equal(h.text('/etc/b'), 'b0\n', 'the newer, undrifted change was undone before the drift was met');
  assert.equal(h.text('/etc/a'), 'edited by hand\n');
  assert.match(ofKind(events, 'rollback-end')[0]!.msg ?? '', /\/etc\/a changed since fleet wrote it \(drift\)/);

  events.length = 0;
  const forced = await rollbackHost({ ...opts, transport: await h.connect(), force: true });
  assert.equal(forced, 'rolled-back');
  assert.equal(h.text('/etc/a'), 'a0\n');
  assert.deepEqual(steps(events, 'h1'), ['done restore /etc/a']);
  assert.deepEqual(ofKind(events, 'rollback-start').map((e) => e.steps), [1]);

  // nothing is left to undo
  events.length = 0;
  assert.equal(await rollbackHost({ ...opts, transport: await h.connect(), force: false }), 'rolled-back');
  assert.deepEqual(ofKind(events, 'rollback-start').map((e) => e.steps), [0]);
  await journal.close();
});

test('rollbackHost in check mode plans the steps and changes nothing', async () => {
  const hosts = fleet({ h1: { files: { '/etc/a': 'a0\n' }, services: { 'app.service': { active: 'active', enabled: 'enabled' } } } });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: a, copy: { dest: /etc/a, content: "a1\\n" } }',
    '    - { name: stop, systemd: { name: app, state: stopped } }',
  );
  const { summary, stateDir } = await run({ playbook: pb, hosts });
  assert.deepEqual(taskLines((await run({ playbook: pb, hosts, check: true })).events), ['h1 a ok', 'h1 stop ok']);
  const h = hosts.get('h1')!;
  const snap = h.snapshot();
  const journal = await RunJournal.open(stateDir, summary.runId);
  const events: RunEvent[] = [];
  const status = await rollbackHost({ host: 'h1', journal, transport: await h.connect(), emit: (e) => events.push(e), check: true, force: false, reason: 'preview' });
  assert.equal(status, 'rolled-back');
  assert.deepEqual(steps(events, 'h1'), ['planned restore /etc/a', 'planned systemctl reset-failed, start app.service']);
  assert.deepEqual(h.snapshot(), snap);
  assert.equal(h.service('app.service').active, 'inactive');

  const applied = await rollbackHost({ host: 'h1', journal, transport: await h.connect(), emit: () => undefined, check: false, force: false, reason: 'undo' });
  assert.equal(applied, 'rolled-back');
  assert.equal(h.text('/etc/a'), 'a0\n');
  assert.equal(h.service('app.service').active, 'active');
  await journal.close();
});

test('a read-only command (changed_when: false) does not block rollback', async () => {
  const hosts = fleet({ h1: { files: { '/etc/x': 'x0\n' }, commands: { 'cat /etc/x': { stdout: 'x1\n' } } } });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: x, copy: { dest: /etc/x, content: "x1\\n" } }',
    '    - { name: look, command: cat /etc/x, changed_when: false }',
    '    - { name: boom, fail: { msg: boom } }',
  );
  const { summary, events } = await run({ playbook: pb, hosts });
  assert.equal(summary.recap.h1!.state, 'rolled-back');
  assert.equal(hosts.get('h1')!.text('/etc/x'), 'x0\n');
  assert.deepEqual(steps(events, 'h1'), ['done restore /etc/x']);
});

test('rollback restores a unit file, reloads systemd, and brings services back (restarting a running one)', async () => {
  const hosts = fleet({
    h1: {
      files: { '/etc/systemd/system/app.service': '[Service]\nExecStart=/bin/app\n', '/etc/app.conf': 'v1\n' },
      services: { 'app.service': { active: 'active', enabled: 'enabled' }, 'old.service': { active: 'active', enabled: 'enabled' } },
    },
  });
  const before = hosts.get('h1')!.snapshot();
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: unit, copy: { dest: /etc/systemd/system/app.service, content: "[Service]\\nExecStart=/bin/app --new\\n" } }',
    '    - { name: conf, copy: { dest: /etc/app.conf, content: "v2\\n" } }',
    '    - { name: reload, systemd: { daemon_reload: true } }',
    '    - { name: restart, systemd: { name: app, state: restarted } }',
    '    - { name: old off, systemd: { name: old, state: stopped, enabled: false } }',
    '    - { name: boom, fail: { msg: boom } }',
  );
  const { summary, events } = await run({ playbook: pb, hosts });
  const h = hosts.get('h1')!;
  assert.equal(summary.recap.h1!.state, 'rolled-back');
  assert.deepEqual(h.snapshot(), before);
  assert.deepEqual(h.service('app.service'), { name: 'app.service', load: 'loaded', active: 'active', enabled: 'enabled' });
  assert.deepEqual(h.service('old.service'), { name: 'old.service', load: 'loaded', active: 'active', enabled: 'enabled' });
  assert.deepEqual(steps(events, 'h1'), [
    'done restore /etc/app.conf',
    'done restore /etc/systemd/system/app.service',
    'done systemctl daemon-reload',
    'done systemctl restart app.service',
    'done systemctl enable, reset-failed, start old.service',
  ]);
  const rollbackScripts = h.log.slice(h.log.lastIndexOf('systemctl daemon-reload'));
  assert.deepEqual(rollbackScripts.filter((s) => !s.startsWith('systemctl show')), [
    'systemctl daemon-reload',
    'systemctl restart -- app.service',
    'systemctl enable -- old.service',
    'systemctl reset-failed -- old.service',
    'systemctl start -- old.service',
  ]);
  assert.equal(h.daemonReloads, 2);
});
