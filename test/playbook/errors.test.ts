import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors, L, parse, thrown, y } from './helpers.ts';

interface Case {
  title: string;
  text: string;
  line: number;
  col: number;
  message: string | RegExp;
  code?: string;
}

const play = (...lines: string[]): string => y('- hosts: all', ...lines);
const tasks = (...lines: string[]): string => y('- hosts: all', '  tasks:', ...lines);

const cases: Case[] = [
  { title: 'unknown play key', text: play('  taks: []'), line: 2, col: 3, message: "unknown key 'taks' in play (did you mean 'tasks'?)" },
  { title: 'unknown task key', text: tasks('    - shell: x', '      whne: a'), line: 4, col: 7, message: "unknown key 'whne' (did you mean 'when'?)" },
  { title: 'unknown module, close to a known one', text: tasks('    - sytemd: { name: x }'), line: 3, col: 7, message: "unknown module 'sytemd' (did you mean 'systemd'?)" },
  { title: 'unknown module, nothing close', text: tasks('    - frobnicate: {}'), line: 3, col: 7, message: "unknown module 'frobnicate'" },
  { title: 'two modules in one task', text: tasks('    - shell: a', '      command: b'), line: 4, col: 7, message: "a task has exactly one module, this one has 'shell' and 'command'" },
  { title: 'a task without a module', text: tasks('    - name: x'), line: 3, col: 7, message: 'task has no module' },
  { title: 'missing hosts', text: y('- name: x', '  tasks: []'), line: 1, col: 3, message: "play has no 'hosts'" },
  { title: 'hosts of the wrong type', text: y('- hosts: 5'), line: 1, col: 10, message: "'hosts' must be a string, not a number (5)" },
  { title: 'empty hosts', text: y('- hosts: ""'), line: 1, col: 10, message: "'hosts' must not be empty" },
  { title: 'serial: true', text: play('  serial: true'), line: 2, col: 11, message: "'serial' must be a positive integer or a percentage like '30%' (0-100%), not a boolean (true)" },
  { title: 'serial list item 0', text: play('  serial: [1, 0]'), line: 2, col: 15, message: /^'serial' must be a positive integer .*not a number \(0\)$/ },
  { title: 'serial above 100%', text: play('  serial: 150%'), line: 2, col: 11, message: /^'serial' must be/ },
  { title: 'retries: "x"', text: tasks('    - shell: x', '      retries: "x"'), line: 4, col: 16, message: "'retries' must be an integer, not a string" },
  { title: 'retries: -1', text: tasks('    - shell: x', '      retries: -1'), line: 4, col: 16, message: "'retries' must be between 0 and ∞, not -1" },
  { title: 'play tags: {}', text: play('  tags: {}'), line: 2, col: 9, message: "'tags' must be a string or a list of strings, not a mapping" },
  { title: 'task tags with a number', text: tasks('    - shell: x', '      tags: [a, 1]'), line: 4, col: 17, message: "each item of 'tags' must be a string, not a number (1)" },
  { title: 'max_fail_percentage over 100', text: play('  max_fail_percentage: 101'), line: 2, col: 24, message: "'max_fail_percentage' must be between 0 and 100, not 101" },
  { title: 'max_fail_percentage below 0', text: play('  max_fail_percentage: -1'), line: 2, col: 24, message: "'max_fail_percentage' must be between 0 and 100, not -1" },
  { title: 'strategy not linear/free', text: play('  strategy: fre'), line: 2, col: 13, message: "'strategy' must be 'linear' or 'free', not 'fre' (did you mean 'free'?)" },
  { title: 'become not a boolean', text: play('  become: "yes"'), line: 2, col: 11, message: "'become' must be true or false, not a string" },
  { title: 'tasks not a list', text: play('  tasks: {}'), line: 2, col: 10, message: "'tasks' must be a list, not a mapping" },
  { title: 'bad variable name', text: play('  vars: { my-var: 1 }'), line: 2, col: 11, message: "'my-var' is not a valid variable name" },
  {
    title: 'notify naming no handler (string)',
    text: tasks('    - shell: x', '      notify: restrat', '  handlers:', '    - name: restart', '      debug: {}'),
    line: 4, col: 15, message: "notify: no handler named 'restrat' in this play (did you mean 'restart'?)",
  },
  {
    title: 'notify naming no handler (list item)',
    text: tasks('    - shell: x', '      notify: [restart, nope]', '  handlers:', '    - name: restart', '      debug: {}'),
    line: 4, col: 25, message: "notify: no handler named 'nope' in this play",
  },
  { title: 'notify in a play without handlers', text: tasks('    - shell: x', '      notify: h'), line: 4, col: 15, message: "notify: no handler named 'h' in this play" },
  { title: 'rollback on a non-command task', text: tasks('    - file: { path: /x }', '      rollback: rm /x'), line: 4, col: 7, message: "'rollback' is only allowed on command and shell tasks, not on 'file'" },
  { title: 'register not an identifier', text: tasks('    - shell: x', '      register: 1abc'), line: 4, col: 17, message: "'register' must be a variable name, not '1abc'" },
  { title: 'loop_var not an identifier', text: tasks('    - shell: x', '      loop: [1]', '      loop_control: { loop_var: a-b }'), line: 5, col: 33, message: "'loop_var' must be a variable name, not 'a-b'" },
  { title: 'unknown loop_control key', text: tasks('    - shell: x', '      loop_control: { label: x }'), line: 4, col: 23, message: "unknown key 'label' in loop_control" },
  { title: 'loop as a plain string', text: tasks('    - shell: x', '      loop: items'), line: 4, col: 13, message: "'loop' must be a list or a template string like '{{ items }}', not a string" },
  { title: 'with_items', text: tasks('    - shell: x', '      with_items: [1]'), line: 4, col: 7, message: "unknown key 'with_items'" },
  { title: 'listen on a task', text: tasks('    - shell: x', '      listen: t'), line: 4, col: 7, message: "'listen' is only allowed on handlers" },
  { title: 'timeout 0', text: tasks('    - shell: x', '      timeout: 0'), line: 4, col: 16, message: "'timeout' must be greater than 0, not 0" },
  { title: 'timeout as a string', text: tasks('    - shell: x', '      timeout: 5m'), line: 4, col: 16, message: "'timeout' must be a number, not a string" },
  { title: 'when as a mapping', text: tasks('    - shell: x', '      when: {a: 1}'), line: 4, col: 13, message: "'when' must be a condition (a string or true/false), not a mapping" },
  { title: 'failed_when list with a number', text: tasks('    - shell: x', '      failed_when: [a, 3]'), line: 4, col: 24, message: "'failed_when' must be a condition (a string or true/false), not a number (3)" },
  { title: 'empty when', text: tasks('    - shell: x', '      when: ""'), line: 4, col: 13, message: "'when' must not be empty" },
  { title: 'check_mode not a boolean', text: tasks('    - shell: x', '      check_mode: 0'), line: 4, col: 19, message: "'check_mode' must be true or false, not a number (0)" },
  // conditions are compiled by src/expr: its errors point into the string
  { title: 'when with a syntax error', text: tasks('    - shell: x', '      when: a == == b'), line: 4, col: 18, message: /^unexpected '=='/, code: 'E_EXPRESSION' },
  { title: 'quoted when with a syntax error', text: tasks('    - shell: x', '      when: "a and (b"'), line: 4, col: 22, message: /^expected '\)'/, code: 'E_EXPRESSION' },
  { title: 'failed_when list item with a syntax error', text: tasks('    - shell: x', "      failed_when: [ok, 'x ==']"), line: 4, col: 30, message: /end of expression/, code: 'E_EXPRESSION' },
  { title: 'until with a syntax error', text: tasks('    - shell: x', '      until: a b'), line: 4, col: 16, message: /^unexpected 'b'/, code: 'E_EXPRESSION' },
  { title: 'changed_when with a syntax error', text: tasks('    - shell: x', '      changed_when: x and'), line: 4, col: 26, message: /end of expression/, code: 'E_EXPRESSION' },
  { title: 'block when with a syntax error', text: tasks('    - block: []', '      when: ((a)'), line: 4, col: 17, message: /expected '\)'/, code: 'E_EXPRESSION' },
  { title: 'module arg of the wrong type', text: tasks('    - file: { path: /x, mode: abc }'), line: 3, col: 31, message: "invalid argument 'mode' for module 'file': expected number, received string" },
  { title: 'unknown module arg', text: tasks('    - file: { path: /x, mdoe: 1 }'), line: 3, col: 25, message: "unknown argument 'mdoe' for module 'file' (did you mean 'mode'?)" },
  { title: 'unknown nested module arg', text: tasks('    - copy: { dest: /x, options: { backup: true, retris: 1 } }'), line: 3, col: 50, message: "unknown argument 'options.retris' for module 'copy' (did you mean 'retries'?)" },
  { title: 'unknown arg given through args:', text: tasks('    - shell: x', '      args: { chdri: /x }'), line: 4, col: 15, message: "unknown argument 'chdri' for module 'shell' (did you mean 'chdir'?)" },
  { title: 'missing required module arg', text: tasks('    - file: { state: absent }'), line: 3, col: 7, message: "module 'file' is missing required argument 'path'" },
  { title: 'enum arg', text: tasks('    - file: { path: /x, state: gone }'), line: 3, col: 32, message: /^invalid argument 'state' for module 'file': .*"absent"/ },
  { title: 'free-form string for a module without free form', text: tasks('    - file: /x'), line: 3, col: 13, message: "module 'file' takes a mapping of arguments, not a string" },
  { title: 'module args as a list', text: tasks('    - shell: [a]'), line: 3, col: 14, message: "module 'shell' takes a mapping of arguments or a string, not a list" },
  { title: 'args: not a mapping', text: tasks('    - shell: x', '      args: x'), line: 4, col: 13, message: "'args' must be a mapping, not a string" },
  { title: 'block with a module', text: tasks('    - block: []', '      shell: x'), line: 4, col: 7, message: "a block cannot have a module ('shell'): put the task inside 'block:'" },
  { title: 'block with a task-only keyword', text: tasks('    - block: []', '      loop: [1]'), line: 4, col: 7, message: "unknown key 'loop' in block" },
  { title: 'rescue without block', text: tasks('    - debug: {}', '      rescue: []'), line: 4, col: 7, message: "'rescue' is only allowed in a block (next to 'block:')" },
  { title: 'error inside a rescue', text: tasks('    - block: []', '      rescue:', '        - debug: { mgs: x }'), line: 5, col: 20, message: "unknown argument 'mgs' for module 'debug' (did you mean 'msg'?)" },
  { title: 'a handler that is a block', text: play('  handlers:', '    - block: []'), line: 3, col: 7, message: 'handlers cannot be blocks' },
  { title: 'a task that is a string', text: tasks('    - just a string'), line: 3, col: 7, message: 'a task must be a mapping, not a string' },
  { title: 'a play that is a number', text: y('- 5'), line: 1, col: 3, message: 'a play must be a mapping, not a number (5)' },
  { title: 'a playbook that is a mapping', text: y('hosts: all'), line: 1, col: 1, message: 'a playbook must be a list of plays, not a mapping' },
  { title: 'an empty playbook', text: '', line: 1, col: 1, message: 'the playbook is empty' },
  { title: 'a playbook of only comments', text: y('# nothing', '# here'), line: 1, col: 1, message: 'the playbook is empty' },
  { title: 'YAML syntax error', text: tasks('    - shell: a: b'), line: 3, col: 14, message: 'Nested mappings are not allowed in compact mappings', code: 'E_YAML' },
  // YAML notices a missing quote where the input ends
  { title: 'unterminated quote', text: tasks('    - shell: "abc', '    - debug: {}'), line: 5, col: 1, message: /quote/, code: 'E_YAML' },
  { title: 'duplicate keys', text: y('- hosts: all', '  hosts: web'), line: 2, col: 3, message: /duplicate key 'hosts'|Map keys must be unique/, code: 'E_YAML' },
  // yaml's toJS refuses it without a position: reported at the start of the file
  { title: 'a merge key with a scalar', text: y('- hosts: a', '  <<: 1'), line: 2, col: 3, message: /merge key \(<<\) needs a mapping/, code: 'E_YAML' },
  { title: 'two YAML documents', text: y('- hosts: a', '---', '- hosts: b'), line: 2, col: 1, message: /multiple documents/, code: 'E_YAML' },
];

