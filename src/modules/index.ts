/** The module registry: every module fleet knows, by the name used in playbooks. */
import { assert } from './assert.ts';
import { command } from './command.ts';
import { copy } from './copy.ts';
import { debug } from './debug.ts';
import { fail } from './fail.ts';
import { file } from './file.ts';
import { lineinfile } from './lineinfile.ts';
import { replace } from './replace.ts';
import { setFact } from './set-fact.ts';
import { shell } from './shell.ts';
import { systemd } from './systemd.ts';
import { template } from './template.ts';
import type { ModuleDef } from './types.ts';
import { waitFor } from './wait-for.ts';

const all: ModuleDef[] = [
  command, shell, systemd, lineinfile, replace, copy, template, file, waitFor, assert, setFact, fail, debug,
];

export const modules: Record<string, ModuleDef> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, ModuleDef>, Object.fromEntries(all.map((m) => [m.name, m]))),
);

/** Other names playbooks written for Ansible use. */
const ALIASES: Record<string, string> = { systemd_service: 'systemd' };

/**
 * The module called `name` (also accepting Ansible's `ansible.builtin.` /
 * `ansible.legacy.` prefixes and `systemd_service`), or undefined.
 */
export function getModule(name: string): ModuleDef | undefined {
  const short = name.replace(/^ansible\.(?:builtin|legacy)\./, '');
  const key = Object.hasOwn(ALIASES, short) ? ALIASES[short] : short;
  return Object.hasOwn(modules, key) ? modules[key] : undefined;
}
