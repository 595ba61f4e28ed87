import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleet, ofKind, run, taskLines, yaml } from './helpers.ts';
import type { MemoryHostInit } from '../support/memory-host.ts';

const PLAYBOOK = yaml(
  '- hosts: all',
  '  vars: { bad: [] }',
  '  tasks:',
  '    - name: app conf',
  '      copy: { dest: /etc/app.conf, content: "v2\\n" }',
  '      notify: [reload web, restart app]',
  '    - name: other conf',
  '      copy: { dest: /etc/other.conf, content: "x\\n" }',
  '      notify: [restart app, web changed]',
  '    - name: same conf',
  '      copy: { dest: /etc/same.conf, content: "same\\n" }',
  '      notify: never',
  '    - name: maybe fail',
  '      fail: { msg: boom }',
  '      when: inventory_hostname in bad',
  '  handlers:',
  '    - name: restart app',
  '      systemd: { name: app, state: restarted }',
  '    - name: never',
  '      command: never-run',
  '    - name: reload web',
  '      command: reload-web',
  '    - name: topic',
  '      command: on-topic',
  '      listen: web changed',
);

function host(changed: boolean): MemoryHostInit {
  return {
    files: {
      '/etc/app.conf': changed ? 'v1\n' : 'v2\n',
      '/etc/other.conf': changed ? 'old\n' : 'x\n',
      '/etc/same.conf': 'same\n',
    },
    services: { 'app.service': { active: 'active', enabled: 'enabled' } },
    commands: { 'never-run': {}, 'reload-web': {}, 'on-topic': {} },
  };
}

test('handlers: once per host, after all tasks, in handler order, only when notified by a changed task; listen topics', async () => {
  const hosts = fleet({ h1: host(true), h2: host(false) });
  const { summary, events } = await run({ playbook: PLAYBOOK, hosts });
  assert.equal(summary.result, 'ok');
  assert.deepEqual(taskLines(events, 'h1'), [
    'h1 app conf changed',
    'h1 other conf changed',
    'h1 same conf ok',
    'h1 maybe fail skipped',
    'h1 restart app changed',
    'h1 reload web changed',
    'h1 topic changed',
  ]);
  assert.deepEqual(taskLines(events, 'h2'), ['h2 app conf ok', 'h2 other conf ok', 'h2 same conf ok', 'h2 maybe fail skipped']);
  const h1 = hosts.get('h1')!;
  assert.deepEqual(h1.log.filter((s) => !s.startsWith('systemctl show')), ['systemctl restart -- app.service', 'reload-web', 'on-topic']);
  assert.deepEqual(hosts.get('h2')!.log, []);
  const handlerEvents = ofKind(events, 'host-task').filter((e) => e.handler);
  assert.deepEqual(handlerEvents.map((e) => e.task), ['restart app', 'reload web', 'topic']);
  // handlers run after every task of every host (linear)
  const lastTask = events.findLastIndex((e) => e.kind === 'host-task' && !e.handler);
  const firstHandler = events.findIndex((e) => e.kind === 'host-task' && e.handler);
  assert.ok(lastTask < firstHandler);
  assert.deepEqual(ofKind(events, 'task-start').filter((e) => e.handler).map((e) => [e.task, e.hosts]), [
    ['restart app', ['h1']],
    ['reload web', ['h1']],
    ['topic', ['h1']],
  ]);
  assert.equal(summary.recap.h1!.changed, 5);
  assert.equal(summary.recap.h1!.servicesChanged, 1);
});

test('handlers: a failed host runs none of its notified handlers; --force-handlers runs them', async () => {
  for (const forceHandlers of [false, true]) {
    const hosts = fleet({ h1: host(true), h2: host(true) });
    const pb = PLAYBOOK.replace('vars: { bad: [] }', 'vars: { bad: [h2] }').replace('- hosts: all\n', '- hosts: all\n  rollback: false\n');
    const { summary, events } = await run({ playbook: pb, hosts, forceHandlers });
    assert.equal(summary.recap.h2!.state, 'failed');
    const h2Handlers = ofKind(events, 'host-task').filter((e) => e.host === 'h2' && e.handler).map((e) => e.task);
    const h1Handlers = ofKind(events, 'host-task').filter((e) => e.host === 'h1' && e.handler).map((e) => e.task);
    assert.deepEqual(h1Handlers, ['restart app', 'reload web', 'topic']);
    if (forceHandlers) {
      assert.deepEqual(h2Handlers, ['restart app', 'reload web', 'topic']);
      assert.ok(hosts.get('h2')!.log.includes('reload-web'));
    } else {
      assert.deepEqual(h2Handlers, []);
      assert.ok(!hosts.get('h2')!.log.includes('reload-web'));
      assert.equal(hosts.get('h2')!.service('app.service').active, 'active');
      assert.ok(!hosts.get('h2')!.log.some((s) => s.startsWith('systemctl restart')));
    }
  }
});

test('handlers: a task that changes nothing (changed_when: false) notifies nothing', async () => {
  const hosts = fleet({ h1: { commands: { probe: { stdout: 'x' }, handle: {} } } });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: probe, command: probe, changed_when: false, notify: h }',
    '  handlers:',
    '    - { name: h, command: handle }',
  );
  const { events } = await run({ playbook: pb, hosts });
  assert.deepEqual(taskLines(events), ['h1 probe ok']);
  assert.deepEqual(hosts.get('h1')!.log, ['probe']);
});
