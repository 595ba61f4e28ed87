import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultInventory, fleet, hostTask, ofKind, run, taskLines, yaml } from './helpers.ts';
import { RunJournal } from '../../src/journal/journal.ts';
import { rollbackHost } from '../../src/executor/rollback.ts';

const msgOf = (events: Parameters<typeof hostTask>[0], host: string, task: string) => hostTask(events, host, task).msg;

test('when: false skips (registered as skipped); true runs', async () => {
  const hosts = fleet({ h1: { commands: { go: {} } } });
  const pb = yaml(
    '- hosts: all',
    '  vars: { on: true }',
    '  tasks:',
    '    - { name: no, command: never, when: not on, register: r }',
    '    - { name: yes, command: go, when: [on, "r is skipped"] }',
    '    - { name: show, debug: { msg: "{{ r.skipped }}" } }',
  );
  const { events, summary } = await run({ playbook: pb, hosts });
  assert.deepEqual(taskLines(events), ['h1 no skipped', 'h1 yes changed', 'h1 show ok']);
  assert.equal(msgOf(events, 'h1', 'show'), 'true');
  assert.deepEqual(hosts.get('h1')!.log, ['go']);
  assert.equal(summary.recap.h1!.skipped, 1);
});

test('loop with loop_var, register of a loop, and a file per item', async () => {
  const hosts = fleet({ h1: { files: { '/etc/app/keep': 'k' } } });
  const pb = yaml(
    '- hosts: all',
    '  vars: { names: [a, b, c] }',
    '  tasks:',
    '    - name: files',
    '      copy: { dest: "/etc/app/{{ n }}.conf", content: "name={{ n }}\\n" }',
    '      loop: "{{ names }}"',
    '      loop_control: { loop_var: n }',
    '      register: out',
    '    - name: count',
    '      debug: { msg: "{{ out.results.[1].n }} {{ out.changed }} {{ out.results.[2].changed }}" }',
    '    - name: check',
    '      assert: { that: ["out.results | length == 3", "out.results[0].n == \'a\'"] }',
  );
  const { events } = await run({ playbook: pb, hosts });
  const h = hosts.get('h1')!;
  assert.deepEqual(['a', 'b', 'c'].map((n) => h.text(`/etc/app/${n}.conf`)), ['name=a\n', 'name=b\n', 'name=c\n']);
  assert.equal(msgOf(events, 'h1', 'count'), 'b true true');
  assert.equal(hostTask(events, 'h1', 'check').status, 'ok');
  assert.deepEqual(hostTask(events, 'h1', 'files').effects.diffs.map((d) => [d.path, d.before, d.after]), [
    ['/etc/app/a.conf', 'absent', 'file'],
    ['/etc/app/b.conf', 'absent', 'file'],
    ['/etc/app/c.conf', 'absent', 'file'],
  ]);
});

test('register + changed_when + failed_when see the result under its name', async () => {
  const hosts = fleet({
    h1: {
      commands: {
        'check-a': { code: 1, stdout: 'fine\n' },
        'check-b': { code: 0, stdout: 'ERROR here\n' },
        'status': { stdout: 'clean\n' },
      },
    },
  });
  const pb = yaml(
    '- hosts: all',
    '  rollback: false',
    '  tasks:',
    '    - name: a',
    '      command: check-a',
    '      register: a',
    '      failed_when: "a.rc != 0 and \'fine\' not in a.stdout"',
    '    - name: st',
    '      command: status',
    '      register: st',
    '      changed_when: "\'dirty\' in st.stdout"',
    '    - name: show',
    '      debug: { msg: "{{ a.rc }} {{ a.failed }} {{ st.changed }} {{ st.stdout_lines.[0] }}" }',
    '    - name: b',
    '      command: check-b',
    '      register: b',
    '      failed_when: "\'ERROR\' in b.stdout"',
    '    - { name: never, debug: { msg: no } }',
  );
  const { events, summary } = await run({ playbook: pb, hosts });
  assert.deepEqual(taskLines(events), ['h1 a changed', 'h1 st ok', 'h1 show ok', 'h1 b failed', ]);
  assert.equal(msgOf(events, 'h1', 'show'), '1 false false clean');
  assert.equal(summary.recap.h1!.state, 'failed');
});

