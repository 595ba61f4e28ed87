/**
 * Property-based fuzzing of what the parser fuzz tests (test/inventory,
 * test/playbook, test/expr, test/template property tests) do not reach: -e
 * values, the pre-run checks (cli/preflight.ts) over playbooks loaded with the
 * real modules, the template variable scan, and the CLI end to end (`fleet
 * validate`, `fleet inventory`) on generated files. Each either succeeds or
 * reports bad input (a FleetError; exit 4 with one error line), never throws
 * anything else, never prints a stack trace, never hangs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { parseExtraVars } from '../../src/cli/options.ts';
import { preflight } from '../../src/cli/preflight.ts';
import { parseInventory } from '../../src/inventory/index.ts';
import { parsePlaybook } from '../../src/playbook/index.ts';
import { modules, getModule } from '../../src/modules/index.ts';
import { checkTemplate, rootVariables } from '../../src/template/index.ts';
import { removeDir, tempDir } from '../integration/helpers.ts';
import { fleetInProcess } from './in-process.ts';

const INVENTORY = parseInventory('all:\n  vars: { known_var: 1 }\n  children:\n    web: { hosts: { h1: {}, h2: {} } }\n', 'inv.yaml');

/** A FleetError for bad input, placed when it names a place. */
function assertBadInput(e: unknown, what: string): asserts e is FleetError {
  if (!(e instanceof FleetError)) assert.fail(`${what}: threw ${e instanceof Error ? e.stack : String(e)}`);
  assert.equal(e.fault, 'user', `${what}: ${e.describe()}`);
  if (e.location) assert.ok(e.location.line >= 1 && e.location.col >= 1, `${what}: ${e.describe()}`);
}

describe('-e values', () => {
  it('arbitrary key=value strings: variables or E_USAGE, and no prototype pollution', () => {
    const key = fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'a', 'x_1'));
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.constantFrom('[', '{', '[1,', '{a: 1', '[&a 1, *a]', '{"__proto__": {"polluted": 1}}', 'true', '-1.5', '0x10'),
    );
    fc.assert(fc.property(fc.array(fc.tuple(key, value).map(([k, v]) => `${k}=${v}`), { maxLength: 4 }), (items) => {
      try {
        const vars = parseExtraVars(items);
        assert.equal(Object.getPrototypeOf(vars), Object.prototype);
        for (const k of Object.keys(vars)) assert.match(k, /^[A-Za-z_][A-Za-z0-9_]*$/);
      } catch (e) {
        assertBadInput(e, JSON.stringify(items));
        assert.equal(e.code, 'E_USAGE');
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
    }), { numRuns: 2000 });
  });
});

describe('template variable scan', () => {
  const PIECES = [
    '{{', '}}', '{{#each ', '{{#with ', '{{#if ', '{{/each}}', '{{/with}}', '{{/if}}', '{{else}}', ' as |x|', ' as |x i|', 'x', 'x.y',
    '../', '@root.', 'this', 'this.', 'lookup ', '"constructor"', '"a"', 'default ', 'quote ', '(', ')', ' ', 'known_var', 'groups',
    '[a]', '.', '\n', 'text', '=', 'indent=2', '"', "'",
  ];
  it('checkTemplate then rootVariables: a list of reads or a FleetError, never another error', () => {
    const soup = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 30 }).map((p) => p.join(''));
    fc.assert(fc.property(fc.oneof(soup, fc.string({ maxLength: 60 })), (text) => {
      try {
        checkTemplate(text, { location: { file: 'p.yaml', line: 3, col: 9 }, task: 't' });
      } catch (e) {
        assertBadInput(e, JSON.stringify(text));
        return;
      }
      for (const use of rootVariables(text)) {
        assert.ok(use.name !== '' && use.line >= 1 && use.column >= 0, JSON.stringify({ text, use }));
      }
    }), { numRuns: 3000 });
  });
});

