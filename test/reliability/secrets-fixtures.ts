/**
 * The secrets, playbooks and helpers of secrets.test.ts. Each secret is a
 * string found nowhere else, so a byte search for it is a leak check.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_USERS } from '../lab/index.ts';

export const NOLOG_SECRET = 'nolog-S3cr3t-7f3a9c';
export const PASSPHRASE = 'key-Passphr4se-q81x';
export const BECOME_PW = LAB_USERS.deploy2.password;
export const WRONG_PASSPHRASE = 'wrong-Passphr4se-zz9';
export const WRONG_BECOME_PW = 'wrong-sudo-pw-zz9';
export const SECRETS = [NOLOG_SECRET, PASSPHRASE, BECOME_PW, WRONG_PASSPHRASE, WRONG_BECOME_PW];

export const PLAYBOOK = `
- name: secrets
  hosts: all
  become: true
  tasks:
    - name: who am i
      command: id -u
      changed_when: false
    - name: secret in a command, its output and its error stream
      shell: "echo {{ app_secret }}; echo {{ app_secret }} >&2"
      no_log: true
      changed_when: false
      register: echoed
    - name: secret into a file
      copy: { dest: /opt/secret.txt, content: "{{ app_secret }}\\n", mode: "0600" }
      no_log: true
    - name: secret line
      lineinfile: { path: /opt/secret.conf, line: "password={{ app_secret }}", create: true, mode: "0600" }
      no_log: true
    - name: secret in a template
      template: { src: secret.hbs, dest: /opt/secret.tpl, mode: "0600" }
      no_log: true
    - name: secret in debug
      debug: { msg: "the secret is {{ app_secret }}" }
      no_log: true
    - name: secret in set_fact
      set_fact: { derived: "{{ app_secret }}-derived" }
      no_log: true
    - name: a failing assert quoting the secret
      assert: { that: ["app_secret == 'something else'"], fail_msg: "wrong secret {{ app_secret }}" }
      no_log: true
      ignore_errors: true
    - name: a failing command printing the secret
      command: { argv: [sh, -c, "echo {{ app_secret }}; echo {{ app_secret }} >&2; exit 3"] }
      no_log: true
      ignore_errors: true
    - name: an argument error quoting the secret
      file: { path: /opt/secret.txt, mode: "{{ app_secret }}" }
      no_log: true
      ignore_errors: true
    - name: registered output used quietly
      copy: { dest: /opt/registered.txt, content: "{{ echoed.stdout }}\\n", mode: "0600" }
      no_log: true
    - name: a long task under sudo
      command: sleep 5
      changed_when: false
      when: long_task | default(false)
`;

export const FAILING = `
- name: failing no_log tasks
  hosts: all
  become: true
  tasks:
    - name: change a file
      copy: { dest: /opt/changed.txt, content: "{{ inventory_hostname }} was here\\n" }
    - name: a no_log block with a failing condition
      no_log: true
      when: "inventory_hostname == 'h1' and 'x' | regex_search(app_secret_re)"
      block:
        - debug: { msg: never }
    - name: fail, printing the secret
      shell: "echo {{ app_secret }}; echo {{ app_secret }} >&2; exit 7"
      no_log: true
`;

/** Each secret that `text` contains. */
export function leaks(text: string | Buffer): string[] {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  return SECRETS.filter((s) => buf.includes(s));
}

/** Every file under a directory (recursively). */
export function walk(dir: string): Array<{ path: string; dir: boolean }> {
  const out: Array<{ path: string; dir: boolean }> = [{ path: dir, dir: true }];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push({ path: p, dir: false });
  }
  return out;
}
