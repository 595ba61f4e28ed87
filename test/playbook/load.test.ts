import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadPlaybook, parsePlaybook } from '../../src/playbook/load.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';
import type { Block, Play } from '../../src/playbook/types.ts';
import { modules } from './fake-modules.ts';
import { FILE, L, parse, task, y } from './helpers.ts';

const FULL = y(
  '- name: Migrate', //                                               1
  '  hosts: masters:workers        # host pattern (required)',
  '  vars: { cluster_cidr: 172.30.0.0/16 }',
  '  serial: [1, 2, "50%"]',
  '  max_fail_percentage: 0', //                                      5
  '  any_errors_fatal: false',
  '  strategy: linear',
  '  become: true',
  '  become_user: root',
  '  rollback: true', //                                              10
  '  tags: [migrate]',
  '  tasks:',
  '    - name: Stop flanneld',
  '      systemd: { name: flanneld, state: stopped, enabled: false }',
  '      notify: reload things', //                                   15
  '      tags: [flannel]',
  '    - name: Probe',
  '      shell: ip link show flannel.1',
  '      register: probe',
  '      failed_when: false', //                                      20
  '      changed_when: false',
  '      check_mode: false',
  '    - name: in a loop',
  '      file: { path: "{{ item }}", state: absent }',
  '      loop: [/run/flannel, /etc/flanneld/cert]', //                25
  '      when: probe.rc == 0',
  '    - block:',
  '        - command: /bin/true',
  '      rescue:',
  '        - debug: { msg: "it failed" }', //                         30
  '      always:',
  '        - debug: { msg: "done" }',
  '      when: something',
  '  handlers:',
  '    - name: reload things', //                                     35
  '      systemd: { daemon_reload: true }',
  '      listen: [other topic]',
);

test('a full playbook loads into the exact Play and Task objects', () => {
  const pb = parse(FULL);
  assert.equal(pb.file, FILE);
  assert.equal(pb.dir, resolve('.'));
  const tags = ['migrate'];
  const block: Block = {
    kind: 'block',
    name: 'block',
    location: L(27, 7),
    when: ['something'],
    tags,
    ignoreErrors: false,
    noLog: false,
    vars: {},
    runOnce: false,
    block: [task({ name: 'command /bin/true', location: L(28, 11), module: 'command', args: { cmd: '/bin/true' }, argLocations: { cmd: L(28, 20) }, tags })],
    rescue: [task({ name: 'debug msg=it failed', location: L(30, 11), module: 'debug', args: { msg: 'it failed' }, argLocations: { msg: L(30, 25) }, tags })],
    always: [task({ name: 'debug msg=done', location: L(32, 11), module: 'debug', args: { msg: 'done' }, argLocations: { msg: L(32, 25) }, tags })],
  };
  const expected: Play = {
    name: 'Migrate',
    location: L(1, 3),
    hosts: 'masters:workers',
    vars: { cluster_cidr: '172.30.0.0/16' },
    serial: [1, 2, '50%'],
    maxFailPercentage: 0,
    anyErrorsFatal: false,
    strategy: 'linear',
    become: true,
    becomeUser: 'root',
    rollback: true,
    tags,
    tasks: [
      task({
        name: 'Stop flanneld',
        location: L(13, 7),
        module: 'systemd',
        args: { name: 'flanneld', state: 'stopped', enabled: false },
        argLocations: { name: L(14, 24), state: L(14, 41), enabled: L(14, 59) },
        notify: ['reload things'],
        tags: ['migrate', 'flannel'],
      }),
      task({
        name: 'Probe',
        location: L(17, 7),
        module: 'shell',
        args: { cmd: 'ip link show flannel.1' },
        argLocations: { cmd: L(18, 14) },
        register: 'probe',
        failedWhen: ['false'],
        changedWhen: ['false'],
        checkMode: false,
        tags,
      }),
      task({
        name: 'in a loop',
        location: L(23, 7),
        module: 'file',
        args: { path: '{{ item }}', state: 'absent' },
        argLocations: { path: L(24, 21), state: L(24, 42) },
        loop: ['/run/flannel', '/etc/flanneld/cert'],
        when: ['probe.rc == 0'],
        tags,
      }),
      block,
    ],
    handlers: [
      task({
        name: 'reload things',
        location: L(35, 7),
        module: 'systemd',
        args: { daemon_reload: true },
        argLocations: { daemon_reload: L(36, 33) },
        listen: ['other topic'],
        tags,
      }),
    ],
  };
  assert.deepEqual(pb.plays, [expected]);
});

