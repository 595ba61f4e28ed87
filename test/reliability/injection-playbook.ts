/**
 * The hostile values and the playbook of injection.test.ts. Every payload
 * that would run writes a file whose name contains "pwned", so the test can
 * look for any trace of one having run. Names (no "/") touch relative paths
 * (the remote shell's working directory); contents touch /tmp.
 */

/** A file name: quotes, $(...), backticks, ;, |, &, redirections, globs, ~, a backslash, a newline, unicode. */
export const NAME = 'n \'sq\' "dq" $(touch pwned-n1) `touch pwned-n2`;touch pwned-n3;|&<> *?[x] ~ \\ \nnl ü日本🚀';

/** A directory per host, as hostile as NAME. */
export function injDir(host: string): string {
  return `/opt/inj/d 'sq' "dq" $(touch pwned-d1) \`touch pwned-d2\`;touch pwned-d3;|&<>*?[x]\nnl ü-${host}`;
}

/** File content: every payload, absolute paths this time, and things that look like templates. */
export const CONTENT = [
  'quotes: it\'s "double" \'single\'',
  'subst: $(touch /tmp/pwned-c1) `touch /tmp/pwned-c2` ${IFS} $HOME',
  'sep: ; touch /tmp/pwned-c3 ; | touch /tmp/pwned-c4 && touch /tmp/pwned-c5 || touch /tmp/pwned-c6 &',
  'redir: > /tmp/pwned-c7 < /etc/passwd 2>&1',
  'template-like: {{ constructor }} {{#each x}}{{/each}} {{> partial}}',
  'unicode: ünïcødé 日本語 🚀',
  'backslashes: \\ \\n \\0 \\x00 \\\'',
  'tab:\tend',
  '',
].join('\n');

/** One line for lineinfile (no newline). */
export const LINE = 'x\'y"z $(touch /tmp/pwned-l1) `touch /tmp/pwned-l2`; touch /tmp/pwned-l3 | > /tmp/pwned-l4 ü';

/** A replacement text for replace: `$` before `(` is literal in a replacement; no backslashes (those are escapes). */
export const REPLACE = 'r\'q"d $(touch /tmp/pwned-r1) `touch /tmp/pwned-r2`; | & ü';

/** Given with -e (through argv, no shell on the way). */
export const CLI_PAYLOAD = 'e\'q"d $(touch /tmp/pwned-e1) `touch /tmp/pwned-e2`; touch /tmp/pwned-e3';

export const UNIT_PAYLOAD = 'x$(touch /tmp/pwned-s1);touch /tmp/pwned-s2.service';
/** Only characters a unit name may have, odd ones included: passes validation, systemctl must get it as one word. */
export const UNIT_OK = 'fleet-inj\\x2dweird@a:b.service';
export const HOST_PAYLOAD = '127.0.0.1;touch /tmp/pwned-w1';
export const OWNER_PAYLOAD = 'root;touch /tmp/pwned-o1';
export const ITEMS = ['loop \'a\'', 'loop "b" $(touch pwned-i1)', 'loop `touch pwned-i2`;c'];

export const INJECTION_TEMPLATE = 'MARK\n{{ content_payload }}{{ cli_payload }}\n{{ inventory_hostname }}\n';

const rm = (suffix: string) => `rm -f -- {{ quote inj_dir }}/{{ quote name_payload }}${suffix}`;

export const INJECTION_PLAYBOOK = `
- name: Injection through every module
  hosts: all
  become: true
  tasks:
    - name: inj root
      file: { path: /opt/inj, state: directory }
    - name: weird directory
      file: { path: "{{ inj_dir }}", state: directory, mode: "0755" }
    - name: copy to a weird name
      copy: { dest: "{{ inj_dir }}/{{ name_payload }}.copy", content: "{{ content_payload }}" }
    - name: template to a weird name
      template: { src: inject.hbs, dest: "{{ inj_dir }}/{{ name_payload }}.tpl" }
    - name: touch with a mode
      file: { path: "{{ inj_dir }}/{{ name_payload }}.touched", state: touch, mode: "0600" }
    - name: lineinfile with a payload line and a quote in the regexp
      lineinfile: { path: "{{ inj_dir }}/{{ name_payload }}.copy", regexp: "^x'y", line: "{{ line_payload }}" }
    - name: replace with a payload replacement
      replace: { path: "{{ inj_dir }}/{{ name_payload }}.tpl", regexp: "^MARK$", replace: "{{ replace_payload }}" }
    - name: command argv
      command: { argv: [touch, "{{ inj_dir }}/{{ name_payload }}.argv"] }
      rollback: "${rm('.argv')}"
    - name: command cmd with quote
      command: "touch {{ quote inj_dir }}/{{ quote name_payload }}.cmd"
      rollback: "${rm('.cmd')}"
    - name: command in a weird chdir
      command: { cmd: "touch {{ quote name_payload }}.chdir", chdir: "{{ inj_dir }}" }
      rollback: "${rm('.chdir')}"
    - name: command with payload stdin
      command: { argv: [tee, "{{ inj_dir }}/stdin.txt"], stdin: "{{ content_payload }}" }
      rollback: "rm -f -- {{ quote inj_dir }}/stdin.txt"
    - name: command skipped by creates
      command: { argv: [touch, /opt/inj/should-not-exist], creates: "{{ inj_dir }}/{{ name_payload }}.copy" }
    - name: shell with quote
      shell: "printf '%s' {{ quote content_payload }} > {{ quote inj_dir }}/{{ quote name_payload }}.shell"
      rollback: "${rm('.shell')}"
    - name: shell output registered
      shell: "printf '%s' {{ quote content_payload }}"
      register: printed
      changed_when: false
    - name: registered output to a file
      copy: { dest: "{{ inj_dir }}/{{ name_payload }}.registered", content: "{{ printed.stdout }}" }
    - name: set_fact from the payload
      set_fact: { copied: "{{ content_payload }}" }
    - name: the fact to a file
      copy: { dest: "{{ inj_dir }}/{{ name_payload }}.setfact", content: "{{ copied }}" }
    - name: loop over weird names
      file: { path: "{{ inj_dir }}/{{ item }}", state: touch }
      loop: "{{ weird_items }}"
    - name: remove the file named *
      file: { path: "/opt/inj/glob/*", state: absent }
    - name: systemd with a payload name
      systemd: { name: "{{ unit_payload }}", state: started }
      ignore_errors: true
    - name: systemd with a strange but valid name
      systemd: { name: "{{ unit_ok }}", state: started }
      ignore_errors: true
    - name: wait_for with a payload host
      wait_for: { host: "{{ host_payload }}", port: 22, timeout: 5 }
      ignore_errors: true
    - name: wait_for sshd
      wait_for: { host: 127.0.0.1, port: 22, timeout: 10 }
    - name: file owner with a payload
      file: { path: "{{ inj_dir }}/{{ name_payload }}.touched", owner: "{{ owner_payload }}" }
      ignore_errors: true
    - name: debug the payload
      debug: { msg: "{{ content_payload }}" }
    - name: assert on the payload
      assert:
        that:
          - "'$(touch' in content_payload"
          - "content_payload | length > 100"
          - "cli_payload is defined"
`;