for (const c of cases) {
  test(`error: ${c.title}`, () => {
    const all = errors(c.text);
    assert.equal(all.length, 1, all.map((e) => e.describe()).join('\n'));
    const [e] = all;
    assert.equal(e.code, c.code ?? 'E_VALIDATION');
    if (typeof c.message === 'string') assert.equal(e.message, c.message);
    else assert.match(e.message, c.message);
    assert.deepEqual(e.location, L(c.line, c.col));
    // parsePlaybook throws that same first error
    const t = thrown(c.text);
    assert.equal(t.message, e.message);
    assert.deepEqual(t.location, e.location);
  });
}

test('unknown keys come with the allowed keys as a hint', () => {
  const [e] = errors(y('- hosts: all', '  hostz: x'));
  assert.match(e.hint ?? '', /^allowed keys: name, hosts, vars, serial,/);
  const [m] = errors(y('- hosts: all', '  tasks:', '    - frobnicate: {}'));
  assert.match(m.hint ?? '', /^modules: shell, command, file, systemd, debug, copy$/);
});

test('validatePlaybook collects every error in document order; parsePlaybook throws the first', () => {
  const text = y(
    '- hosts: a', //             1
    '  tasks:',
    '    - shell: x',
    '      notify: nope', //     4: found only after the handlers are read
    '    - shell: y',
    '      whne: z', //          6
    '      retries: many', //    7
    '  handlers: []',
    '  serial: true', //         9: read before the tasks
    '- hosts: b',
    '  strategy: fast', //       11
  );
  const all = errors(text);
  assert.deepEqual(
    all.map((e) => [e.location?.line, e.location?.col, e.message]),
    [
      [4, 15, "notify: no handler named 'nope' in this play"],
      [6, 7, "unknown key 'whne' (did you mean 'when'?)"],
      [7, 16, "'retries' must be an integer, not a string"],
      [9, 11, "'serial' must be a positive integer or a percentage like '30%' (0-100%), not a boolean (true)"],
      [11, 13, "'strategy' must be 'linear' or 'free', not 'fast'"],
    ],
  );
  assert.deepEqual(thrown(text).location, L(4, 15));
});

