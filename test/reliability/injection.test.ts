/**
 * Injection through every module, on a light lab of two hosts (h1 as root,
 * h2 as deploy with sudo): inventory values, -e values, set_fact and
 * registered output holding quotes, $(...), backticks, ;, |, &, redirections,
 * newlines, glob characters, spaces and unicode, used as paths and arguments
 * of file, copy, template, lineinfile, replace, systemd, command (argv, cmd
 * with `quote`, chdir, stdin, creates), shell (with `quote`), wait_for,
 * debug, assert, set_fact and loops. Afterwards nothing ran that was not
 * meant to (no pwned-* file on the hosts or the controller), the files with
 * weird names exist exactly as named with exactly the expected bytes, check
 * mode touched nothing, and `fleet rollback` puts /opt back as it was.
 * A NUL character is refused before any host is contacted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { useLab, snapshotDiff, REPO_ROOT, type Lab } from '../lab/index.ts';
import { eventsOf, explain, hostTasks, removeDir, runEnd, runFleet, tempDir, writePlaybook } from '../integration/helpers.ts';
import {
  CLI_PAYLOAD, CONTENT, HOST_PAYLOAD, ITEMS, LINE, NAME, OWNER_PAYLOAD, REPLACE, UNIT_OK, UNIT_PAYLOAD, injDir, INJECTION_PLAYBOOK, INJECTION_TEMPLATE,
} from './injection-playbook.ts';

const HOSTS = ['h1', 'h2'];

/** Every file under a directory of a host: relative name -> content (NUL-separated listing: any name survives). */
async function tree(lab: Lab, host: string, dir: string): Promise<Map<string, string>> {
  const list = await lab.exec(host, 'IFS= read -r -d "" d; cd -- "$d" && find . -mindepth 1 -printf "%y %P\\0"', { input: `${dir}\0` });
  assert.equal(list.code, 0, list.stderr);
  const out = new Map<string, string>();
  for (const entry of list.stdout.split('\0').filter(Boolean)) {
    const type = entry[0];
    const rel = entry.slice(2);
    if (type !== 'f') {
      out.set(rel, `<${type}>`);
      continue;
    }
    const r = await lab.exec(host, 'IFS= read -r -d "" p; cat -- "$p"', { input: `${dir}/${rel}\0` });
    assert.equal(r.code, 0, r.stderr);
    out.set(rel, r.stdout);
  }
  return out;
}

/** pwned-* files anywhere a payload could have written one on a host (the weird names only contain "pwned" further in). */
async function pwnedOn(lab: Lab, host: string): Promise<string[]> {
  const r = await lab.exec(host, "find / -maxdepth 1 -name 'pwned-*'; find /tmp /root /home /opt /srv /var/tmp -name 'pwned-*' -print 2>/dev/null; true");
  return r.stdout.split('\n').filter(Boolean);
}

/** pwned-* files on the controller (templates render here). */
function pwnedLocally(dirs: string[]): string[] {
  return dirs.flatMap((d) => readdirSync(d).filter((n) => n.startsWith('pwned-')).map((n) => join(d, n)));
}

