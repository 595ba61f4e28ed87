import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rootVariables } from '../../src/template/index.ts';

const names = (text: string) => rootVariables(text).map((u) => (u.denied ? `!${u.name}` : u.name));

describe('rootVariables: the top-level variables a template reads', () => {
  it('plain paths give their first segment, with 1-based line and 0-based column', () => {
    assert.deepEqual(rootVariables('a {{ x.y.z }}\n{{ w }}'), [
      { name: 'x', line: 1, column: 5 },
      { name: 'w', line: 2, column: 3 },
    ]);
    assert.deepEqual(names('no mustache'), []);
    assert.deepEqual(names('{{ this.a }} {{ . }} {{ this }}'), ['a']);
  });

  it('helper names are not variables; their arguments and hash values are', () => {
    assert.deepEqual(names('{{ quote a }} {{ join b ", " }} {{ indent c spaces=d }} {{ json (lookup e "f") }}'), ['a', 'b', 'c', 'd', 'e']);
  });

  it('the first argument of default, if and unless may be missing', () => {
    assert.deepEqual(names('{{ default a "x" }} {{#if b}}{{ c }}{{/if}} {{#unless d}}{{/unless}} {{ default (quote e) "x" }}'), ['c', 'e']);
  });

  it('inside each and with, paths are relative to the item unless they climb out', () => {
    assert.deepEqual(names('{{#each list}}{{ name }} {{ ../outer }} {{ @root.top }} {{ @index }}{{/each}}'), ['list', 'outer', 'top']);
    assert.deepEqual(names('{{#with obj}}{{ inner }}{{#each xs}}{{ ../../deep }}{{ ../mid }}{{/each}}{{/with}}'), ['obj', 'deep']);
    assert.deepEqual(names('{{#each list}}x{{else}}{{ fallback }}{{/each}}'), ['list', 'fallback']);
  });

  it('block parameters are local', () => {
    assert.deepEqual(names('{{#each list as |it i|}}{{ it.a }} {{ i }} {{ other }}{{/each}}'), ['list']);
  });

  it('lookup this "name" reads name; a lookup of an internal name is denied anywhere', () => {
    assert.deepEqual(names('{{ lookup this "k" }} {{ lookup . "j" }} {{ lookup @root "r" }}'), ['k', 'j', 'r']);
    assert.deepEqual(names('{{ lookup x "constructor" }} {{#each l}}{{ lookup this "__proto__" }}{{/each}}'), ['!constructor', 'x', 'l', '!__proto__']);
  });

  it('literals handlebars reads as names count as names', () => {
    assert.deepEqual(names('{{ "x" }} {{ true }}'), ['x', 'true']);
  });
});