describe('pre-run checks over playbooks with the real modules', () => {
  const scalar = fc.oneof(
    fc.constantFrom('{{ known_var }}', '{{ nope }}', '{{ x.y }}', '{{#each groups.web}}{{this}}{{/each}}', '{{ quote known_var }}',
      '{{ lookup this "constructor" }}', '{{ item }}', '{{ r.stdout }}', '/opt/x', 'echo hi', '0644', '{{', 'a == 1', 'nope is defined'),
    fc.string({ maxLength: 12 }),
    fc.integer({ min: -1, max: 70000 }),
    fc.boolean(),
  );
  const args = fc.dictionary(
    fc.constantFrom('cmd', 'argv', 'path', 'dest', 'content', 'src', 'state', 'mode', 'msg', 'that', 'name', 'port', 'host', 'line', 'regexp', 'replace', 'var', 'chdir'),
    fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })),
    { maxKeys: 4 },
  );
  const task = fc.record({
    name: fc.string({ maxLength: 8 }),
    module: fc.constantFrom(...Object.keys(modules)),
    args,
    when: fc.option(fc.constantFrom('nope is defined', 'known_var == 1', 'a =='), { nil: undefined }),
    register: fc.option(fc.constantFrom('r', 'nope'), { nil: undefined }),
    loop: fc.option(fc.constantFrom('{{ groups.web }}', '{{ nope }}'), { nil: undefined }),
    ignore_errors: fc.option(fc.boolean(), { nil: undefined }),
  }).map(({ module, args: a, ...rest }) => {
    const t: Record<string, unknown> = { [module]: a };
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) t[k] = v;
    return t;
  });
  const playbook = fc.array(fc.record({ hosts: fc.constantFrom('all', 'web', 'nope', 'web:&'), tasks: fc.array(task, { maxLength: 4 }) }), { minLength: 1, maxLength: 2 });

  it('generated playbooks: preflight returns placed FleetErrors, never throws', async () => {
    let loaded = 0;
    await fc.assert(fc.asyncProperty(playbook, async (plays) => {
      const text = stringify(plays);
      let pb;
      try {
        pb = parsePlaybook(text, 'fuzz.yaml', { modules, resolveModule: getModule });
      } catch (e) {
        assertBadInput(e, text);
        return;
      }
      loaded++;
      const problems = await preflight({ playbook: pb, inventory: INVENTORY, extraVars: {} });
      for (const p of problems) {
        assertBadInput(p, text);
        assert.ok(p.location, `${text}\n${p.describe()}`);
      }
    }), { numRuns: 400 });
    assert.ok(loaded > 20, `only ${loaded} playbooks loaded`);
  });
});

describe('the CLI on generated files (in-process)', () => {
  let dir = '';
  before(() => {
    dir = tempDir('fuzz-cli');
    writeFileSync(join(dir, 'inventory.yaml'), 'all:\n  vars: { known_var: 1 }\n  hosts: { h1: { address: 127.0.0.1, port: 9 } }\n');
  });
  after(() => removeDir(dir));

  /** Exit 0, or exit 4 with exactly one error line; never a stack trace or an internal error. */
  function checkOutcome(out: { code: number; stderr: string }, input: string): void {
    const show = `${JSON.stringify(input)}\nexit ${out.code}\n${out.stderr}`;
    assert.ok(out.code === 0 || out.code === 4, show);
    assert.doesNotMatch(out.stderr, /^\s+at |internal error/m, show);
    if (out.code === 4) assert.equal(out.stderr.split('\n').filter((l) => l.startsWith('fleet: error')).length >= 1, true, show);
  }

  const yamlish = fc.array(
    fc.constantFrom('- ', '  ', ':', ': ', '\n', '{', '}', '[', ']', ',', '&a ', '*a', '"', "'", '#', '|', '<<: ', 'hosts', 'tasks',
      'all', 'shell', 'debug', 'msg', 'vars', 'children', 'x', '{{ nope }}', '{{ known_var }}', '1', 'true', '\\0', '\t', 'ü'),
    { maxLength: 60 },
  ).map((a) => a.join(''));

  it('fleet validate on YAML-ish playbooks', async () => {
    const file = join(dir, 'pb.yaml');
    await fc.assert(fc.asyncProperty(yamlish, async (text) => {
      writeFileSync(file, text);
      checkOutcome(await fleetInProcess(['validate', file, '-i', join(dir, 'inventory.yaml')]), text);
    }), { numRuns: 300 });
  });

  it('fleet inventory on YAML-ish inventories', async () => {
    const file = join(dir, 'inv.yaml');
    await fc.assert(fc.asyncProperty(yamlish, async (text) => {
      writeFileSync(file, text);
      checkOutcome(await fleetInProcess(['inventory', '-i', file]), text);
    }), { numRuns: 300 });
  });
});
