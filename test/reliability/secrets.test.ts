/**
 * Secrets through the real CLI on a light lab of two hosts: h1 as root with the
 * lab key, h2 as deploy2 with an ed25519 key encrypted with a passphrase and
 * sudo asking for deploy2's password (become_password in the inventory).
 * no_log tasks put a secret in their arguments, commands, output, errors,
 * files, templates, debug, set_fact and assert messages. Every output (tty,
 * plain, json, --diff, check mode, a failing run with its automatic rollback,
 * `fleet runs`, `fleet show`, `fleet rollback`, `fleet inventory`, wrong
 * passphrase and wrong become password) and every file of the state directory
 * is searched for each secret; the host's process arguments and environments
 * are watched during a long become task. The state directory is 0700 with
 * 0600 files, and one that others can write is refused. (Host keys: strict by
 * default, a changed key fails that host only with both fingerprints, see
 * test/integration/failures.test.ts; here: --accept-new-host-keys does not
 * accept a changed key.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { shq } from '../../src/core/shell.ts';
import { useLab, REPO_ROOT } from '../lab/index.ts';
import { eventsOf, explain, hostFile, hostTask, removeDir, runEnd, runFleet, tempDir, writePlaybook, type FleetResult } from '../integration/helpers.ts';
import {
  BECOME_PW, FAILING, leaks, NOLOG_SECRET, PASSPHRASE, PLAYBOOK, walk, WRONG_BECOME_PW, WRONG_PASSPHRASE,
} from './secrets-fixtures.ts';

describe('secrets: no_log, become password, key passphrase, state directory (light lab)', (s) => {
  const h = useLab(s, { name: 'rel-sec', hosts: 2 });
  let dir = '';
  let state = '';
  let inv = '';
  let pb = '';
  let failing = '';
  const outputs: Array<{ what: string; text: string }> = [];
  const record = (what: string, r: { stdout: string; stderr: string }): void => {
    outputs.push({ what: `${what} (stdout)`, text: r.stdout }, { what: `${what} (stderr)`, text: r.stderr });
  };
  const env = { SSH_AUTH_SOCK: '' };
  const fleet = (args: string[]): FleetResult => runFleet(args, { env });
  const common = () => ['--known-hosts', h.lab.knownHostsPath, '--state-dir', state];

  /** The inventory, optionally with a wrong passphrase or become password for h2. */
  const writeInventory = (path: string, over: { passphrase?: string; become?: string } = {}): string => {
    const { lab } = h;
    writeFileSync(path, stringify({
      all: {
        vars: { app_secret: NOLOG_SECRET, app_secret_re: `(${NOLOG_SECRET}` },
        hosts: {
          h1: { ansible_host: lab.host('h1').address, ansible_user: 'root', ansible_ssh_private_key_file: lab.keyPath },
          h2: {
            ansible_host: lab.host('h2').address,
            ansible_user: 'deploy2',
            ansible_ssh_private_key_file: join(dir, 'enc_key'),
            passphrase: over.passphrase ?? PASSPHRASE,
            become_password: over.become ?? BECOME_PW,
          },
        },
      },
    }));
    return path;
  };

  before(async () => {
    const { lab } = h;
    dir = tempDir('rel-sec');
    state = join(dir, 'state');
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'fleet-secrets-test', '-f', join(dir, 'enc_key')], { encoding: 'utf8' });
    assert.equal(kg.status, 0, kg.stderr);
    assert.match(readFileSync(join(dir, 'enc_key'), 'utf8'), /BEGIN OPENSSH PRIVATE KEY/);
    // The key really is encrypted: without the passphrase ssh-keygen cannot read it.
    assert.notEqual(spawnSync('ssh-keygen', ['-y', '-P', '', '-f', join(dir, 'enc_key')]).status, 0);
    const pub = readFileSync(join(dir, 'enc_key.pub'), 'utf8');
    const u = lab.users.find((x) => x.name === 'deploy2')!;
    const r = await lab.exec('h2', [
      `mkdir -p ${u.home}/.ssh`, `cat > ${u.home}/.ssh/authorized_keys`,
      `chown -R ${u.uid}:${u.gid} ${u.home}`, `chmod 700 ${u.home} ${u.home}/.ssh`, `chmod 600 ${u.home}/.ssh/authorized_keys`,
    ].join(' && '), { input: pub });
    assert.equal(r.code, 0, r.stderr);
    inv = writeInventory(join(dir, 'inventory.yaml'));
    pb = writePlaybook(dir, 'secrets.yaml', PLAYBOOK);
    writePlaybook(dir, 'templates/secret.hbs', 'db_password={{ app_secret }}\n');
    failing = writePlaybook(dir, 'failing.yaml', FAILING);
  });
  after(() => removeDir(dir));

  let firstRun = '';
  it('json output of a real run: no_log values hidden, become password and passphrase used but never shown', async () => {
    const { lab } = h;
    const r = fleet(['run', pb, '-i', inv, '--output', 'json', ...common()]);
    record('run json', r);
    assert.equal(r.code, 0, explain(r));
    firstRun = runEnd(r).runId;
    // The secret was really used, on both hosts (h2 through the passphrase key and sudo's password).
    for (const host of ['h1', 'h2']) {
      assert.equal(await hostFile(lab, host, '/opt/secret.txt'), `${NOLOG_SECRET}\n`);
      assert.equal(await hostFile(lab, host, '/opt/secret.tpl'), `db_password=${NOLOG_SECRET}\n`);
      assert.equal(await hostFile(lab, host, '/opt/registered.txt'), `${NOLOG_SECRET}\n`);
      assert.equal(hostTask(r, 'who am i', host).status, 'ok');
      const t = hostTask(r, 'secret in debug', host);
      assert.equal(t.noLog, true);
      assert.equal(t.msg, 'output hidden by no_log');
      assert.match(hostTask(r, 'a failing command printing the secret', host).msg ?? '', /hidden by no_log/);
    }
    const who = await lab.exec('h2', 'stat -c %U /opt/secret.txt');
    assert.equal(who.stdout.trim(), 'root', 'h2 wrote as root through sudo');
    assert.ok(eventsOf(r.events, 'host-task').length >= 20);
  });

  it('plain output with --diff, tty output, and check mode', async () => {
    const plain = fleet(['run', pb, '-i', inv, '--output', 'plain', '--diff', ...common()]);
    record('run plain --diff', plain);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /secret in debug/);

    // A terminal: `script` gives fleet a pty, so the live view (listr2, colours) is used.
    const cmd = [process.execPath, join(REPO_ROOT, 'bin/fleet.js'), 'run', pb, '-i', inv, '--diff', ...common()].map(shq).join(' ');
    const ttyEnv: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', COLUMNS: '120', SSH_AUTH_SOCK: '' };
    delete ttyEnv.CI;
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: REPO_ROOT, encoding: 'utf8', env: ttyEnv, timeout: 120_000 });
    record('run tty', { stdout: tty.stdout, stderr: tty.stderr });
    assert.equal(tty.status, 0, tty.stdout + tty.stderr);
    assert.match(tty.stdout, /\x1b\[/, 'expected a terminal view with escape codes');
    assert.match(tty.stdout, /RECAP/);

    for (const output of ['plain', 'json']) {
      const check = fleet(['run', pb, '-i', inv, '--check', '--diff', '--output', output, ...common()]);
      record(`check ${output}`, check);
      assert.equal(check.code, 0, check.stdout + check.stderr);
    }
  });

  it('a failing no_log task, rolled back automatically: exit 2, no secret in any output', async () => {
    const { lab } = h;
    for (const output of ['json', 'plain']) {
      const r = fleet(['run', failing, '-i', inv, '--output', output, ...(output === 'plain' ? ['--diff'] : []), ...common()]);
      record(`failing ${output}`, r);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      if (output === 'json') {
        assert.equal(runEnd(r).result, 'failed');
        assert.equal(hostTask(r, 'a no_log block with a failing condition', 'h1').msg, 'output hidden by no_log');
        assert.equal(hostTask(r, 'fail, printing the secret', 'h2').msg, 'output hidden by no_log');
        for (const host of ['h1', 'h2']) assert.equal(runEnd(r).recap[host]!.state, 'rolled-back');
      }
      for (const host of ['h1', 'h2']) assert.equal(await hostFile(lab, host, '/opt/changed.txt'), null);
    }
  });

  it('fleet runs, fleet show, fleet rollback and fleet inventory show no secret', () => {
    const runs = fleet(['runs', '--state-dir', state]);
    record('runs', runs);
    assert.equal(runs.code, 0, runs.stderr);
    const runsJson = fleet(['runs', '--state-dir', state, '--output', 'json']);
    record('runs json', runsJson);
    const ids = (JSON.parse(runsJson.stdout) as Array<{ id: string }>).map((x) => x.id);
    assert.ok(ids.length >= 7, `runs: ${ids.length}`);
    for (const id of ids) {
      for (const output of ['plain', 'json']) {
        const show = fleet(['show', id, '--state-dir', state, '--output', output]);
        record(`show ${id} ${output}`, show);
        assert.equal(show.code, 0, show.stderr);
      }
    }
    const rbCheck = fleet(['rollback', firstRun, '--check', '-i', inv, ...common()]);
    record('rollback --check', rbCheck);
    assert.equal(rbCheck.code, 0, rbCheck.stdout + rbCheck.stderr);
    for (const args of [['inventory', '-i', inv], ['inventory', '-i', inv, '--json']]) {
      const r = fleet(args);
      // app_secret is an ordinary variable (fleet inventory shows vars); the connection secrets are redacted.
      outputs.push({ what: `${args.join(' ')} (connection secrets only)`, text: r.stdout.split(NOLOG_SECRET).join('') + r.stderr });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /deploy2/);
    }
  });

  it('a wrong passphrase or become password fails that host without echoing either', async () => {
    const wrongKey = writeInventory(join(dir, 'wrong-passphrase.yaml'), { passphrase: WRONG_PASSPHRASE });
    const r1 = fleet(['run', pb, '-i', wrongKey, '--output', 'json', ...common()]);
    record('wrong passphrase', r1);
    assert.equal(r1.code, 3, explain(r1));
    assert.equal(runEnd(r1).recap.h2!.state, 'unreachable');
    assert.equal(runEnd(r1).recap.h1!.state, 'ok');
    const wrongBecome = writeInventory(join(dir, 'wrong-become.yaml'), { become: WRONG_BECOME_PW });
    const r2 = fleet(['run', pb, '-i', wrongBecome, '--output', 'json', ...common()]);
    record('wrong become password', r2);
    assert.equal(r2.code, 2, explain(r2));
    assert.match(hostTask(r2, 'who am i', 'h2').msg ?? '', /become password was rejected/);
    assert.equal(runEnd(r2).recap.h1!.state, 'ok');
  });

  it('the become password and the passphrase never appear in process arguments or environments, on the host or here', async () => {
    const { lab } = h;
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/fleet.js'), 'run', pb, '-i', inv, '--output', 'json', '-e', 'long_task=true', ...common()], {
      cwd: REPO_ROOT, env: { ...process.env, CI: '1', SSH_AUTH_SOCK: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let done = false;
    void exited.then(() => { done = true; });
    let sawSleep = false;
    let samples = 0;
    const found: string[] = [];
    // Every process's argv and environment, NUL-separated; the secrets are searched here, not in the script.
    const dump = 'for p in /proc/[0-9]*; do cat $p/cmdline $p/environ 2>/dev/null; printf "\\n"; done';
    while (!done) {
      const r = await lab.exec('h2', dump);
      samples++;
      if (r.stdout.includes('sleep\u00005') || r.stdout.includes('sleep 5')) sawSleep = true;
      for (const s of leaks(r.stdout).filter((x) => x !== NOLOG_SECRET)) found.push(`h2: ${s}`);
      // fleet itself (other processes on this machine belong to other tests)
      const local = spawnSync('/bin/sh', ['-c', `cat /proc/${child.pid}/cmdline /proc/${child.pid}/environ 2>/dev/null`], { maxBuffer: 16 << 20 });
      for (const s of leaks(local.stdout).filter((x) => x !== NOLOG_SECRET)) found.push(`controller: ${s}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const code = await exited;
    record('watched run', { stdout, stderr });
    assert.equal(code, 0, stdout + stderr);
    assert.ok(sawSleep, `the long task was never seen on h2 (${samples} samples)`);
    assert.deepEqual(found, []);
  });

  it('no secret in any output, nor in any file of the state directory, which is 0700 with 0600 files', () => {
    assert.ok(outputs.length > 40, `${outputs.length} outputs`);
    const leaked = outputs.flatMap((o) => leaks(o.text).map((s) => `${o.what}: ${s}`));
    const entries = walk(state);
    assert.ok(entries.filter((e) => !e.dir).length > 20, 'the state directory is nearly empty');
    const modes: string[] = [];
    for (const e of entries) {
      const mode = lstatSync(e.path).mode & 0o777;
      if (mode !== (e.dir ? 0o700 : 0o600)) modes.push(`${e.path}: ${mode.toString(8)}`);
      if (!e.dir) leaked.push(...leaks(readFileSync(e.path)).map((s) => `${e.path}: ${s}`));
    }
    assert.deepEqual(leaked, []);
    assert.deepEqual(modes, []);
  });

  it('a state directory others can write to (or another user owns) is refused, for runs and rollbacks', () => {
    const runArgs = ['run', pb, '-i', inv, '--output', 'json', ...common()];
    const refused = (args: string[], path: string, why: RegExp): void => {
      const r = fleet(args);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      assert.deepEqual(r.events, []);
      assert.ok(r.stderr.startsWith(`fleet: error [E_STATE_DIR]: refusing to use ${path}: `), r.stderr);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    };
    const runsDir = join(state, 'runs');
    try {
      for (const mode of [0o770, 0o707, 0o777]) {
        chmodSync(state, mode);
        refused(runArgs, state, /writable by group or others/);
        refused([...runArgs, '--check'], state, /writable by group or others/);
        refused(['rollback', firstRun, '-i', inv, ...common()], state, /writable by group or others/);
      }
      chmodSync(state, 0o700);
      chmodSync(runsDir, 0o777);
      refused(runArgs, runsDir, /writable by group or others/);
      refused(['rollback', firstRun, '-i', inv, ...common()], runsDir, /writable by group or others/);
      chmodSync(runsDir, 0o700);
      chownSync(state, 65534, 65534);
      refused(runArgs, state, /belongs to another user/);
    } finally {
      chownSync(state, 0, 0);
      chmodSync(state, 0o700);
      chmodSync(runsDir, 0o700);
    }
    const ok = fleet(['rollback', firstRun, '-i', inv, ...common()]);
    record('rollback', ok);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.deepEqual(outputs.flatMap((o) => leaks(o.text).map((s) => `${o.what}: ${s}`)), []);
  });

  it('--accept-new-host-keys does not accept a changed key (strict checking stays on)', async () => {
    const { lab } = h;
    const keyFile = join(dir, 'other_host_key');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]).status, 0);
    const blob = readFileSync(`${keyFile}.pub`, 'utf8').split(' ')[1]!;
    const lines = readFileSync(lab.knownHostsPath, 'utf8').split('\n').filter(Boolean);
    const address = lab.host('h1').address;
    const changed = join(dir, 'known_hosts.changed');
    const text = [...lines.filter((l) => l.split(' ')[0] !== address), `${address} ssh-ed25519 ${blob}`, ''].join('\n');
    writeFileSync(changed, text);
    const r = fleet(['run', pb, '-i', inv, '--output', 'json', '--known-hosts', changed, '--accept-new-host-keys', '--state-dir', join(dir, 'hk-state')]);
    assert.equal(r.code, 3, explain(r));
    assert.match(hostTask(r, 'who am i', 'h1').msg ?? '', /HOST KEY CHANGED/);
    assert.equal(runEnd(r).recap.h2!.state, 'ok');
    assert.equal(readFileSync(changed, 'utf8'), text, 'known_hosts was rewritten');
  });
});
