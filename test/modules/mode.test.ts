import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMode, parseMode, resolveMode } from '../../src/modules/mode.ts';

const bits = (v: string | number, current?: number, isDir = false): number => resolveMode(parseMode(v), current, isDir);

test('octal strings', () => {
  assert.equal(bits('0644'), 0o644);
  assert.equal(bits('644'), 0o644);
  assert.equal(bits('0o755'), 0o755);
  assert.equal(bits('1777'), 0o1777);
  assert.equal(bits('04755'), 0o4755);
  assert.equal(bits('0'), 0);
  assert.throws(() => parseMode('77777'), /larger than 07777/);
  assert.throws(() => parseMode('0648'), /neither an octal mode/);
});

test('YAML numbers are read as octal digits when every digit is 0-7', () => {
  // YAML 1.2 reads `mode: 0644` as the number 644.
  assert.equal(bits(644), 0o644);
  assert.equal(bits(755), 0o755);
  assert.equal(bits(600), 0o600);
  assert.equal(bits(1777), 0o1777);
  assert.equal(bits(0), 0);
  // 493 is what `mode: 0o755` becomes: not octal digits, so ambiguous.
  assert.throws(() => parseMode(493), /quoted string like "0644"/);
  assert.throws(() => parseMode(10000), /not a valid octal mode/);
  assert.throws(() => parseMode(6.44), /not a valid octal mode/);
  assert.throws(() => parseMode(-644), /not a valid octal mode/);
});

test('symbolic modes, absolute', () => {
  assert.equal(bits('u=rw,g=r,o=r'), 0o644);
  assert.equal(bits('u=rwx,go=rx'), 0o755);
  assert.equal(bits('a=r', 0o777), 0o444);
  assert.equal(bits('u=rw,go=', 0o755), 0o600);
});

test('symbolic modes, relative to the current mode', () => {
  assert.equal(bits('u+x', 0o644), 0o744);
  assert.equal(bits('go-w', 0o666), 0o644);
  assert.equal(bits('+x', 0o644), 0o755);
  assert.equal(bits('a+X', 0o644), 0o644, 'X adds x to a file only when someone has x');
  assert.equal(bits('a+X', 0o744), 0o755);
  assert.equal(bits('a+X', 0o644, true), 0o755, 'X always adds x to a directory');
  assert.equal(bits('g=u', 0o740), 0o770);
  assert.equal(bits('u+s', 0o755), 0o4755);
  assert.equal(bits('g+s', 0o755, true), 0o2755);
  assert.equal(bits('+t', 0o777, true), 0o1777);
  assert.equal(bits('u+x,g-r', 0o644), 0o704);
  // No current mode: new files start from 0644, new directories from 0755.
  assert.equal(bits('u+x'), 0o744);
  assert.equal(bits('g+w', undefined, true), 0o775);
});

test('bad symbolic modes are rejected', () => {
  for (const bad of ['', 'u=rwz', 'x=r', 'u', 'u=rw,', 'rw-r--r--', 'preserve']) {
    assert.throws(() => parseMode(bad), /neither an octal mode/, bad);
  }
});

test('formatMode', () => {
  assert.equal(formatMode(0o644), '0644');
  assert.equal(formatMode(0o4755), '04755');
  assert.equal(formatMode(0), '0000');
});
