import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderDeep, renderString, renderTemplate } from '../../src/template/index.ts';

const vars: Record<string, unknown> = {
  cluster_cidr: '10.244.0.0/16',
  groups: { workers: ['w1', 'w2'], masters: ['m1'] },
  port: 6443,
  enabled: true,
  nothing: null,
  config: { a: 1, list: [1, 2], 'dash-key': 'dk' },
  servers: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }],
  text: 'line1\nline2\n',
};
const where = { task: 'Test task', location: { file: 'site.yml', line: 3, col: 7 } };

describe('renderString', () => {
  it('returns strings without {{ as they are', () => {
    assert.equal(renderString('plain text', vars, where), 'plain text');
    assert.equal(renderString('', vars, where), '');
    assert.equal(renderString('{ not a template }', vars, where), '{ not a template }');
  });

  it('keeps the type of a value when the string is exactly one variable path', () => {
    assert.deepEqual(renderString('{{ groups.workers }}', vars, where), ['w1', 'w2']);
    assert.equal(renderString('{{port}}', vars, where), 6443);
    assert.equal(renderString('{{  enabled  }}', vars, where), true);
    assert.equal(renderString('{{ nothing }}', vars, where), null);
    assert.deepEqual(renderString('{{ config }}', vars, where), vars.config);
    assert.equal(renderString('{{ config.list[1] }}', vars, where), 2);
    assert.equal(renderString('{{ groups.workers.0 }}', vars, where), 'w1');
    assert.equal(renderString('{{ servers[1].name }}', vars, where), 'b');
    assert.equal(renderString('{{ config.dash-key }}', vars, where), 'dk');
  });

  it('renders anything else to a string', () => {
    assert.equal(renderString('cidr={{ cluster_cidr }}', vars, where), 'cidr=10.244.0.0/16');
    assert.equal(renderString('{{ port }}/tcp', vars, where), '6443/tcp');
    assert.equal(renderString(' {{ port }}', vars, where), ' 6443');
    assert.equal(renderString('{{ port }}{{ port }}', vars, where), '64436443');
    assert.equal(renderString('{{enabled}}-{{nothing}}-', vars, where), 'true--');
  });

  it('renders mappings and lists inside text as JSON', () => {
    assert.equal(renderString('w={{ groups.workers }}', vars, where), 'w=["w1","w2"]');
    assert.equal(renderString('c={{ config }}', vars, where), 'c={"a":1,"list":[1,2],"dash-key":"dk"}');
  });

  it('does not HTML-escape', () => {
    const v = { cmd: `echo "<a & b>" 'x'` };
    assert.equal(renderString('run: {{ cmd }}', v, where), `run: echo "<a & b>" 'x'`);
    assert.equal(renderString('{{{ cmd }}}!', v, where), `echo "<a & b>" 'x'!`);
  });

  it('supports blocks: each, if/else, unless, with, block params, @index, @key, ../ and @root', () => {
    assert.equal(renderString('{{#each servers}}{{name}}:{{port}} {{/each}}', vars, where), 'a:1 b:2 ');
    assert.equal(renderString('{{#each groups.workers}}{{@index}}={{this}},{{/each}}', vars, where), '0=w1,1=w2,');
    assert.equal(renderString('{{#each servers as |s i|}}{{i}}{{s.name}}{{/each}}', vars, where), '0a1b');
    assert.equal(renderString('{{#each config}}{{@key}};{{/each}}', vars, where), 'a;list;dash-key;');
    assert.equal(renderString('{{#each groups.workers}}{{../port}}{{@root.port}}{{/each}}', vars, where), '6443644364436443');
    assert.equal(renderString('{{#if enabled}}on{{else}}off{{/if}}', vars, where), 'on');
    assert.equal(renderString('{{#if nothing}}on{{else}}off{{/if}}', vars, where), 'off');
    assert.equal(renderString('{{#unless enabled}}off{{/unless}}.', vars, where), '.');
    assert.equal(renderString('{{#with config}}{{a}}{{/with}}', vars, where), '1');
  });

  it('lets #if and #unless test variables that may be missing', () => {
    assert.equal(renderString('{{#if extra_opts}}{{extra_opts}}{{else}}none{{/if}}', vars, where), 'none');
    assert.equal(renderString('{{#if missing.deeper}}x{{else}}none{{/if}}', vars, where), 'none');
    assert.equal(renderString('{{#unless missing}}u{{/unless}}', vars, where), 'u');
    assert.equal(renderString('{{#each servers as |s|}}{{#if s.weight}}w{{else}}-{{/if}}{{/each}}', vars, where), '--');
  });

  it('compiles once and renders with new variables each time', () => {
    for (let i = 0; i < 5; i++) assert.equal(renderString('n={{ n }}', { n: i }, where), `n=${i}`);
    for (let i = 0; i < 700; i++) assert.equal(renderString(`v${i}={{ n }}`, { n: i }, where), `v${i}=${i}`);
  });
});

describe('renderDeep', () => {
  it('renders strings inside arrays and objects, returning a new value', () => {
    const input = {
      dest: '/etc/{{ cluster_cidr }}',
      list: ['{{ port }}', 'x', 5, null, true],
      nested: { workers: '{{ groups.workers }}', '{{ key }}': 'keys are not rendered' },
    };
    const copy = structuredClone(input);
    const out = renderDeep(input, vars, where);
    assert.deepEqual(out, {
      dest: '/etc/10.244.0.0/16',
      list: [6443, 'x', 5, null, true],
      nested: { workers: ['w1', 'w2'], '{{ key }}': 'keys are not rendered' },
    });
    assert.deepEqual(input, copy, 'the input is not changed');
    assert.notEqual(out, input);
  });

  it('keeps a __proto__ key as data', () => {
    const input = JSON.parse('{"__proto__": {"x": "{{ port }}"}}') as unknown;
    const out = renderDeep(input, vars, where) as Record<string, unknown>;
    assert.ok(Object.hasOwn(out, '__proto__'));
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { x: 6443 });
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });

  it('renders scalars and leaves other values alone', () => {
    assert.equal(renderDeep('{{ port }}', vars, where), 6443);
    assert.equal(renderDeep(42, vars, where), 42);
    assert.equal(renderDeep(undefined, vars, where), undefined);
  });
});

describe('renderTemplate', () => {
  it('renders a template file to a string', () => {
    const text = [
      'apiVersion: projectcalico.org/v3',
      'cidr: {{ cluster_cidr }}',
      'workers:',
      '{{#each groups.workers}}',
      '  - {{this}}',
      '{{/each}}',
      'port: {{ port }}',
      '',
    ].join('\n');
    assert.equal(
      renderTemplate(text, vars, { file: 'templates/calico.yaml.hbs', task: 'Write calico' }),
      'apiVersion: projectcalico.org/v3\ncidr: 10.244.0.0/16\nworkers:\n  - w1\n  - w2\nport: 6443\n',
    );
  });

  it('returns a single-path template as a string', () => {
    assert.equal(renderTemplate('{{ port }}', vars, { file: 't' }), '6443');
    assert.equal(renderTemplate('no mustaches', vars, { file: 't' }), 'no mustaches');
  });
});
