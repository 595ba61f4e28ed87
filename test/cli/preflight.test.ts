import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preflight, MAGIC_VARS } from '../../src/cli/preflight.ts';
import { parseInventory } from '../../src/inventory/index.ts';
import { parsePlaybook } from '../../src/playbook/index.ts';
import { modules, getModule } from '../../src/modules/index.ts';
import { newHostRun, taskVars } from '../../src/executor/host-run.ts';

const INV = parseInventory('all:\n  vars: { inv_var: 1 }\n  children:\n    web: { hosts: { h1: { host_var: 2 } } }\n', 'inv.yaml');

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-preflight-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'templates', 'ok.hbs'), 'a={{ inv_var }}\n');
  writeFileSync(join(dir, 'templates', 'bad.hbs'), 'a\nb={{ nowhere }}\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function problems(text: string, opts: { inventory?: boolean; extraVars?: Record<string, unknown>; onlyTags?: string[] } = {}): Promise<string[]> {
  const file = join(dir, 'pb.yaml');
  writeFileSync(file, text);
  const playbook = parsePlaybook(text, file, { modules, resolveModule: getModule });
  const errors = await preflight({
    playbook,
    ...(opts.inventory === false ? {} : { inventory: INV }),
    extraVars: opts.extraVars ?? {},
    ...(opts.onlyTags ? { onlyTags: opts.onlyTags } : {}),
  });
  return errors.map((e) => `${e.code} ${e.location ? `${e.location.file === file ? '' : `${e.location.file.replace(dir, '')}:`}${e.location.line}:${e.location.col}` : '-'} ${e.message.split(' in task')[0]}`);
}

const T = (body: string) => `- hosts: all\n  tasks:\n${body}`;

describe('preflight', () => {
  it('a variable nothing defines is reported where it is read', async () => {
    assert.deepEqual(await problems(T('    - debug: { msg: "x {{ nope }}" }\n')), ["E_UNDEFINED_VAR 3:27 undefined variable 'nope'"]);
  });

  it('every source of variables counts: inventory, play/block/task vars, register, set_fact, loop_var, -e, magic', async () => {
    const text = `- hosts: all
  vars: { play_var: 1 }
  tasks:
    - command: "true"
      register: reg
    - set_fact: { fact: 1 }
    - block:
        - debug: { msg: "{{ block_var }} {{ task_var }}" }
          vars: { task_var: 1 }
      vars: { block_var: 1 }
    - debug: { msg: "{{ it }}" }
      loop: [1]
      loop_control: { loop_var: it }
    - debug: { msg: "{{ inv_var }} {{ host_var }} {{ play_var }} {{ reg.rc }} {{ fact }} {{ cli }} {{ ${MAGIC_VARS.join(' }} {{ ')} }}" }
`;
    assert.deepEqual(await problems(text, { extraVars: { cli: 1 } }), []);
    assert.deepEqual(await problems(text), ["E_UNDEFINED_VAR 14:93 undefined variable 'cli'"]);
  });

  it('MAGIC_VARS covers what the executor sets for every task', () => {
    const host = newHostRun(INV.hosts[0]!);
    const vars = taskVars(host, { playVars: {}, extraVars: {}, magic: {}, check: false }, []);
    for (const k of Object.keys(vars)) if (!Object.hasOwn(INV.hosts[0]!.vars, k)) assert.ok(MAGIC_VARS.includes(k), k);
  });

  it('reads guarded by a when naming the variable, or whose failure is handled, are left to run time', async () => {
    assert.deepEqual(await problems(T(`    - debug: { msg: "{{ maybe }}" }
      when: maybe is defined
    - debug: { msg: "{{ other }}" }
      ignore_errors: true
    - block:
        - debug: { msg: "{{ third }}" }
      rescue:
        - debug: { msg: rescued }
    - block:
        - debug: { msg: "{{ fourth }}" }
      when: "fourth | default(false)"
`)), []);
  });

  it('tasks not selected by --tags are not checked; handlers always are', async () => {
    const text = `- hosts: all
  tasks:
    - debug: { msg: "{{ nope }}" }
      tags: [other]
  handlers:
    - name: h
      debug: { msg: "{{ nope_h }}" }
`;
    assert.deepEqual(await problems(text, { onlyTags: ['mine'] }), ["E_UNDEFINED_VAR 7:25 undefined variable 'nope_h'"]);
  });

  it('without an inventory, variables are not checked but templates, files and internals are', async () => {
    assert.deepEqual(await problems(T(`    - debug: { msg: "{{ nope }}" }
    - debug: { msg: "{{ nohelper x }}" }
    - debug: { msg: "{{ lookup this 'constructor' }}" }
    - template: { src: missing.hbs, dest: /opt/x }
    - template: { src: bad.hbs, dest: /opt/x }
    - template: { src: ok.hbs, dest: /opt/x }
    - assert: { that: "a ===" }
`), { inventory: false }), [
      "E_TEMPLATE 4:22 unknown helper 'nohelper'",
      "E_UNDEFINED_VAR 5:37 undefined variable 'constructor' ('constructor' is never accessible)",
      "E_FILE_NOT_FOUND 6:24 template 'missing.hbs' not found",
      "E_EXPRESSION 9:28 unexpected character '=' (use '==' to compare) at column 5 in condition `a ===`",
    ]);
  });

  it('template files: undefined variables are placed in the file', async () => {
    assert.deepEqual(await problems(T('    - template: { src: bad.hbs, dest: /opt/x }\n')), ["E_UNDEFINED_VAR /templates/bad.hbs:2:6 undefined variable 'nowhere'"]);
  });

  it('host patterns are checked against the inventory and placed at the play', async () => {
    assert.deepEqual(await problems('- hosts: all\n  tasks: []\n- hosts: nosuch\n  tasks: []\n'), ["E_PATTERN 3:3 no host or group matches 'nosuch'"]);
  });
});
