import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compilePattern, hasGroupRefs, parseTemplate, patternError, substituteAll, templateGroupError, templateText,
} from '../../src/modules/regex.ts';

const sub = (text: string, pattern: string, template: string): { text: string; count: number } =>
  substituteAll(text, compilePattern(pattern, 'gm'), parseTemplate(template));

test('Python pattern syntax is translated', () => {
  assert.equal(sub('key=value', '(?P<k>\\w+)=(?P<v>\\w+)', '\\g<v>=\\g<k>').text, 'value=key');
  assert.equal(sub('abab x', '(?P<p>ab)(?P=p)', 'Z').text, 'Z x');
  assert.equal(sub('a\nb\n', '\\Ab', 'X').count, 0, '\\A is the start of the text, not of a line');
  assert.equal(sub('a\nb', 'b\\Z', 'X').text, 'a\nX');
  assert.equal(sub('ABC', '(?i)b', 'x').text, 'AxC');
  assert.equal(sub('a(?#c)b', 'a(?#comment)b', 'x').text, 'a(?#c)b', 'comment removed from pattern');
  assert.equal(sub('ab', 'a(?#comment)b', 'x').text, 'x');
  assert.equal(sub('a]b', '[]]', '-').text, 'a-b', '] first in a class is a literal, as in Python');
  assert.equal(sub('a]b', '[^]]', '-').text, '-]-');
  assert.equal(sub('a\x07b', '\\a', '-').text, 'a-b');
});

test('escapes JavaScript would silently misread are rejected', () => {
  assert.match(patternError('\\e') ?? '', /unsupported escape \\e/);
  assert.match(patternError('\\p{L}') ?? '', /unsupported escape \\p/);
  assert.match(patternError('(?x)a') ?? '', /inline flag \(\?x\)/);
  assert.match(patternError('a(') ?? '', /invalid regular expression 'a\('/);
  assert.match(patternError('abc\\') ?? '', /lone backslash/);
  assert.equal(patternError('192\\.168\\.0\\.0/16'), undefined);
  assert.equal(patternError('\\d+\\s\\w\\b\\.\\-\\/\\:'), undefined);
});

test('multiline: ^ and $ are line anchors, as with Python re.MULTILINE', () => {
  assert.deepEqual(sub('a=1\nb=2\na=3\n', '^a=.*$', 'a=0'), { text: 'a=0\nb=2\na=0\n', count: 2 });
});

test('replacement templates: Python and JavaScript group references', () => {
  const text = 'x 10.0.0.1 y';
  const re = '(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)';
  assert.equal(sub(text, re, '\\4.\\3.\\2.\\1').text, 'x 1.0.0.10 y');
  assert.equal(sub(text, re, '\\g<4>.\\g<1>').text, 'x 1.10 y');
  assert.equal(sub(text, re, '$4.$1').text, 'x 1.10 y');
  assert.equal(sub(text, re, '${4}0').text, 'x 10 y');
  assert.equal(sub(text, re, '[\\g<0>]').text, 'x [10.0.0.1] y');
  assert.equal(sub('k=v', '(?P<key>k)=v', '$<key>!').text, 'k!');
});

test('replacement templates: escapes and dollars', () => {
  assert.equal(sub('a', 'a', 'x\\ny\\tz').text, 'x\ny\tz');
  assert.equal(sub('a', 'a', 'back\\\\slash').text, 'back\\slash');
  assert.equal(sub('a', 'a', 'cost $$5 and $x $').text, 'cost $5 and $x $');
  assert.equal(sub('a', 'a', '\\.\\&').text, '\\.\\&', 'non-letter escapes stay as written (Python)');
  assert.equal(sub('a', 'a', '\\101\\0').text, 'A\0', 'octal escapes');
  assert.throws(() => parseTemplate('\\q'), /bad escape \\q/);
  assert.throws(() => parseTemplate('\\g1'), /bad \\g reference/);
  assert.throws(() => parseTemplate('\\g<a-b>'), /bad group name/);
  assert.throws(() => parseTemplate('x\\'), /lone backslash/);
});

test('unmatched optional groups expand to empty text', () => {
  assert.equal(sub('ac', 'a(b)?c', '[\\1]').text, '[]');
});

test('group references are checked against the pattern', () => {
  const re = compilePattern('(a)(?<name>b)', 'g');
  assert.equal(templateGroupError(re, parseTemplate('\\1\\2\\g<name>')), undefined);
  assert.match(templateGroupError(re, parseTemplate('\\3')) ?? '', /group 3 but the regexp has 2/);
  assert.match(templateGroupError(re, parseTemplate('\\g<nope>')) ?? '', /'nope'/);
});

test('hasGroupRefs and templateText', () => {
  assert.equal(hasGroupRefs(parseTemplate('10.244.0.0/16')), false);
  assert.equal(templateText(parseTemplate('a\\nb$$')), 'a\nb$');
  assert.equal(hasGroupRefs(parseTemplate('\\1')), true);
  assert.equal(hasGroupRefs(parseTemplate('$1')), true);
});

test('empty matches advance like Python re.sub', () => {
  assert.equal(sub('abxd', 'x*', '-').text, '-a-b--d-');
});