test('play defaults: name from hosts, no serial, linear, rollback on, become off', () => {
  const pb = parse(y('- hosts: web', '  tasks: []'));
  assert.deepEqual(pb.plays, [
    {
      name: 'web', location: L(1, 3), hosts: 'web', vars: {}, serial: [], anyErrorsFatal: false,
      strategy: 'linear', become: false, rollback: true, tags: [], tasks: [], handlers: [],
    } satisfies Play,
  ]);
  // empty task lists (also written as nothing) are fine
  assert.deepEqual(parse(y('- hosts: web', '  tasks:', '  handlers:')).plays[0].tasks, []);
  assert.deepEqual(parse('[]').plays, []);
});

test('serial forms: a number, a percentage, a list', () => {
  assert.deepEqual(parse(y('- hosts: a', '  serial: 1')).plays[0].serial, [1]);
  assert.deepEqual(parse(y('- hosts: a', '  serial: "30%"')).plays[0].serial, ['30%']);
  assert.deepEqual(parse(y('- hosts: a', '  serial: [1, 10%, 100%]')).plays[0].serial, [1, '10%', '100%']);
  assert.equal(parse(y('- hosts: a', '  strategy: free')).plays[0].strategy, 'free');
  assert.equal(parse(y('- hosts: a', '  rollback: false')).plays[0].rollback, false);
});

test('free-form strings become the module argument the module names', () => {
  const t = parse(y('- hosts: a', '  tasks:', '    - shell: echo hi > /tmp/x')).plays[0].tasks[0];
  assert.equal(t.kind, 'task');
  if (t.kind !== 'task') return;
  assert.deepEqual(t.args, { cmd: 'echo hi > /tmp/x' });
  assert.deepEqual(t.argLocations, { cmd: L(3, 14) });
  assert.equal(t.name, 'shell echo hi > /tmp/x');
});

test('args: merges under the module mapping (the mapping wins) and under free-form strings', () => {
  const pb = parse(y(
    '- hosts: a',
    '  tasks:',
    '    - shell: make',
    '      args: { chdir: /src }',
    '    - file: { path: /etc/x, state: file }',
    '      args: { path: /ignored, owner: root }',
    '    - systemd:',
    '      args: { name: x }',
  ));
  const [shell, file, systemd] = pb.plays[0].tasks;
  assert.ok(shell.kind === 'task' && file.kind === 'task' && systemd.kind === 'task');
  assert.deepEqual(shell.args, { chdir: '/src', cmd: 'make' });
  assert.deepEqual(shell.argLocations, { chdir: L(4, 22), cmd: L(3, 14) });
  assert.deepEqual(file.args, { path: '/etc/x', owner: 'root', state: 'file' });
  assert.deepEqual(file.argLocations, { path: L(5, 21), owner: L(6, 38), state: L(5, 36) });
  assert.deepEqual(systemd.args, { name: 'x' });
});

test('generated names: module plus a short summary of the args, truncated', () => {
  const long = 'x'.repeat(100);
  const pb = parse(y(
    '- hosts: a',
    '  tasks:',
    '    - systemd: { name: flanneld, state: stopped, enabled: false }',
    '    - shell: ip link show flannel.1',
    `    - shell: ${long}`,
    '    - shell: |',
    '        echo one',
    '        echo two',
    '    - debug:',
    '    - file: { path: /x, mode: 420 }',
  ));
  const names = pb.plays[0].tasks.map((t) => t.name);
  assert.deepEqual(names, [
    'systemd name=flanneld state=stopped enabled=false',
    'shell ip link show flannel.1',
    `shell ${'x'.repeat(51)}...`,
    'shell echo one echo two',
    'debug',
    'file path=/x mode=420',
  ]);
  assert.equal(names[2].length, 60);
});

test('task keywords are converted to their types', () => {
  const pb = parse(y(
    '- hosts: a',
    '  tasks:',
    '    - name: all of them',
    '      command: /bin/check',
    '      when: [a == 1, true]',
    '      loop: "{{ things }}"',
    '      loop_control: { loop_var: thing }',
    '      register: out',
    '      tags: one',
    '      ignore_errors: true',
    '      changed_when: out.rc == 2',
    '      failed_when: [out.rc > 2, out.stderr]',
    '      until: out.rc == 0',
    '      retries: 4',
    '      delay: 0.5',
    '      run_once: true',
    '      delegate_to: localhost',
    '      become: false',
    '      become_user: deploy',
    '      no_log: true',
    '      timeout: 30',
    '      check_mode: false',
    '      rollback: /bin/undo',
    '      vars: { x: 1, y: [2] }',
  ));
  assert.deepEqual(pb.plays[0].tasks[0], task({
    name: 'all of them',
    location: L(3, 7),
    module: 'command',
    args: { cmd: '/bin/check' },
    argLocations: { cmd: L(4, 16) },
    when: ['a == 1', 'true'],
    loop: '{{ things }}',
    loopVar: 'thing',
    register: 'out',
    tags: ['one'],
    ignoreErrors: true,
    changedWhen: ['out.rc == 2'],
    failedWhen: ['out.rc > 2', 'out.stderr'],
    until: 'out.rc == 0',
    retries: 4,
    delay: 0.5,
    runOnce: true,
    delegateTo: 'localhost',
    become: false,
    becomeUser: 'deploy',
    noLog: true,
    timeout: 30,
    checkMode: false,
    rollback: '/bin/undo',
    vars: { x: 1, y: [2] },
  }));
});

