import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenTasks, taskSelected } from '../../src/playbook/tags.ts';
import { parse, y } from './helpers.ts';

const PB = y(
  '- hosts: a',
  '  tags: [play]',
  '  tasks:',
  '    - name: t1',
  '      shell: x',
  '      tags: own',
  '    - name: b1',
  '      tags: [outer, play]',
  '      block:',
  '        - name: t2',
  '          shell: x',
  '        - name: b2',
  '          tags: inner',
  '          block:',
  '            - name: t3',
  '              shell: x',
  '              tags: [deep]',
  '          rescue:',
  '            - name: t4',
  '              shell: x',
  '      rescue:',
  '        - name: t5',
  '          shell: x',
  '      always:',
  '        - name: t6',
  '          shell: x',
  '          tags: [always]',
  '    - name: t7',
  '      shell: x',
  '  handlers:',
  '    - name: h',
  '      shell: x',
  '      tags: [hh]',
);

test('tags are inherited from the play and enclosing blocks (no duplicates)', () => {
  const play = parse(PB).plays[0];
  const flat = flattenTasks(play.tasks);
  assert.deepEqual(flat.map((t) => [t.name, t.tags]), [
    ['t1', ['play', 'own']],
    ['t2', ['play', 'outer']],
    ['t3', ['play', 'outer', 'inner', 'deep']],
    ['t4', ['play', 'outer', 'inner']],
    ['t5', ['play', 'outer']],
    ['t6', ['play', 'outer', 'always']],
    ['t7', ['play']],
  ]);
  const b1 = play.tasks[1];
  assert.ok(b1.kind === 'block');
  assert.deepEqual(b1.tags, ['play', 'outer']);
  assert.deepEqual(play.handlers[0].tags, ['play', 'hh']);
});

test('flattenTasks is depth first: block, then rescue, then always', () => {
  const flat = flattenTasks(parse(PB).plays[0].tasks);
  assert.deepEqual(flat.map((t) => t.name), ['t1', 't2', 't3', 't4', 't5', 't6', 't7']);
  assert.deepEqual(flattenTasks([]), []);
});

test('taskSelected: no selection runs everything but never', () => {
  assert.equal(taskSelected([], [], []), true);
  assert.equal(taskSelected(['a'], [], []), true);
  assert.equal(taskSelected(['never'], [], []), false);
  assert.equal(taskSelected(['never', 'debug'], [], []), false);
  assert.equal(taskSelected(['always'], [], []), true);
  assert.equal(taskSelected(['x'], ['all'], []), true);
  assert.equal(taskSelected(['never'], ['all'], []), false);
});

test('taskSelected: --tags picks tasks sharing a tag, plus always', () => {
  assert.equal(taskSelected(['a', 'b'], ['b'], []), true);
  assert.equal(taskSelected(['a'], ['b'], []), false);
  assert.equal(taskSelected([], ['b'], []), false);
  assert.equal(taskSelected(['always'], ['b'], []), true);
  assert.equal(taskSelected(['never', 'debug'], ['debug'], []), true);
  assert.equal(taskSelected(['never'], ['never'], []), true);
  assert.equal(taskSelected(['never', 'debug'], ['other'], []), false);
});

test('taskSelected: tagged and untagged', () => {
  assert.equal(taskSelected(['a'], ['tagged'], []), true);
  assert.equal(taskSelected([], ['tagged'], []), false);
  assert.equal(taskSelected(['never', 'a'], ['tagged'], []), false);
  assert.equal(taskSelected([], ['untagged'], []), true);
  assert.equal(taskSelected(['a'], ['untagged'], []), false);
  assert.equal(taskSelected(['a'], [], ['tagged']), false);
  assert.equal(taskSelected([], [], ['tagged']), true);
  assert.equal(taskSelected([], [], ['untagged']), false);
  assert.equal(taskSelected(['a'], [], ['untagged']), true);
});

test('taskSelected: --skip-tags wins, always only skipped by name or with all', () => {
  assert.equal(taskSelected(['a', 'b'], ['a'], ['b']), false);
  assert.equal(taskSelected(['a'], [], ['b']), true);
  assert.equal(taskSelected(['always'], [], ['b']), true);
  assert.equal(taskSelected(['always'], ['x'], ['always']), false);
  assert.equal(taskSelected(['a'], [], ['all']), false);
  assert.equal(taskSelected([], [], ['all']), false);
  assert.equal(taskSelected(['always'], [], ['all']), true);
  assert.equal(taskSelected(['always'], [], ['all', 'always']), false);
});

test('taskSelected on loaded tasks: inherited play tag selects every task of the play', () => {
  const flat = flattenTasks(parse(PB).plays[0].tasks);
  const pick = (only: string[], skip: string[]): string[] =>
    flat.filter((t) => taskSelected(t.tags, only, skip)).map((t) => t.name);
  assert.deepEqual(pick(['play'], []), ['t1', 't2', 't3', 't4', 't5', 't6', 't7']);
  assert.deepEqual(pick(['inner'], []), ['t3', 't4', 't6']);
  assert.deepEqual(pick([], ['outer']), ['t1', 't7']);
  assert.deepEqual(pick(['deep'], ['always']), ['t3']);
});
