import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { splitWords } from '../../src/modules/split-words.ts';
import { commandLine } from '../../src/modules/command.ts';

test('blanks separate words; runs of blanks count once', () => {
  assert.deepEqual(splitWords('  systemctl   stop\tflanneld \n'), ['systemctl', 'stop', 'flanneld']);
  assert.deepEqual(splitWords(''), []);
  assert.deepEqual(splitWords('   '), []);
});

test('single quotes keep everything literally', () => {
  assert.deepEqual(splitWords(`echo 'a  b' 'x"y' '\\n'`), ['echo', 'a  b', 'x"y', '\\n']);
  assert.deepEqual(splitWords(`a'b c'd`), ['ab cd']);
});

test('double quotes: backslash escapes only $ ` " \\ and newline', () => {
  assert.deepEqual(splitWords(`echo "a \\"b\\" \\$HOME \\\\ \\n \\x"`), ['echo', 'a "b" $HOME \\ \\n \\x']);
  assert.deepEqual(splitWords('echo "line\\\ncontinued"'), ['echo', 'linecontinued']);
  assert.deepEqual(splitWords(`"it's"`), [`it's`]);
});

test('unquoted backslash makes the next character literal; backslash-newline is removed', () => {
  assert.deepEqual(splitWords('a\\ b c\\\\d \\"e'), ['a b', 'c\\d', '"e']);
  assert.deepEqual(splitWords('ip route \\\n  add x'), ['ip', 'route', 'add', 'x']);
  assert.deepEqual(splitWords('ab\\\ncd'), ['abcd']);
});

test('empty quotes make empty words', () => {
  assert.deepEqual(splitWords(`printf '' "" x`), ['printf', '', '', 'x']);
  assert.deepEqual(splitWords(`'' \\\n`), ['']);
});

test('shell syntax stays literal text', () => {
  assert.deepEqual(splitWords('echo $(id) `id` ; rm -rf / | cat > /etc/passwd && x * ~'), [
    'echo', '$(id)', '`id`', ';', 'rm', '-rf', '/', '|', 'cat', '>', '/etc/passwd', '&&', 'x', '*', '~',
  ]);
  assert.deepEqual(splitWords('a#b #c'), ['a#b', '#c']);
});

test('unterminated quotes and a trailing backslash are errors', () => {
  assert.throws(() => splitWords(`echo 'abc`), /unterminated single quote/);
  assert.throws(() => splitWords('echo "abc'), /unterminated double quote/);
  assert.throws(() => splitWords('echo "abc\\"'), /unterminated double quote/);
  assert.throws(() => splitWords('echo abc\\'), /lone backslash/);
});

/** What /bin/sh makes of a command line, one word per NUL-terminated record. */
function shWords(line: string): string[] {
  const r = spawnSync('/bin/sh', ['-c', `set -f; for w in ${line}; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout === '' ? [] : r.stdout.slice(0, -1).split('\0');
}

test('words quoted back with shq reach /bin/sh unchanged, whatever they hold', () => {
  const hostile = ['$(touch /tmp/pwned)', '`id`', "a'b", 'a"b', ';', '|', '*', '\\', '$HOME', '-n', '', ' x ', '\n', '~root'];
  assert.deepEqual(shWords(commandLine(hostile)), hostile);
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'grapheme-ascii' }).filter((s) => !s.includes('\0')), { maxLength: 6 }), (words) => {
      assert.deepEqual(shWords(commandLine(words)), words);
    }),
    { numRuns: 60 },
  );
});

test('splitWords agrees with /bin/sh quote removal on quoting-only input', () => {
  const cases = [`a 'b c' "d e" f\\ g`, `"\\$x" '\\$x' \\$x`, `"a\\\\b" 'a\\\\b'`, `x"y"'z'`, `"" ''`];
  for (const c of cases) assert.deepEqual(splitWords(c), shWords(c), c);
});