test('until + retries + delay 0: retried until the condition holds, or failed after the last retry', async () => {
  let calls = 0;
  const hosts = fleet({
    h1: {
      commands: {
        poll: () => ({ stdout: ++calls >= 3 ? 'ready\n' : 'waiting\n' }),
        never: { stdout: 'waiting\n' },
      },
    },
  });
  const pb = yaml(
    '- hosts: all',
    '  rollback: false',
    '  tasks:',
    '    - { name: poll, command: poll, register: p, until: "\'ready\' in p.stdout", retries: 5, delay: 0, changed_when: false }',
    '    - { name: show, debug: { msg: "{{ p.attempts }}" } }',
    '    - { name: stuck, command: never, register: s, until: "\'ready\' in s.stdout", retries: 2, delay: 0 }',
  );
  const { events } = await run({ playbook: pb, hosts });
  assert.equal(calls, 3);
  assert.equal(msgOf(events, 'h1', 'show'), '3');
  const stuck = hostTask(events, 'h1', 'stuck');
  assert.equal(stuck.status, 'failed');
  assert.equal(stuck.msg, `until condition not met after 3 attempts: 'ready' in s.stdout`);
  assert.equal(hosts.get('h1')!.log.filter((s) => s === 'never').length, 3, 'retries: 2 means 3 attempts');
});

test('until: every attempt of a read-only command is journaled as done and unchanged, so rollback passes over all of them', async () => {
  let calls = 0;
  const hosts = fleet({ h1: { commands: { poll: () => ({ stdout: ++calls >= 3 ? 'ready\n' : 'waiting\n' }) } } });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: poll, command: poll, register: p, until: "\'ready\' in p.stdout", retries: 5, delay: 0, changed_when: false }',
  );
  const { summary, stateDir } = await run({ playbook: pb, hosts });
  assert.equal(calls, 3);
  const records = await (await RunJournal.open(stateDir, summary.runId)).read('h1');
  const intents = records.filter((r) => r.t === 'intent').map((r) => r.seq);
  const dones = records.filter((r) => r.t === 'done');
  assert.equal(intents.length, 3);
  assert.deepEqual(dones.map((d) => [d.seq, d.t === 'done' && d.changed]), intents.map((seq) => [seq, false]));
  const rb = await rollbackHost({
    journal: await RunJournal.open(stateDir, summary.runId), host: 'h1', transport: await hosts.get('h1')!.connect(),
    emit: () => undefined, check: false, reason: 'test', force: false,
  });
  assert.equal(rb, 'rolled-back', 'no command left to undo');
});

test('ignore_errors: the failure is reported, the host goes on and ends ok', async () => {
  const hosts = fleet({ h1: { commands: { bad: { code: 2, stderr: 'nope\n' } } } });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: bad, command: bad, ignore_errors: true, register: r }',
    '    - { name: next, debug: { msg: "rc={{ r.rc }} failed={{ r.failed }}" } }',
  );
  const { events, summary } = await run({ playbook: pb, hosts });
  const bad = hostTask(events, 'h1', 'bad');
  // the command ran (a failed command counts as changed, as in Ansible); the failure is ignored
  assert.equal(bad.status, 'changed');
  assert.equal(bad.msg, 'failed, ignored: non-zero exit code 2');
  assert.equal(msgOf(events, 'h1', 'next'), 'rc=2 failed=true');
  assert.equal(summary.recap.h1!.state, 'ok');
  assert.equal(summary.result, 'ok');
});

test('run_once: runs on the first host only; its register is visible on every host', async () => {
  let n = 0;
  const token = () => ({ stdout: `token-${++n}\n` });
  const hosts = fleet({ h1: { commands: { 'make-token': token } }, h2: { commands: { 'make-token': token } }, h3: { commands: { 'make-token': token } } });
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: token, command: make-token, register: t, run_once: true, changed_when: false }',
    '    - { name: show, debug: { msg: "{{ t.stdout }}" } }',
  );
  const { events } = await run({ playbook: pb, hosts });
  assert.equal(n, 1);
  assert.deepEqual(hosts.get('h1')!.log, ['make-token']);
  assert.deepEqual(hosts.get('h2')!.log, []);
  assert.deepEqual(hosts.get('h3')!.log, []);
  for (const h of ['h1', 'h2', 'h3']) assert.equal(msgOf(events, h, 'show'), 'token-1');
});