test('until without retries retries 3 times; when: false becomes the string "false"', () => {
  const t = parse(y('- hosts: a', '  tasks:', '    - shell: x', '      until: done', '      when: false')).plays[0].tasks[0];
  assert.ok(t.kind === 'task');
  assert.equal(t.retries, 3);
  assert.equal(t.delay, 5);
  assert.deepEqual(t.when, ['false']);
});

test('handlers can be notified by name or by a listen topic, also from blocks and other handlers', () => {
  const pb = parse(y(
    '- hosts: a',
    '  tasks:',
    '    - shell: x',
    '      notify: [restart, topic b]',
    '    - block:',
    '        - shell: y',
    '          notify: topic a',
    '  handlers:',
    '    - name: restart',
    '      systemd: { name: x, state: restarted }',
    '      notify: other',
    '    - name: other',
    '      debug: {}',
    '      listen: [topic a, topic b]',
  ));
  assert.deepEqual(pb.plays[0].handlers.map((h) => [h.name, h.listen, h.notify]), [
    ['restart', [], ['other']],
    ['other', ['topic a', 'topic b'], []],
  ]);
});

test('YAML merge keys and anchors work (resolved data, locations at the anchor)', () => {
  const pb = parse(y(
    '- hosts: a',
    '  vars:',
    '    common: &c { owner: root }',
    '  tasks:',
    '    - file:',
    '        <<: *c',
    '        path: /x',
  ));
  const t = pb.plays[0].tasks[0];
  assert.ok(t.kind === 'task');
  assert.deepEqual(t.args, { owner: 'root', path: '/x' });
});

test('loadPlaybook reads the file; dir is its directory; a missing file is E_FILE_NOT_FOUND', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-pb-'));
  try {
    const path = join(dir, 'site.yml');
    writeFileSync(path, y('- hosts: all', '  tasks:', '    - debug: { msg: hi }'));
    const pb = await loadPlaybook(path, { modules });
    assert.equal(pb.file, path);
    assert.equal(pb.dir, dir);
    assert.equal(pb.plays[0].tasks[0].location.file, path);
    await assert.rejects(loadPlaybook(join(dir, 'nope.yml'), { modules }), (e: unknown) =>
      e instanceof FleetError && e.code === 'E_FILE_NOT_FOUND');
    writeFileSync(path, y('- hosts: all', '  taks: []'));
    await assert.rejects(loadPlaybook(path, { modules }), (e: unknown) =>
      e instanceof FleetError && e.code === 'E_VALIDATION' &&
      e.location?.file === path && e.location.line === 2 && e.location.col === 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a module schema that throws is reported as E_INTERNAL at the module key, not thrown raw', () => {
  const broken = {
    ...modules,
    broken: {
      name: 'broken',
      kind: 'state' as const,
      schema: z.strictObject({ x: z.string().transform((): string => { throw new Error('boom'); }) }),
      plan: async () => ({ ops: [] }),
    },
  };
  const text = y('- hosts: a', '  tasks:', '    - broken: { x: y }');
  assert.throws(() => parsePlaybook(text, FILE, { modules: broken }), (e: unknown) =>
    e instanceof FleetError && e.code === 'E_INTERNAL' && /boom/.test(e.message) &&
    e.location?.line === 3 && e.location.col === 7);
});

test('resolveModule accepts other names for modules; tasks get the canonical name', () => {
  const resolveModule = (n: string) => (n.startsWith('ansible.builtin.') ? modules[n.slice('ansible.builtin.'.length)] : undefined);
  const text = y('- hosts: a', '  tasks:', '    - ansible.builtin.shell: echo hi');
  const t = parsePlaybook(text, FILE, { modules, resolveModule }).plays[0].tasks[0];
  assert.ok(t.kind === 'task');
  assert.equal(t.module, 'shell');
  assert.equal(t.name, 'shell echo hi');
  assert.deepEqual(t.args, { cmd: 'echo hi' });
  // without the resolver it is an unknown module
  assert.throws(() => parsePlaybook(text, FILE, { modules }), (e: unknown) =>
    e instanceof FleetError && e.message === "unknown module 'ansible.builtin.shell'");
  // rollback is judged by the canonical name
  const bad = y('- hosts: a', '  tasks:', '    - ansible.builtin.file: { path: /x }', '      rollback: x');
  assert.throws(() => parsePlaybook(bad, FILE, { modules, resolveModule }), (e: unknown) =>
    e instanceof FleetError && e.message === "'rollback' is only allowed on command and shell tasks, not on 'file'");
});
