/**
 * Every module over real SSH against three lab hosts, through the real CLI
 * (`node bin/fleet.js run ... --output json`). Results are checked from the
 * JSON events, the exit code and the hosts' real files (read with lab.exec,
 * not through fleet). State-changing tasks run twice: the second run must
 * report 0 changed in the run-end recap.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { useLab } from '../lab/index.ts';
import {
  changedByHost, explain, fleetRun, hostFile, hostSh, hostStat, hostTask, hostTasks, recapOf, removeDir, runEnd,
  tempDir, writePlaybook,
} from './helpers.ts';

const HOSTS = ['h1', 'h2', 'h3'];
const ZERO = { h1: 0, h2: 0, h3: 0 };

describe('modules over SSH (it-mod)', (s) => {
  const h = useLab(s, { name: 'it-mod', hosts: 3, vars: { dc: 'lab-dc' } });
  let dir = '';
  let state = '';
  before(() => {
    dir = tempDir('it-mod');
    state = join(dir, 'state');
  });
  after(() => removeDir(dir));
  const all = async (script: string): Promise<void> => {
    await Promise.all(HOSTS.map((x) => hostSh(h.lab, x, script)));
  };

  it('command and shell: argv, cmd, chdir, stdin, creates/removes; hostile words stay literal', async () => {
    const { lab } = h;
    await all('rm -f /tmp/pwned; echo bye > /opt/removeme');
    const pb = writePlaybook(dir, 'command.yaml', String.raw`
- hosts: all
  tasks:
    - name: argv hostile
      command:
        argv: [printf, '%s\n', '$(touch /tmp/pwned)', '` + '`touch /tmp/pwned`' + String.raw`', ';', touch, /tmp/pwned, '|', id, '&&', '>', /tmp/pwned]
      register: argv_out
      changed_when: false
    - name: show argv
      debug: { var: argv_out.stdout }
    - name: cmd hostile
      command: printf '%s\n' $(touch /tmp/pwned) ` + '`touch /tmp/pwned`' + String.raw` ; touch /tmp/pwned "a b" > /tmp/pwned
      register: cmd_out
      changed_when: false
    - name: show cmd
      debug: { var: cmd_out.stdout }
    - name: chdir
      command: { cmd: pwd, chdir: /srv }
      register: pwd_out
      changed_when: false
    - name: pwd is /srv
      assert: { that: "pwd_out.stdout == '/srv'" }
    - name: stdin
      command: { argv: [tee, /opt/stdin.txt], stdin: 'from $(stdin) ;', creates: /opt/stdin.txt }
    - name: stdin without newline
      command: { argv: [tee, /opt/stdin-raw.txt], stdin: 'raw', stdin_add_newline: false, creates: /opt/stdin-raw.txt }
    - name: creates
      command: { argv: [touch, /opt/created], creates: /opt/created }
    - name: removes
      command: { cmd: rm /opt/removeme, removes: /opt/removeme }
    - name: shell
      shell: { cmd: 'echo "$(hostname)-$((2+3))" | tr a-z A-Z > /opt/shell.txt', creates: /opt/shell.txt }
`);
    // --check runs no command; what depends on their output is unknown, not made up.
    const check = fleetRun(lab, pb, state, ['--check']);
    assert.equal(check.code, 0, explain(check));
    for (const host of HOSTS) {
      for (const t of ['show argv', 'show cmd', 'pwd is /srv']) {
        assert.equal(hostTask(check, t, host).status, 'unknown', `${host} ${t}`);
        assert.match(hostTask(check, t, host).msg ?? '', /unknown until run/);
      }
      assert.equal(hostTask(check, 'creates', host).msg, 'would run');
      assert.deepEqual(hostTask(check, 'creates', host).effects.commands, ['touch /opt/created']);
      assert.equal(await hostStat(lab, host, '/opt/created'), null);
      assert.equal(await hostFile(lab, host, '/opt/removeme'), 'bye\n');
    }

    const r1 = fleetRun(lab, pb, state);
    assert.equal(r1.code, 0, explain(r1));
    const argvWords = ['$(touch /tmp/pwned)', '`touch /tmp/pwned`', ';', 'touch', '/tmp/pwned', '|', 'id', '&&', '>', '/tmp/pwned'];
    const cmdWords = ['$(touch', '/tmp/pwned)', '`touch', '/tmp/pwned`', ';', 'touch', '/tmp/pwned', 'a b', '>', '/tmp/pwned'];
    for (const host of HOSTS) {
      assert.equal(hostTask(r1, 'show argv', host).msg, `argv_out.stdout: ${argvWords.join('\n')}`);
      assert.equal(hostTask(r1, 'show cmd', host).msg, `cmd_out.stdout: ${cmdWords.join('\n')}`);
      assert.equal(await hostStat(lab, host, '/tmp/pwned'), null, `${host}: a hostile word was run by a shell`);
      assert.equal(hostTask(r1, 'pwd is /srv', host).status, 'ok');
      assert.equal(await hostFile(lab, host, '/opt/stdin.txt'), 'from $(stdin) ;\n');
      assert.equal(await hostFile(lab, host, '/opt/stdin-raw.txt'), 'raw');
      assert.equal(await hostFile(lab, host, '/opt/created'), '');
      assert.equal(await hostStat(lab, host, '/opt/removeme'), null);
      assert.equal(await hostFile(lab, host, '/opt/shell.txt'), `${host.toUpperCase()}-5\n`);
      for (const t of ['stdin', 'stdin without newline', 'creates', 'removes', 'shell']) {
        assert.equal(hostTask(r1, t, host).status, 'changed', `${host} ${t}`);
      }
    }
    assert.deepEqual(changedByHost(r1), { h1: 5, h2: 5, h3: 5 });

    // Guarded commands do not run again: creates/removes hold, nothing changes.
    await all('echo marker > /opt/created');
    const r2 = fleetRun(lab, pb, state);
    assert.equal(r2.code, 0, explain(r2));
    assert.deepEqual(changedByHost(r2), ZERO, explain(r2));
    for (const host of HOSTS) {
      assert.match(hostTask(r2, 'creates', host).msg ?? '', /skipped: \/opt\/created exists/);
      assert.match(hostTask(r2, 'removes', host).msg ?? '', /skipped: \/opt\/removeme does not exist/);
      assert.equal(await hostFile(lab, host, '/opt/created'), 'marker\n');
      assert.equal(await hostStat(lab, host, '/tmp/pwned'), null);
    }
  });

  it('lineinfile, replace, template, copy, file: real files, then 0 changed on a second run', async () => {
    const { lab } = h;
    await all([
      "printf '[main]\\nname=web\\nport=80\\ndebug=true\\n' > /etc/app.conf",
      "printf 'cidr=192.168.0.0/16\\nroute 192.168.0.0/16 via eth0\\nkeep=192.168.1.0/24\\n' > /etc/net.conf",
      'mkdir -p /opt/gone/sub && echo x > /opt/gone/sub/f',
    ].join(' && '));
    writePlaybook(dir, 'templates/app.env.hbs', [
      '# {{ inventory_hostname }} in {{ join group_names "," }} at {{ dc }}',
      'PORT={{ app_port }}',
      'GREETING={{ quote greeting }}',
      '',
    ].join('\n'));
    writePlaybook(dir, 'files/app.ini', 'host=PLACEHOLDER\nport=1\n');
    const greeting = `it's "$(touch /tmp/pwned)" \`id\` ; ok`;
    const pb = writePlaybook(dir, 'files.yaml', `
- hosts: all
  vars:
    app_port: 8080
    greeting: ${JSON.stringify(greeting)}
  tasks:
    - name: port
      lineinfile: { path: /etc/app.conf, regexp: '^port=', line: 'port=8080' }
    - name: no debug
      lineinfile: { path: /etc/app.conf, regexp: '^debug=', state: absent }
    - name: after main
      lineinfile: { path: /etc/app.conf, line: 'after_main=1', insertafter: '^\\[main\\]' }
    - name: header
      lineinfile: { path: /etc/app.conf, line: '# managed by fleet', insertbefore: BOF }
    - name: backrefs
      lineinfile: { path: /etc/app.conf, regexp: '^(name)=(web)$', line: '\\1=\\2-{{ inventory_hostname }}', backrefs: true }
    - name: create
      lineinfile: { path: /opt/conf.d/new.conf, line: 'created=yes', create: true }
    - name: cidr
      replace: { path: /etc/net.conf, regexp: '192\\.168\\.0\\.0/16', replace: '10.244.0.0/16' }
    - name: env
      template: { src: app.env.hbs, dest: /etc/app.env, mode: '0640', owner: deploy, group: root }
    - name: fleet dir
      file: { path: /etc/fleet, state: directory }
    - name: data dir
      file: { path: /opt/app/data, state: directory, mode: '0750' }
    - name: token
      copy: { dest: /etc/fleet/token, content: "token={{ inventory_hostname }}\\n", mode: '0600', owner: deploy }
    - name: ini
      copy:
        src: app.ini
        dest: /opt/app/app.ini
        edits:
          - { regexp: 'PLACEHOLDER', replace: '{{ inventory_hostname }}' }
          - { regexp: 'port=1', replace: 'port=2' }
    - name: ini mode
      file: { path: /opt/app/app.ini, state: file, mode: '0604' }
    - name: touched
      file: { path: /opt/app/touched, state: touch, mode: '0600' }
    - name: gone
      file: { path: /opt/gone, state: absent }
`);
    const r1 = fleetRun(lab, pb, state);
    assert.equal(r1.code, 0, explain(r1));
    for (const host of HOSTS) {
      assert.equal(await hostFile(lab, host, '/etc/app.conf'), `# managed by fleet\n[main]\nafter_main=1\nname=web-${host}\nport=8080\n`);
      assert.equal(await hostFile(lab, host, '/opt/conf.d/new.conf'), 'created=yes\n');
      assert.equal(await hostFile(lab, host, '/etc/net.conf'), 'cidr=10.244.0.0/16\nroute 10.244.0.0/16 via eth0\nkeep=192.168.1.0/24\n');
      const group = host === 'h1' ? 'masters' : 'workers';
      assert.equal(await hostFile(lab, host, '/etc/app.env'), `# ${host} in ${group} at lab-dc\nPORT=8080\nGREETING='it'\\''s "$(touch /tmp/pwned)" \`id\` ; ok'\n`);
      assert.equal(await hostStat(lab, host, '/etc/app.env'), '640 deploy root regular file');
      // The quoted value reads back exactly through a shell, and nothing in it ran.
      assert.equal(await hostSh(lab, host, '. /etc/app.env && printf %s "$GREETING"'), greeting);
      assert.equal(await hostStat(lab, host, '/tmp/pwned'), null);
      assert.equal(await hostStat(lab, host, '/etc/fleet'), '755 root root directory');
      assert.equal(await hostStat(lab, host, '/opt/app/data'), '750 root root directory');
      assert.equal(await hostFile(lab, host, '/etc/fleet/token'), `token=${host}\n`);
      assert.equal(await hostStat(lab, host, '/etc/fleet/token'), '600 deploy root regular file');
      assert.equal(await hostFile(lab, host, '/opt/app/app.ini'), `host=${host}\nport=2\n`);
      assert.equal(await hostStat(lab, host, '/opt/app/app.ini'), '604 root root regular file');
      assert.equal(await hostFile(lab, host, '/opt/app/touched'), '');
      assert.equal(await hostStat(lab, host, '/opt/app/touched'), '600 root root regular file');
      assert.equal(await hostStat(lab, host, '/opt/gone'), null);
      const diff = hostTask(r1, 'port', host).effects.diffs;
      assert.equal(diff.length, 1);
      assert.match(diff[0]!.unified ?? '', /^-port=80$/m);
      assert.match(diff[0]!.unified ?? '', /^\+port=8080$/m);
    }
    assert.deepEqual(changedByHost(r1), { h1: 15, h2: 15, h3: 15 }, explain(r1));

    const r2 = fleetRun(lab, pb, state);
    assert.equal(r2.code, 0, explain(r2));
    assert.deepEqual(changedByHost(r2), ZERO, explain(r2));
    for (const host of HOSTS) assert.equal(recapOf(r2)[host]!.filesChanged, 0);
  });

  it('replace with a typo in its regexp fails (exit 2) and leaves the file untouched', async () => {
    const { lab } = h;
    const text = 'cidr=192.168.0.0/16\n';
    await Promise.all(HOSTS.map(async (x) => {
      const w = await lab.exec(x, 'cat > /etc/typo.conf && chmod 0640 /etc/typo.conf', { input: text });
      assert.equal(w.code, 0, w.stderr);
    }));
    const pb = writePlaybook(dir, 'typo.yaml', `
- hosts: all
  tasks:
    - name: typo
      replace: { path: /etc/typo.conf, regexp: '192.168.0.0./16', replace: '10.244.0.0/16' }
    - name: never reached
      copy: { dest: /etc/after-typo, content: "x\\n" }
`);
    const before = await Promise.all(HOSTS.map((x) => lab.snapshot(x, ['/etc'])));
    const r = fleetRun(lab, pb, state);
    assert.equal(r.code, 2, explain(r));
    assert.equal(runEnd(r).result, 'failed');
    for (const [i, host] of HOSTS.entries()) {
      const t = hostTask(r, 'typo', host);
      assert.equal(t.status, 'failed');
      assert.match(t.msg ?? '', /regexp '192\.168\.0\.0\.\/16' matches nothing/);
      assert.equal(hostTasks(r, 'never reached', host).length, 0);
      assert.equal(await hostFile(lab, host, '/etc/typo.conf'), text);
      assert.deepEqual(await lab.snapshot(host, ['/etc']), before[i], `${host}: /etc changed`);
      assert.equal(recapOf(r)[host]!.state, 'failed');
    }
  });

  it('wait_for: started (also a port that opens later and a named host), stopped, established with min_count, drained', async () => {
    const { lab } = h;
    const listen = (port: number): string =>
      `import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',${port}))\ns.listen(16)\n` +
      `c=[]\nwhile True:\n  c.append(s.accept())\n`;
    /** Start a python script in the background inside a host (written to /tmp/NAME.py first). */
    const bg = async (host: string, name: string, script: string, delay = 0): Promise<void> => {
      const w = await lab.exec(host, `cat > /tmp/${name}.py`, { input: script });
      assert.equal(w.code, 0, w.stderr);
      await hostSh(lab, host, `(sleep ${delay}; exec python3 /tmp/${name}.py) </dev/null >/dev/null 2>&1 &`);
    };
    const waitIn = (host: string, test: string): Promise<string> =>
      hostSh(lab, host, `for i in $(seq 200); do ${test} && exit 0; sleep 0.05; done; echo 'not ready: ${test}' >&2; exit 1`);
    await Promise.all(HOSTS.map((x) => bg(x, 'l8080', listen(8080))));
    await bg('h1', 'l9000', listen(9000));
    // Hold 3 connections to h1:9000 from h2, so h1 sees exactly 3 established on that port.
    await waitIn('h1', 'ss -Htln | grep -q ":9000 "');
    const clients = `import socket,time\nc=[socket.create_connection(('${lab.host('h1').address}',9000)) for i in range(3)]\nopen('/tmp/clients-up','w').close()\ntime.sleep(600)\n`;
    await bg('h2', 'clients', clients);
    await waitIn('h2', '[ -e /tmp/clients-up ]');
    // 8081 opens about 2 s from now: the task below has to poll for it.
    await Promise.all(HOSTS.map((x) => bg(x, 'l8081', listen(8081), 2)));
    assert.equal((await lab.exec('h1', 'ss -Htln | grep -q ":8081 "')).code, 1, '8081 should not listen yet');

    const pb = writePlaybook(dir, 'wait.yaml', `
- hosts: all
  tasks:
    - name: started
      wait_for: { port: 8080, timeout: 10, sleep: 0.2 }
    - name: opens later
      wait_for: { port: 8081, timeout: 20, sleep: 0.2 }
    - name: named host
      wait_for: { host: '{{ inventory_hostname }}', port: 8080, timeout: 10, sleep: 0.2 }
    - name: stopped
      wait_for: { port: 9, state: stopped, timeout: 5 }
    - name: drained
      wait_for: { port: 9001, state: drained, timeout: 5 }
- hosts: h1
  tasks:
    - name: established
      wait_for: { port: 9000, state: established, min_count: 3, timeout: 10, sleep: 0.2 }
`);
    const r = fleetRun(lab, pb, state);
    assert.equal(r.code, 0, explain(r));
    for (const host of HOSTS) {
      for (const t of ['started', 'opens later', 'named host', 'stopped', 'drained']) assert.equal(hostTask(r, t, host).status, 'ok', `${host} ${t}`);
    }
    assert.equal(hostTask(r, 'established', 'h1').status, 'ok');
    assert.deepEqual(changedByHost(r), ZERO);

    const pbFail = writePlaybook(dir, 'wait-fail.yaml', `
- hosts: h1
  tasks:
    - name: too few
      wait_for: { port: 9000, state: established, min_count: 4, timeout: 1, sleep: 0.2 }
`);
    const rf = fleetRun(lab, pbFail, state);
    assert.equal(rf.code, 2, explain(rf));
    assert.match(hostTask(rf, 'too few', 'h1').msg ?? '', /condition not met within 1s \(last count 3\)/);
  });

  it('assert, set_fact, debug pass; fail and a failed assert fail their hosts only (exit 2)', async () => {
    const { lab } = h;
    const pb = writePlaybook(dir, 'control.yaml', `
- hosts: all
  tasks:
    - name: facts
      set_fact: { app_port: 8080, who: '{{ inventory_hostname }}', tags_list: [a, b] }
    - name: check
      assert:
        that: ["app_port == 8080", "who == inventory_hostname", "tags_list | length == 2"]
        success_msg: 'fine on {{ who }}'
    - name: say
      debug: { msg: 'port {{ app_port }} on {{ who }}' }
    - name: show var
      debug: { var: tags_list }
`);
    const r = fleetRun(lab, pb, state);
    assert.equal(r.code, 0, explain(r));
    for (const host of HOSTS) {
      assert.equal(hostTask(r, 'check', host).msg, `fine on ${host}`);
      assert.equal(hostTask(r, 'say', host).msg, `port 8080 on ${host}`);
      assert.equal(hostTask(r, 'show var', host).msg, 'tags_list: [\n  "a",\n  "b"\n]');
    }
    assert.deepEqual(changedByHost(r), ZERO);

    const pbFail = writePlaybook(dir, 'control-fail.yaml', `
- hosts: all
  tasks:
    - name: stop h2
      fail: { msg: 'h2 is not ready' }
      when: inventory_hostname == 'h2'
    - name: not h3
      assert: { that: "inventory_hostname != 'h3'", fail_msg: 'no h3 here' }
    - name: last
      debug: { msg: done }
`);
    const rf = fleetRun(lab, pbFail, state);
    assert.equal(rf.code, 2, explain(rf));
    assert.equal(hostTask(rf, 'stop h2', 'h2').status, 'failed');
    assert.equal(hostTask(rf, 'stop h2', 'h2').msg, 'h2 is not ready');
    assert.equal(hostTask(rf, 'stop h2', 'h1').status, 'skipped');
    assert.equal(hostTask(rf, 'not h3', 'h3').status, 'failed');
    assert.equal(hostTask(rf, 'not h3', 'h3').msg, 'no h3 here');
    assert.equal(hostTask(rf, 'last', 'h1').msg, 'done');
    assert.deepEqual(hostTasks(rf, 'last').map((e) => e.host), ['h1']);
    const recap = recapOf(rf);
    assert.deepEqual([recap.h1!.state, recap.h2!.state, recap.h3!.state], ['ok', 'failed', 'failed']);
  });

  it('become: deploy (sudo without password) and deploy2 (become_password) write root-owned files; without the password it fails', async () => {
    const { lab } = h;
    const inv = join(dir, 'become-inventory.yaml');
    const host = (name: string, extra: Record<string, string>) => ({ ansible_host: lab.host(name).address, ...extra });
    writeFileSync(inv, stringify({
      all: {
        vars: { ansible_ssh_private_key_file: lab.keyPath },
        hosts: {
          h1: host('h1', { ansible_user: 'deploy' }),
          h2: host('h2', { ansible_user: 'deploy2', ansible_become_password: 'lab-sudo-pw' }),
          h3: host('h3', { ansible_user: 'deploy2' }),
        },
      },
    }));
    const pb = writePlaybook(dir, 'become.yaml', `
- hosts: all
  become: true
  tasks:
    - name: root file
      copy: { dest: /etc/fleet-become.conf, content: "root only\\n", mode: '0600' }
    - name: root dir
      file: { path: /etc/fleet-become.d, state: directory, mode: '0700' }
    - name: whoami
      command: id -un
      register: who
      changed_when: false
    - name: is root
      assert: { that: "who.stdout == 'root'" }
    - name: own file
      become: false
      copy: { dest: '/home/{{ ansible_user }}/mine.txt', content: "mine\\n" }
`);
    const r1 = fleetRun(lab, pb, state, [], inv);
    assert.equal(r1.code, 2, explain(r1));
    for (const [name, user] of [['h1', 'deploy'], ['h2', 'deploy2']] as const) {
      assert.equal(await hostFile(lab, name, '/etc/fleet-become.conf'), 'root only\n');
      assert.equal(await hostStat(lab, name, '/etc/fleet-become.conf'), '600 root root regular file');
      assert.equal(await hostStat(lab, name, '/etc/fleet-become.d'), '700 root root directory');
      assert.equal(hostTask(r1, 'is root', name).status, 'ok');
      assert.equal(await hostStat(lab, name, `/home/${user}/mine.txt`), `644 ${user} ${user} regular file`);
      assert.equal(recapOf(r1)[name]!.state, 'ok');
    }
    assert.equal(hostTask(r1, 'root file', 'h3').status, 'failed');
    assert.match(hostTask(r1, 'root file', 'h3').msg ?? '', /password is required/);
    assert.equal(await hostStat(lab, 'h3', '/etc/fleet-become.conf'), null);

    const r2 = fleetRun(lab, pb, state, ['--limit', 'h1,h2'], inv);
    assert.equal(r2.code, 0, explain(r2));
    assert.deepEqual(changedByHost(r2), { h1: 0, h2: 0 });
  });
});