test('delegate_to: the task runs on the delegate, reported under the original host', async () => {
  const hosts = fleet({
    web1: {},
    web2: {},
    lb: { commands: { 'drain web1': {}, 'drain web2': {} } },
  });
  const pb = yaml(
    '- hosts: web1:web2',
    '  tasks:',
    '    - name: drain',
    '      command: "drain {{ inventory_hostname }}"',
    '      delegate_to: lb',
  );
  const { events, summary } = await run({ playbook: pb, hosts });
  assert.equal(summary.result, 'ok');
  assert.deepEqual(hosts.get('lb')!.log.sort(), ['drain web1', 'drain web2']);
  assert.deepEqual(taskLines(events).sort(), ['web1 drain changed', 'web2 drain changed']);
  assert.equal(hosts.get('web1')!.roundTrips, 0);
  assert.deepEqual(Object.keys(summary.recap), ['web1', 'web2']);
});

test('block / rescue / always: rescue runs after a failure and recovers; always runs in every case', async () => {
  const hosts = fleet({ good: {}, bad: {}, worse: {} });
  const pb = yaml(
    '- hosts: all',
    '  rollback: false',
    '  tasks:',
    '    - name: b',
    '      block:',
    '        - { name: one, debug: { msg: one } }',
    '        - { name: two, fail: { msg: two failed }, when: inventory_hostname != "good" }',
    '        - { name: three, debug: { msg: three } }',
    '      rescue:',
    '        - { name: fix, debug: { msg: fixing } }',
    '        - { name: fix fails, fail: { msg: cannot fix }, when: inventory_hostname == "worse" }',
    '      always:',
    '        - { name: cleanup, debug: { msg: cleanup } }',
    '    - { name: after, debug: { msg: after } }',
  );
  const { events, summary } = await run({ playbook: pb, hosts });
  assert.deepEqual(taskLines(events, 'good'), ['good one ok', 'good two skipped', 'good three ok', 'good cleanup ok', 'good after ok']);
  assert.deepEqual(taskLines(events, 'bad'), ['bad one ok', 'bad two failed', 'bad fix ok', 'bad fix fails skipped', 'bad cleanup ok', 'bad after ok']);
  assert.deepEqual(taskLines(events, 'worse'), ['worse one ok', 'worse two failed', 'worse fix ok', 'worse fix fails failed', 'worse cleanup ok']);
  assert.deepEqual(
    ['good', 'bad', 'worse'].map((h) => summary.recap[h]!.state),
    ['ok', 'ok', 'failed'],
  );
});

test('tags: onlyTags runs tagged tasks (and always); skipTags skips; block tags are inherited', async () => {
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: untagged, debug: { msg: u } }',
    '    - { name: config, debug: { msg: c }, tags: [config] }',
    '    - { name: pkg, debug: { msg: p }, tags: [packages] }',
    '    - { name: always, debug: { msg: a }, tags: [always] }',
    '    - name: blk',
    '      tags: [config]',
    '      block:',
    '        - { name: in block, debug: { msg: b } }',
  );
  const names = async (o: { onlyTags?: string[]; skipTags?: string[] }) =>
    taskLines((await run({ playbook: pb, hosts: fleet({ h1: {} }), ...o })).events).map((l) => l.split(' ').slice(1, -1).join(' '));
  assert.deepEqual(await names({}), ['untagged', 'config', 'pkg', 'always', 'in block']);
  assert.deepEqual(await names({ onlyTags: ['config'] }), ['config', 'always', 'in block']);
  assert.deepEqual(await names({ skipTags: ['config'] }), ['untagged', 'pkg', 'always']);
  assert.deepEqual(await names({ onlyTags: ['packages'], skipTags: ['always'] }), ['pkg']);
});

test('set_fact: visible to later tasks and later plays of the same host', async () => {
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - { name: set, set_fact: { port: 8080, who: "{{ inventory_hostname }}" } }',
    '    - { name: show, debug: { msg: "{{ who }}:{{ port }}" } }',
    '- hosts: all',
    '  tasks:',
    '    - { name: later, debug: { msg: "{{ who }}" } }',
  );
  const { events } = await run({ playbook: pb, hosts: fleet({ h1: {}, h2: {} }) });
  assert.equal(msgOf(events, 'h1', 'show'), 'h1:8080');
  assert.equal(msgOf(events, 'h2', 'show'), 'h2:8080');
  assert.equal(msgOf(events, 'h2', 'later'), 'h2');
});

