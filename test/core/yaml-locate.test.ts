import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { locate, locateKey, parseYamlSource, yamlToJS, MAX_ALIAS_COUNT } from '../../src/core/yaml-locate.ts';

const TEXT = [
  'a:', //            1
  '  b:', //          2
  '  c: ~', //        3
  '  e: [1, {f: 2}]', // 4
  'base: &x {k: 1}', // 5
  'm:', //            6
  '  <<: *x', //      7
  '  z: 2', //        8
  'al: *x', //        9
  'list:', //         10
  '  - one', //       11
  '  - two: 2', //    12
].join('\n');

const src = parseYamlSource(TEXT, 'doc.yml');
const at = (line: number, col: number) => ({ file: 'doc.yml', line, col });

test('locate: values, keys, sequences', () => {
  assert.deepEqual(locate(src, ['a']), at(2, 3));
  assert.deepEqual(locate(src, ['a'], { key: true }), at(1, 1));
  assert.deepEqual(locate(src, ['a', 'c']), at(3, 6));
  assert.deepEqual(locateKey(src, ['a', 'c']), at(3, 3));
  assert.deepEqual(locate(src, ['a', 'e', 0]), at(4, 7));
  assert.deepEqual(locate(src, ['a', 'e', 1, 'f']), at(4, 14));
  assert.deepEqual(locate(src, ['list', 1, 'two']), at(12, 10));
  assert.deepEqual(locate(src, ['list', 0]), at(11, 5));
});

test('locate: an empty value points at its key', () => {
  assert.deepEqual(locate(src, ['a', 'b']), at(2, 3));
});

test('locate: missing nodes give the nearest existing ancestor', () => {
  assert.deepEqual(locate(src, ['a', 'e', 7]), at(4, 6));
  assert.deepEqual(locate(src, ['a', 'nope', 'deeper']), at(2, 3));
  assert.deepEqual(locate(src, ['a', 'c', 'x']), at(3, 6));
  assert.deepEqual(locate(src, ['nope']), at(1, 1));
  assert.deepEqual(locate(src, []), at(1, 1));
  assert.deepEqual(locate(src, ['a', 'b', 'deeper']), at(2, 3));
});

test('locate: follows aliases and merge keys to the anchored node', () => {
  assert.deepEqual(locate(src, ['al', 'k']), at(5, 14));
  assert.deepEqual(locate(src, ['m', 'k']), at(5, 14));
  assert.deepEqual(locate(src, ['m', 'z']), at(8, 6));
  assert.deepEqual(yamlToJS(src), {
    a: { b: null, c: null, e: [1, { f: 2 }] },
    base: { k: 1 },
    m: { k: 1, z: 2 },
    al: { k: 1 },
    list: ['one', { two: 2 }],
  });
});

function yamlError(text: string): FleetError {
  try {
    yamlToJS(parseYamlSource(text, 'x.yml'));
  } catch (e) {
    assert.ok(e instanceof FleetError, `not a FleetError: ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

test('syntax errors are E_YAML with the position and a clean message', () => {
  const e = yamlError('a: 1\nb: [1, 2\nc: 3\n');
  assert.equal(e.code, 'E_YAML');
  assert.equal(e.location?.line, 3);
  assert.equal(e.location?.col, 1);
  assert.doesNotMatch(e.message, /at line/);
  assert.match(e.describe(), /^x\.yml:3:1: /);
});

test('duplicate keys are E_YAML at the second key', () => {
  const e = yamlError('top:\n  k: 1\n  other: 2\n  k: 3\n');
  assert.equal(e.code, 'E_YAML');
  assert.deepEqual(e.location, { file: 'x.yml', line: 4, col: 3 });
  assert.match(e.message, /duplicate key 'k'/);
  // keys that become the same string in plain data are duplicates too
  assert.deepEqual(yamlError('m: {1: a, "1": b}\n').location, { file: 'x.yml', line: 1, col: 11 });
});

test('several documents and unknown tags are refused', () => {
  const multi = yamlError('a: 1\n---\nb: 2\n');
  assert.equal(multi.code, 'E_YAML');
  assert.equal(multi.location?.line, 2);
  const vault = yamlError('a: 1\npw: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n');
  assert.equal(vault.code, 'E_YAML');
  assert.deepEqual(vault.location, { file: 'x.yml', line: 2, col: 5 });
  assert.match(vault.hint ?? '', /not supported/);
});

test('alias bombs fail fast', () => {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  const names = 'abcdefghijklmnop';
  for (let i = 1; i < names.length; i++) {
    text += `${names[i]}: &${names[i]} [${Array(9).fill('*' + names[i - 1]).join(', ')}]\n`;
  }
  const t0 = performance.now();
  const e = yamlError(text);
  const ms = performance.now() - t0;
  assert.equal(e.code, 'E_YAML');
  assert.match(e.message, new RegExp(`alias.*${MAX_ALIAS_COUNT}`));
  assert.ok(ms < 500, `took ${ms} ms`);
});

test('a few aliases are fine', () => {
  const v = yamlToJS(parseYamlSource('d: &d {x: 1}\na: *d\nb: *d\nc: [*d, *d]\n', 'x.yml'));
  assert.deepEqual(v, { d: { x: 1 }, a: { x: 1 }, b: { x: 1 }, c: [{ x: 1 }, { x: 1 }] });
});

test('absurd nesting is a clean E_YAML, moderate nesting works', () => {
  const ok = yamlToJS(parseYamlSource('{a: '.repeat(100) + '1' + '}'.repeat(100), 'x.yml'));
  let depth = 0;
  for (let v: unknown = ok; typeof v === 'object' && v !== null; v = (v as { a: unknown }).a) depth++;
  assert.equal(depth, 100);
  const e = yamlError('['.repeat(50_000) + ']'.repeat(50_000));
  assert.equal(e.code, 'E_YAML');
  assert.match(e.message, /nested too deeply/);
  assert.ok(e.location);
  let block = '';
  for (let i = 0; i < 3000; i++) block += ' '.repeat(i) + 'k:\n';
  const e2 = yamlError(block);
  assert.equal(e2.code, 'E_YAML');
  assert.match(e2.message, /nested too deeply/);
});

test('a duplicate key after an empty value is located at the key itself', () => {
  const e = yamlError('m:\n  a:\n  b:\n  a:\n');
  assert.equal(e.code, 'E_YAML');
  assert.deepEqual(e.location, { file: 'x.yml', line: 4, col: 3 });
});

test('an alias with no anchor is E_YAML at the alias', () => {
  const e = yamlError('a: 1\nb:\n  c: *missing\n');
  assert.equal(e.code, 'E_YAML');
  assert.match(e.message, /unknown alias \*missing/);
  assert.deepEqual(e.location, { file: 'x.yml', line: 3, col: 6 });
});