test('a broken handler does not also make notify report it missing', () => {
  const all = errors(y(
    '- hosts: a',
    '  tasks:',
    '    - shell: x',
    '      notify: restart',
    '  handlers:',
    '    - name: restart',
    '      sytemd: { name: x }',
  ));
  assert.deepEqual(all.map((e) => e.message), ["unknown module 'sytemd' (did you mean 'systemd'?)"]);
});

test('schema issues on template strings are left for run time; others are reported', () => {
  const ok = parse(y(
    '- hosts: a',
    '  tasks:',
    '    - file: { path: "{{ p }}", mode: "{{ m }}", state: "{{ s }}" }',
    '    - file: { path: /x, mode: "0{{ m }}" }',
    '    - copy: { dest: /x, options: { backup: "{{ b }}" } }',
    '    - file:',
    '      args: { path: /x, mode: "{{ m }}" }',
  ));
  const t = ok.plays[0].tasks[0];
  assert.ok(t.kind === 'task');
  assert.deepEqual(t.args, { path: '{{ p }}', mode: '{{ m }}', state: '{{ s }}' });

  // not a template: braces without the double ones
  const [e] = errors(y('- hosts: a', '  tasks:', '    - file: { path: /x, mode: "{ m }" }'));
  assert.equal(e.message, "invalid argument 'mode' for module 'file': expected number, received string");
  assert.deepEqual(e.location, L(3, 31));
  // a template does not excuse an unknown key
  const [u] = errors(y('- hosts: a', '  tasks:', '    - file: { path: /x, modd: "{{ m }}" }'));
  assert.equal(u.message, "unknown argument 'modd' for module 'file' (did you mean 'mode'?)");
});

test('several errors in one task are all reported', () => {
  const all = errors(y(
    '- hosts: a',
    '  tasks:',
    '    - file: { path: 1, mode: x }',
    '      register: "a b"',
    '      delay: -2',
  ));
  assert.deepEqual(all.map((e) => [e.location?.line, e.location?.col]), [[3, 21], [3, 30], [4, 17], [5, 14]]);
});

test('an alias bomb is rejected fast with E_YAML', () => {
  const lines = ['- hosts: all', '  vars:', '    l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 12; i++) {
    lines.push(`    l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
  }
  const start = Date.now();
  const e = thrown(y(...lines));
  assert.equal(e.code, 'E_YAML');
  assert.match(e.message, /alias/);
  assert.ok(e.location);
  assert.ok(Date.now() - start < 10_000, 'an alias bomb must fail, not hang');
});
