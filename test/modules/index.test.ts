import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getModule, modules } from '../../src/modules/index.ts';

test('the registry holds every module under its playbook name', () => {
  assert.deepEqual(Object.keys(modules).sort(), [
    'assert', 'command', 'copy', 'debug', 'fail', 'file', 'lineinfile', 'replace', 'set_fact', 'shell', 'systemd', 'template', 'wait_for',
  ]);
  for (const [name, def] of Object.entries(modules)) assert.equal(def.name, name);
  const kinds = Object.fromEntries(Object.entries(modules).map(([n, d]) => [n, d.kind]));
  assert.deepEqual(kinds, {
    command: 'action', shell: 'action', systemd: 'state', lineinfile: 'state', replace: 'state', copy: 'state',
    template: 'state', file: 'state', wait_for: 'probe', assert: 'control', set_fact: 'control', fail: 'control', debug: 'control',
  });
});

test('getModule: names, Ansible prefixes and aliases; unknown names are undefined', () => {
  assert.equal(getModule('copy'), modules.copy);
  assert.equal(getModule('ansible.builtin.lineinfile'), modules.lineinfile);
  assert.equal(getModule('ansible.legacy.shell'), modules.shell);
  assert.equal(getModule('systemd_service'), modules.systemd);
  assert.equal(getModule('ansible.builtin.systemd_service'), modules.systemd);
  assert.equal(getModule('nope'), undefined);
  assert.equal(getModule('toString'), undefined);
  assert.equal(getModule('__proto__'), undefined);
  assert.equal(getModule('community.general.copy'), undefined);
});

test('every module with an object schema rejects unknown keys', () => {
  const minimal: Record<string, Record<string, unknown>> = {
    command: { cmd: 'true' }, shell: { cmd: 'true' }, systemd: { daemon_reload: true },
    lineinfile: { path: '/x', line: 'a' }, replace: { path: '/x', regexp: 'a' }, copy: { dest: '/x', content: '' },
    template: { src: 'a', dest: '/x' }, file: { path: '/x' }, wait_for: { port: 1 }, assert: { that: 'x' },
    fail: {}, debug: { msg: 'x' },
  };
  for (const [name, args] of Object.entries(minimal)) {
    const def = modules[name];
    assert.equal(def.schema.safeParse(args).success, true, `${name} minimal args`);
    const r = def.schema.safeParse({ ...args, no_such_key: 1 });
    assert.equal(r.success, false, `${name} must reject an unknown key`);
    assert.ok(r.error?.issues.some((i) => i.code === 'unrecognized_keys'), name);
  }
});

test('modules read the host only through the plan context', () => {
  const dir = new URL('../../src/modules/', import.meta.url);
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.ts')) continue;
    const src = readFileSync(new URL(name, dir), 'utf8');
    const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    for (const i of imports) {
      assert.ok(
        /^\.\/|^\.\.\/core\/shell\.ts$|^\.\.\/errors\/|^\.\.\/expr\//.test(i) || ['zod', 'node:path'].includes(i),
        `${name} imports ${i}`,
      );
    }
    assert.doesNotMatch(src, /\bnode:(fs|child_process|net|http|https|dgram)\b/, name);
  }
});