test('-e extra vars beat play vars, set_fact and inventory vars; play vars beat inventory vars', async () => {
  const inventory = yaml(
    'all:',
    '  vars: { ansible_user: root, x: inv-all, y: inv-all, z: inv-all }',
    '  hosts:',
    '    h1: { y: inv-host }',
  );
  const pb = yaml(
    '- hosts: all',
    '  vars: { x: play, y: play }',
    '  tasks:',
    '    - { name: show, debug: { msg: "{{ x }} {{ y }} {{ z }}" } }',
    '    - { name: set, set_fact: { z: fact } }',
    '    - { name: again, debug: { msg: "{{ z }}" } }',
  );
  const plain = await run({ playbook: pb, hosts: fleet({ h1: {} }), inventory });
  assert.equal(msgOf(plain.events, 'h1', 'show'), 'play play inv-all');
  assert.equal(msgOf(plain.events, 'h1', 'again'), 'fact');
  const extra = await run({ playbook: pb, hosts: fleet({ h1: {} }), inventory, extraVars: { x: 'extra', z: 'extra-z' } });
  assert.equal(msgOf(extra.events, 'h1', 'show'), 'extra play extra-z');
  assert.equal(msgOf(extra.events, 'h1', 'again'), 'extra-z');
});

test('limit: only the limited hosts run', async () => {
  const hosts = fleet({ h1: {}, h2: {}, h3: {} });
  const { events, summary } = await run({
    playbook: yaml('- hosts: all', '  tasks:', '    - { name: t, debug: { msg: x } }'),
    hosts,
    inventory: defaultInventory(hosts.keys()),
    limit: 'h2',
  });
  assert.deepEqual(taskLines(events), ['h2 t ok']);
  assert.deepEqual(Object.keys(summary.recap), ['h2']);
  assert.deepEqual(ofKind(events, 'run-start')[0]!.hosts, ['h2']);
});

test('block when: sees inventory_hostname and block vars; a broken block condition fails that host only', async () => {
  const pb = yaml(
    '- hosts: all',
    '  tasks:',
    '    - name: outer',
    '      vars: { want: h1 }',
    '      block:',
    '        - name: inner',
    '          when: inventory_hostname == want',
    '          block:',
    '            - { name: t, debug: { msg: x } }',
    '        - name: broken',
    '          when: inventory_hostname == "h2" and nope == 1',
    '          block:',
    '            - { name: u, debug: { msg: y } }',
    '    - { name: end, debug: { msg: z } }',
  );
  const { events, summary } = await run({ playbook: pb, hosts: fleet({ h1: {}, h2: {} }) });
  assert.deepEqual(taskLines(events, 'h1'), ['h1 t ok', 'h1 end ok']);
  assert.deepEqual(taskLines(events, 'h2'), ['h2 broken failed']);
  assert.match(hostTask(events, 'h2', 'broken').msg ?? '', /undefined variable 'nope'/);
  assert.equal(summary.recap.h2!.state, 'failed');
  assert.equal(summary.recap.h1!.state, 'ok');
  assert.deepEqual(ofKind(events, 'run-end').map((e) => e.result), ['failed']);
});

test('no_log: the event hides messages, command lines and file contents', async () => {
  const hosts = fleet({ h1: { files: { '/etc/secret': 'old-password\n' }, commands: { 'set-password s3cret': { code: 1, stderr: 'bad s3cret\n' } } } });
  const pb = yaml(
    '- hosts: all',
    '  rollback: false',
    '  vars: { pw: s3cret }',
    '  tasks:',
    '    - { name: file, copy: { dest: /etc/secret, content: "{{ pw }}\\n" }, no_log: true }',
    '    - { name: cmd, command: "set-password {{ pw }}", no_log: true }',
  );
  const { events } = await run({ playbook: pb, hosts });
  assert.equal(hosts.get('h1')!.text('/etc/secret'), 's3cret\n');
  const file = hostTask(events, 'h1', 'file');
  assert.equal(file.noLog, true);
  assert.deepEqual(file.effects.diffs, [{ path: '/etc/secret', before: 'file', after: 'file' }]);
  const cmd = hostTask(events, 'h1', 'cmd');
  assert.equal(cmd.status, 'failed');
  assert.equal(cmd.msg, 'output hidden by no_log');
  assert.deepEqual(cmd.effects.commands, ['(hidden by no_log)']);
  assert.ok(!JSON.stringify(events).includes('s3cret'), 'the secret appears in no event');
});