describe('injection through every module (light lab, 2 hosts)', (s) => {
  const h = useLab(s, { name: 'rel-inj', hosts: 2 });
  let dir = '';
  let inv = '';
  let pb = '';
  let state = '';
  /** /opt of each host before any run. */
  const pristine = new Map<string, Map<string, string>>();
  const run = (extra: string[] = []) => runFleet([
    'run', pb, '-i', inv, '--known-hosts', h.lab.knownHostsPath, '--output', 'json', '--state-dir', state, '-e', `cli_payload=${CLI_PAYLOAD}`, ...extra,
  ]);

  before(async () => {
    const { lab } = h;
    dir = tempDir('rel-inj');
    state = join(dir, 'state');
    const host = (name: string, user: string) => ({
      ansible_host: lab.host(name).address,
      ansible_user: user,
      inj_dir: injDir(name),
    });
    inv = join(dir, 'inventory.yaml');
    writeFileSync(inv, stringify({
      all: {
        vars: {
          ansible_ssh_private_key_file: lab.keyPath,
          name_payload: NAME,
          content_payload: CONTENT,
          line_payload: LINE,
          replace_payload: REPLACE,
          unit_payload: UNIT_PAYLOAD,
          unit_ok: UNIT_OK,
          host_payload: HOST_PAYLOAD,
          owner_payload: OWNER_PAYLOAD,
          weird_items: ITEMS,
        },
        hosts: { h1: host('h1', 'root'), h2: host('h2', 'deploy') },
      },
    }));
    pb = writePlaybook(dir, 'inject.yaml', INJECTION_PLAYBOOK);
    writePlaybook(dir, 'templates/inject.hbs', INJECTION_TEMPLATE);
    // A directory holding a file literally named '*' next to others: removing '*' must remove only it.
    for (const x of HOSTS) {
      const r = await lab.exec(x, 'mkdir -p /opt/inj/glob && touch /opt/inj/glob/a /opt/inj/glob/b "/opt/inj/glob/*"');
      assert.equal(r.code, 0, r.stderr);
      pristine.set(x, await lab.snapshot(x, ['/opt']));
    }
  });
  after(() => removeDir(dir));

  it('check mode: every module is planned, nothing runs, nothing changes', async () => {
    const { lab } = h;
    const before = await Promise.all(HOSTS.map((x) => lab.snapshot(x, ['/opt', '/tmp', '/root', '/home'])));
    const r = run(['--check']);
    assert.equal(r.code, 0, explain(r));
    assert.equal(runEnd(r).check, true);
    for (const [i, x] of HOSTS.entries()) {
      assert.deepEqual(snapshotDiff(before[i]!, await lab.snapshot(x, ['/opt', '/tmp', '/root', '/home'])), [], `${x} changed in check mode`);
    }
    // The predicted diffs name the weird paths exactly.
    const paths = eventsOf(r.events, 'host-task').flatMap((e) => e.effects.diffs.map((d) => d.path));
    for (const x of HOSTS) assert.ok(paths.includes(`${injDir(x)}/${NAME}.copy`), `no diff for the copy on ${x}`);
  });

  let runId = '';
  it('a real run: files with weird names exist exactly as named, with exactly the payload bytes; nothing else ran', async () => {
    const { lab } = h;
    const r = run();
    assert.equal(r.code, 0, explain(r));
    runId = runEnd(r).runId;
    for (const x of HOSTS) {
      const files = await tree(lab, x, injDir(x));
      const host = x;
      const expected = new Map<string, string>([
        [`${NAME}.copy`, `${CONTENT}${LINE}\n`],
        [`${NAME}.tpl`, `${REPLACE}\n${CONTENT}${CLI_PAYLOAD}\n${host}\n`],
        [`${NAME}.touched`, ''],
        [`${NAME}.argv`, ''],
        [`${NAME}.cmd`, ''],
        [`${NAME}.chdir`, ''],
        ['stdin.txt', `${CONTENT}\n`],
        [`${NAME}.shell`, CONTENT],
        [`${NAME}.registered`, CONTENT.replace(/\n$/, '')],
        [`${NAME}.setfact`, CONTENT],
        ...ITEMS.map((item): [string, string] => [item, '']),
      ]);
      assert.deepEqual([...files.keys()].sort(), [...expected.keys()].sort(), `${x}: names`);
      for (const [name, content] of expected) assert.equal(files.get(name), content, `${x}: ${JSON.stringify(name)}`);
      const mode = await lab.exec(x, 'IFS= read -r -d "" p; stat -c %a -- "$p"', { input: `${injDir(x)}/${NAME}.touched\0` });
      assert.equal(mode.stdout.trim(), '600');
      assert.deepEqual([...(await tree(lab, x, '/opt/inj/glob')).keys()].sort(), ['a', 'b'], `${x}: only the file named * is gone`);
      assert.deepEqual(await pwnedOn(lab, x), [], `${x}: a payload ran`);
      assert.equal((await tree(lab, x, '/opt/inj')).has('should-not-exist'), false, `${x}: creates: did not skip`);
    }
    assert.deepEqual(pwnedLocally([tmpdir(), REPO_ROOT, dir]), []);

    // Hostile values were refused, not run: systemd and wait_for validate names; owner too.
    for (const x of HOSTS) {
      const msg = (task: string) => hostTasks(r, task, x)[0]?.msg ?? '';
      assert.match(msg('systemd with a payload name'), /failed, ignored: .*must be a systemd unit name/);
      assert.match(msg('systemd with a strange but valid name'), /failed, ignored: /);
      assert.match(msg('wait_for with a payload host'), /failed, ignored: .*must be a host name or an IP address/);
      assert.match(msg('file owner with a payload'), /failed, ignored: .*user or group name/);
      assert.equal(hostTasks(r, 'debug the payload', x)[0]?.msg, CONTENT);
      assert.equal(hostTasks(r, 'assert on the payload', x)[0]?.status, 'ok');
    }
  });

  it('fleet rollback restores /opt exactly, through the same hostile paths', async () => {
    const { lab } = h;
    assert.ok(runId, 'the real run did not happen');
    const before = await Promise.all(HOSTS.map((x) => lab.snapshot(x, ['/opt'])));
    const r = runFleet(['rollback', runId, '-i', inv, '--known-hosts', lab.knownHostsPath, '--state-dir', state]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    for (const [i, x] of HOSTS.entries()) {
      const now = await lab.snapshot(x, ['/opt']);
      assert.notDeepEqual(snapshotDiff(before[i]!, now), [], `${x}: rollback changed nothing`);
      assert.deepEqual(snapshotDiff(pristine.get(x)!, now), [], `${x}: /opt is not as it was before the run`);
      assert.deepEqual(await pwnedOn(lab, x), [], `${x}: a payload ran during rollback`);
    }
  });

  it('the detector works: a payload that does run (shell runs what it is given) is found', async () => {
    const { lab } = h;
    const control = writePlaybook(dir, 'control.yaml', '- hosts: h1\n  tasks:\n    - shell: "true $(touch /tmp/pwned-control) `touch pwned-control2`"\n');
    const r = runFleet(['run', control, '-i', inv, '--known-hosts', lab.knownHostsPath, '--output', 'json', '--state-dir', state]);
    assert.equal(r.code, 0, explain(r));
    try {
      assert.deepEqual((await pwnedOn(lab, 'h1')).sort(), ['/root/pwned-control2', '/tmp/pwned-control']);
    } finally {
      await lab.exec('h1', 'rm -f /tmp/pwned-control /root/pwned-control2');
    }
  });

  it('a NUL in an inventory value or a playbook string is refused before any host is contacted', async () => {
    const { lab } = h;
    const before = await Promise.all(HOSTS.map((x) => lab.snapshot(x, ['/opt', '/tmp'])));
    const nulInv = join(dir, 'nul-inventory.yaml');
    writeFileSync(nulInv, `all:\n  vars:\n    inj: "a\\0b"\n  hosts:\n    h1: { ansible_host: ${lab.host('h1').address}, ansible_ssh_private_key_file: ${lab.keyPath} }\n`);
    const nulPb = writePlaybook(dir, 'nul.yaml', '- hosts: all\n  tasks:\n    - copy: { dest: /opt/nul, content: "x\\x00y" }\n');
    const okPb = writePlaybook(dir, 'ok.yaml', '- hosts: all\n  tasks:\n    - copy: { dest: /opt/nul, content: "{{ inj }}" }\n');
    const cases: Array<[string[], string]> = [
      [['run', okPb, '-i', nulInv], `${nulInv}:3:10: a string contains a NUL character`],
      [['run', nulPb, '-i', inv], `${nulPb}:3:40: a string contains a NUL character`],
    ];
    for (const [args, where] of cases) {
      const r = runFleet([...args, '--known-hosts', lab.knownHostsPath, '--output', 'json', '--state-dir', join(dir, 'nul-state')]);
      assert.equal(r.code, 4, r.stderr);
      assert.ok(r.stderr.startsWith(`fleet: error [E_YAML]: ${where}`), r.stderr);
      assert.deepEqual(r.events, []);
    }
    for (const [i, x] of HOSTS.entries()) {
      assert.deepEqual(snapshotDiff(before[i]!, await lab.snapshot(x, ['/opt', '/tmp'])), []);
    }
  });
});
