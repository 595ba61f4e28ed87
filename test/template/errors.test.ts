import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { MAX_TEMPLATE_BYTES, renderDeep, renderString, renderTemplate } from '../../src/template/index.ts';

function fleetError(f: () => unknown): FleetError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof FleetError, `expected a FleetError, got ${e instanceof Error ? e.stack : String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

const location = { file: 'site.yml', line: 12, col: 9 };
const task = 'Write calicoctl.cfg';

describe('undefined variables are errors that name the variable, the task and the file', () => {
  it('in a whole-string variable', () => {
    const e = fleetError(() => renderString('{{ cluster_cidr }}', {}, { task, location }));
    assert.equal(e.code, 'E_UNDEFINED_VAR');
    assert.equal(e.message, `undefined variable 'cluster_cidr' in task "Write calicoctl.cfg" (site.yml:12)`);
    assert.deepEqual(e.location, location);
    assert.match(e.hint ?? '', /default cluster_cidr/);
  });

  it('in text', () => {
    const e = fleetError(() => renderString('--cidr={{ cluster_cidr }}', {}, { task, location }));
    assert.equal(e.code, 'E_UNDEFINED_VAR');
    assert.match(e.message, /^undefined variable 'cluster_cidr' in task "Write calicoctl.cfg" \(site\.yml:12\)$/);
    assert.deepEqual(e.location, { file: 'site.yml', line: 12, col: 9 + 10 });
  });

  it('without a task or a location', () => {
    assert.equal(fleetError(() => renderString('x{{ y }}', {}, {})).message, "undefined variable 'y'");
    assert.equal(fleetError(() => renderString('x{{ y }}', {}, { task: 'T' })).message, `undefined variable 'y' in task "T"`);
  });

  it('names the first missing step of a path', () => {
    const vars = { net: { pod: { cidr: 'x' } }, n: 5, list: ['a'] };
    const cases: Array<[string, string]> = [
      ['{{ net.svc.cidr }}', 'net.svc'],
      ['x {{ net.svc.cidr }}', 'net.svc'],
      ['x {{ net.pod.mask }}', 'net.pod.mask'],
      ['x {{ nope.a.b.c }}', 'nope'],
      ['x {{ n.x }}', 'n.x'],
      ['x {{ n.x.y }}', 'n.x'],
      ['x {{ @foo }}', '@foo'],
      ['x {{ net.pod.cidr.z.w }}', 'net.pod.cidr.z'],
      ['x {{ list.[3] }}', 'list[3]'],
      ['{{ list[3] }}', 'list[3]'],
      ['{{#each list}}{{this.zz}}{{/each}}', 'list[0].zz'],
      ['{{#each list as |it|}}{{it.zz}}{{/each}}', 'zz'],
      ['{{#with net}}{{svc}}{{/with}}', 'net.svc'],
      ['{{#each list}}{{../zz}}{{/each}}', 'zz'],
      ['{{@root.zz}}', 'zz'],
      ['{{quote zz}}', 'zz'],
      ['{{json net.zz}}', 'net.zz'],
      ['{{#each zz}}{{/each}}', 'zz'],
      ['{{#with zz}}{{/with}}', 'zz'],
      ['{{join (default zz yy) ","}}', 'yy'],
    ];
    for (const [text, name] of cases) {
      const e = fleetError(() => renderString(text, vars, { task }));
      assert.equal(e.code, 'E_UNDEFINED_VAR', text);
      assert.ok(e.message.includes(name), `${text}: ${e.message} should name ${name}`);
    }
  });

  it('in a template file: the location is the template file and the line', () => {
    const text = 'a: 1\nb: 2\ncidr: {{ cluster_cidr }}\n';
    const e = fleetError(() => renderTemplate(text, {}, { file: 'templates/calicoctl.cfg.hbs', task }));
    assert.equal(e.code, 'E_UNDEFINED_VAR');
    assert.equal(e.message, `undefined variable 'cluster_cidr' in task "Write calicoctl.cfg" (templates/calicoctl.cfg.hbs:3)`);
    assert.deepEqual(e.location, { file: 'templates/calicoctl.cfg.hbs', line: 3, col: 10 }, 'the column of the variable');
  });

  it('in a template file, also below a missing value and inside helpers', () => {
    const e1 = fleetError(() => renderTemplate('x\n\n  {{ a.b.c }}', {}, { file: 't.hbs' }));
    assert.match(e1.message, /undefined variable 'a' \(t\.hbs:3\)/);
    assert.equal(e1.location?.line, 3);
    const e2 = fleetError(() => renderTemplate('x\ny {{quote (json a)}}', { }, { file: 't.hbs' }));
    assert.match(e2.message, /undefined variable 'a' \(t\.hbs:2\)/);
  });

  it('renderDeep passes the task and location on', () => {
    const e = fleetError(() => renderDeep({ args: ['ok', '{{ nope }}'] }, {}, { task, location }));
    assert.match(e.message, /undefined variable 'nope' in task "Write calicoctl.cfg"/);
  });
});

describe('syntax errors', () => {
  it('are E_TEMPLATE with the line and column', () => {
    const e = fleetError(() => renderTemplate('line1\nline2 {{#if x}}\nline3', {}, { file: 'templates/a.hbs', task }));
    assert.equal(e.code, 'E_TEMPLATE');
    assert.match(e.message, /^template syntax error on line 3, column 6: Expecting .*got 'EOF'/);
    assert.match(e.message, /in task "Write calicoctl.cfg" \(templates\/a\.hbs:3\)$/);
    assert.deepEqual(e.location, { file: 'templates/a.hbs', line: 3, col: 6 });
  });

  it('report unterminated and mismatched tags', () => {
    const e1 = fleetError(() => renderString('x {{ port', {}, { location }));
    assert.equal(e1.code, 'E_TEMPLATE');
    assert.match(e1.message, /template syntax error on line 1, column \d+/);
    assert.equal(e1.location?.file, 'site.yml');
    const e2 = fleetError(() => renderTemplate('x\n{{#if a}}\n{{/each}}', { a: 1 }, { file: 'b.hbs' }));
    assert.match(e2.message, /if doesn't match each/);
    assert.equal(e2.location?.line, 2, 'the block that is not closed');
    const e3 = fleetError(() => renderTemplate('ok\n{{!-- never closed', {}, { file: 'c.hbs' }));
    assert.equal(e3.code, 'E_TEMPLATE');
    assert.equal(e3.location?.line, 2);
  });

  it('the location moves to later lines of a multi-line playbook string', () => {
    const e = fleetError(() => renderString('a\nb\n  {{ x', {}, { location }));
    assert.equal(e.location?.line, 14);
  });
});

describe('what templates may not do', () => {
  it('call unknown helpers', () => {
    for (const text of ['{{foo bar}}', '{{#foo 1}}x{{/foo}}', '{{log "x"}}', '{{#if (shell "x")}}{{/if}}', '{{__opt this "a"}}', '{{__out 1}}', '{{blockHelperMissing x}}']) {
      const e = fleetError(() => renderString(text, { bar: 1, x: 1 }, { task }));
      assert.equal(e.code, 'E_TEMPLATE', text);
      assert.match(e.message, /unknown helper/, text);
    }
  });

  it('use partials or decorators', () => {
    assert.match(fleetError(() => renderString('{{> header}}', {}, {})).message, /partials/);
    assert.match(fleetError(() => renderString('{{#> layout}}x{{/layout}}', {}, {})).message, /partials/);
    assert.match(fleetError(() => renderString('{{#*inline "p"}}x{{/inline}}', {}, {})).message, /decorators/);
  });

  it('misuse helpers', () => {
    const e = fleetError(() => renderString('{{quote}}', {}, { task }));
    assert.equal(e.code, 'E_TEMPLATE');
    assert.match(e.message, /helper 'quote' takes 1 argument, got 0/);
    assert.match(fleetError(() => renderString('{{#if}}x{{/if}}', {}, {})).message, /#if requires exactly one argument/);
  });

  it(`be larger than ${MAX_TEMPLATE_BYTES} bytes`, () => {
    const big = '{{ x }}' + 'é'.repeat(MAX_TEMPLATE_BYTES / 2);
    assert.equal(fleetError(() => renderString(big, { x: 1 }, { location })).code, 'E_INPUT_TOO_LARGE');
    assert.equal(fleetError(() => renderTemplate(big, { x: 1 }, { file: 'big.hbs' })).code, 'E_INPUT_TOO_LARGE');
    const justBelow = 'a'.repeat(MAX_TEMPLATE_BYTES - 10) + '{{x}}';
    assert.equal((renderString(justBelow, { x: 1 }, {}) as string).length, MAX_TEMPLATE_BYTES - 9);
  });

  it('walk data nested too deeply in renderDeep', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 150; i++) deep = [deep];
    assert.equal(fleetError(() => renderDeep(deep, {}, {})).code, 'E_INPUT_TOO_LARGE');
  });
});
