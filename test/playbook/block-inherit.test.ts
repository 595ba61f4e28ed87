import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, y } from './helpers.ts';
import type { Block, Task } from '../../src/playbook/types.ts';

test('block keywords pass down to the tasks inside; a task keeps its own setting', () => {
  const pb = parse(y(
    '- hosts: all',
    '  tasks:',
    '    - block:',
    '        - shell: a',
    '        - shell: b',
    '          no_log: false',
    '          become_user: app',
    '        - block:',
    '            - shell: c',
    '          timeout: 9',
    '      no_log: true',
    '      ignore_errors: true',
    '      become: true',
    '      become_user: root',
    '      delegate_to: h1',
    '      check_mode: false',
    '      run_once: true',
    '      timeout: 5',
  ));
  const outer = pb.plays[0]!.tasks[0] as Block;
  const [a, b, inner] = outer.block as [Task, Task, Block];
  const c = inner.block[0] as Task;
  for (const t of [a, c]) {
    assert.equal(t.noLog, true);
    assert.equal(t.ignoreErrors, true);
    assert.equal(t.become, true);
    assert.equal(t.becomeUser, 'root');
    assert.equal(t.delegateTo, 'h1');
    assert.equal(t.checkMode, false);
    assert.equal(t.runOnce, true);
  }
  assert.equal(a.timeout, 5);
  assert.equal(c.timeout, 9);
  assert.equal(b.noLog, false);
  assert.equal(b.becomeUser, 'app');
});
