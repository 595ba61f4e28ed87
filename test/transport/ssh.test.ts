// The SSH transport against real sshd hosts of the lab: exec, read, write, become, round trips.
// Connection-level behaviour (host keys, failures, jump hosts, drops) is in ssh-connect.test.ts.
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { useLab } from '../lab/index.ts';
import { connectSsh } from '../../src/transport/ssh.ts';
import type { SshTransport } from '../../src/transport/ssh-transport.ts';
import { eventually, inHost, policyFor, rejects, specFor } from './ssh-helpers.ts';

const handle = useLab(undefined, { name: 'tr-ops', hosts: 1 });
let root: SshTransport;
let deploy: SshTransport;
let deploy2: SshTransport;

// Root-level before() hooks do not run in a dependable order with useLab's: connect lazily instead.
let connecting: Promise<void> | undefined;
beforeEach(() => {
  connecting ??= (async () => {
    const lab = handle.lab;
    root = await connectSsh(specFor(lab, 'h1'), policyFor(lab));
    deploy = await connectSsh(specFor(lab, 'h1', { user: 'deploy' }), policyFor(lab));
    deploy2 = await connectSsh(specFor(lab, 'h1', { user: 'deploy2', becomePassword: 'lab-sudo-pw' }), policyFor(lab));
  })();
  return connecting;
});

after(async () => {
  await Promise.all([root?.close(), deploy?.close(), deploy2?.close()]);
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const ALL_BYTES = Buffer.from(Array.from({ length: 256 * 3 }, (_, i) => i % 256));

test('exec: stdin, stdout, stderr, exit code; binary-safe both ways; quoting in the script', { timeout: 30_000 }, async () => {
  const r = await root.exec(`cat; printf '%s' "it's \\"quoted\\" $((6*7))" >&2; exit 7`, { stdin: 'hello\n' });
  assert.equal(r.code, 7);
  assert.equal(r.stdout.toString(), 'hello\n');
  assert.equal(r.stderr.toString(), `it's "quoted" 42`);
  assert.equal(r.timedOut, false);
  assert.equal(r.truncated, false);
  const bin = await root.exec('cat', { stdin: ALL_BYTES });
  assert.ok(bin.stdout.equals(ALL_BYTES), 'every byte value comes back unchanged');
  // No stdin given: the command reads EOF at once (it never waits for input).
  const none = await root.exec('cat; echo done');
  assert.equal(none.stdout.toString(), 'done\n');
  const env = await root.exec('echo "$0 $#"; hostname');
  assert.equal(env.stdout.toString(), '/bin/sh 0\nh1\n');
});

test('exec simple: one quoted command runs straight from the login shell (no /bin/sh between); stdin, exit code and a missing program as before', { timeout: 30_000 }, async () => {
  // bash (the login shell here) exports $_ as the program it runs (/bin/sh for the
  // wrapped form); a program it execs itself gets no $_.
  const direct = await root.exec(`exec printenv _`, { simple: true });
  assert.deepEqual([direct.code, direct.stdout.toString()], [1, '']);
  const wrapped = await root.exec(`exec printenv _`);
  assert.equal(wrapped.stdout.toString(), '/bin/sh\n');
  const r = await root.exec(`exec sh -c 'cat; exit 3' 'it'\\''s'`, { simple: true, stdin: 'in\n' });
  assert.deepEqual([r.code, r.stdout.toString()], [3, 'in\n']);
  const missing = await root.exec('exec no-such-program-4711 a', { simple: true });
  assert.equal(missing.code, 127);
  assert.match(missing.stderr.toString(), /no-such-program-4711/);
  // Under become the command goes through sudo and /bin/sh as always (buildCommand's unit test).
  const viaSudo = await deploy.exec('exec id -un', { simple: true, become: true });
  assert.equal(viaSudo.stdout.toString(), 'root\n');
});

test('exec: killed by a signal gives code null and the signal name', { timeout: 30_000 }, async () => {
  const r = await root.exec('kill -TERM $$; sleep 5');
  assert.equal(r.code, null);
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(r.timedOut, false);
});

test('exec: output beyond maxOutputBytes is dropped and flagged; default cap 1 MiB', { timeout: 30_000 }, async () => {
  const r = await root.exec('head -c 3000000 /dev/zero; head -c 5000 /dev/zero >&2', { maxOutputBytes: 1000 });
  assert.equal(r.code, 0);
  assert.equal(r.stdout.length, 1000);
  assert.equal(r.stderr.length, 1000);
  assert.equal(r.truncated, true);
  const d = await root.exec('head -c 2000000 /dev/zero');
  assert.equal(d.stdout.length, 1024 * 1024);
  assert.equal(d.truncated, true);
  const small = await root.exec('head -c 1000 /dev/zero', { maxOutputBytes: 1000 });
  assert.equal(small.truncated, false);
});

test('exec: a script too long for one command line is refused', async () => {
  await rejects(root.exec(`: ${'x'.repeat(200_000)}`), 'E_INPUT_TOO_LARGE');
});

test('exec timeout: the command and its children are killed on the host', { timeout: 60_000 }, async () => {
  const lab = handle.lab;
  const t0 = Date.now();
  const r = await root.exec('sleep 4242 & sleep 4242; echo never', { timeoutMs: 1000 });
  assert.equal(r.timedOut, true);
  assert.equal(r.code, null);
  assert.equal(r.stdout.toString(), '');
  assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
  await eventually('no sleep 4242 left on h1', async () => (await lab.exec('h1', 'pgrep -f "sleep 4242"')).code === 1, 3000);

  // through sudo, and a script that ignores TERM: KILL after the grace period
  const t1 = Date.now();
  const r2 = await deploy.exec(`trap '' TERM; sleep 4243 & sleep 4243`, { timeoutMs: 1000, become: true });
  assert.equal(r2.timedOut, true);
  assert.equal(r2.code, null);
  assert.equal(r2.signal, undefined);
  const took = Date.now() - t1;
  assert.ok(took >= 5500 && took < 10_000, `KILL comes 5 s after TERM; took ${took} ms`);
  await eventually('no sleep 4243 left on h1', async () => (await lab.exec('h1', 'pgrep -f "sleep 4243"')).code === 1, 3000);

  const ok = await root.exec('echo fine', { timeoutMs: 5000 });
  assert.deepEqual([ok.code, ok.timedOut, ok.stdout.toString()], [0, false, 'fine\n']);
});

test('read: file, absent, directory, symlink (not followed), binary, permission denied', { timeout: 30_000 }, async () => {
  const lab = handle.lab;
  await inHost(lab, 'h1', [
    'mkdir -p /srv/r && cd /srv/r',
    'printf "hello\\n" > text && chmod 640 text && chown deploy:deploy text',
    'ln -sfn text link',
    'head -c 100000 /dev/urandom > bin',
    'echo secret > /root/secret && chmod 600 /root/secret',
  ].join('\n'));
  const text = await root.read('/srv/r/text');
  const deployIds = (await inHost(lab, 'h1', 'id -u deploy; id -g deploy')).trim().split('\n').map(Number);
  assert.deepEqual(text, {
    kind: 'file',
    content: Buffer.from('hello\n'),
    meta: { mode: 0o640, owner: 'deploy', group: 'deploy', uid: deployIds[0], gid: deployIds[1] },
  });
  assert.deepEqual(await root.read('/srv/r/missing'), { kind: 'absent' });
  assert.deepEqual(await root.read('/srv/r/text/below'), { kind: 'absent' });
  const dir = await root.read('/srv/r');
  assert.equal(dir.kind, 'directory');
  const link = await root.read('/srv/r/link');
  assert.equal(link.kind === 'other' && link.type, 'symlink');
  const bin = await root.read('/srv/r/bin');
  assert.ok(bin.kind === 'file');
  assert.equal(sha(bin.content), (await inHost(lab, 'h1', 'sha256sum < /srv/r/bin')).split(' ')[0]);
  await rejects(deploy.read('/root/secret'), 'E_REMOTE', 'Permission denied', '/root/secret');
  await rejects(deploy.read('/etc/shadow'), 'E_REMOTE', 'Permission denied');
  const asRoot = await deploy.read('/root/secret', { become: true });
  assert.ok(asRoot.kind === 'file' && asRoot.content.toString() === 'secret\n');
});

test('write: new file, every byte value, rename (new inode), default 0644 root', { timeout: 30_000 }, async () => {
  const lab = handle.lab;
  await inHost(lab, 'h1', 'mkdir -p /srv/w && echo old > /srv/w/f');
  const inode = (await inHost(lab, 'h1', 'stat -c %i /srv/w/f')).trim();
  const meta = await root.write('/srv/w/f', ALL_BYTES);
  assert.deepEqual(meta, { mode: 0o644, owner: 'root', group: 'root', uid: 0, gid: 0 });
  assert.equal((await inHost(lab, 'h1', 'sha256sum < /srv/w/f')).split(' ')[0], sha(ALL_BYTES));
  assert.notEqual((await inHost(lab, 'h1', 'stat -c %i /srv/w/f')).trim(), inode, 'replaced by rename, not rewritten in place');
  assert.equal((await inHost(lab, 'h1', 'ls -A /srv/w')).trim(), 'f', 'no temp file left');
  const empty = await root.write('/srv/w/empty', Buffer.alloc(0));
  assert.equal(empty.mode, 0o644);
  assert.equal((await inHost(lab, 'h1', 'stat -c %s /srv/w/empty')).trim(), '0');
});

test('write: keeps mode and owner of the existing file; given mode/owner/group applied', { timeout: 30_000 }, async () => {
  const lab = handle.lab;
  await inHost(lab, 'h1', 'mkdir -p /srv/m && echo old > /srv/m/app.conf && chown deploy:deploy /srv/m/app.conf && chmod 640 /srv/m/app.conf');
  const kept = await root.write('/srv/m/app.conf', Buffer.from('new\n'));
  assert.deepEqual([kept.mode, kept.owner, kept.group], [0o640, 'deploy', 'deploy']);
  assert.equal((await inHost(lab, 'h1', 'stat -c "%a %U %G" /srv/m/app.conf; cat /srv/m/app.conf')), '640 deploy deploy\nnew\n');
  const given = await root.write('/srv/m/app.conf', Buffer.from('x'), { mode: 0o600, owner: 'root', group: 'deploy2' });
  assert.deepEqual([given.mode, given.owner, given.group], [0o600, 'root', 'deploy2']);
  assert.equal((await inHost(lab, 'h1', 'stat -c "%a %U %G" /srv/m/app.conf')), '600 root deploy2\n');
  const suid = await root.write('/srv/m/tool', Buffer.from('#!/bin/sh\n'), { mode: 0o4755, owner: 'deploy' });
  assert.equal(suid.mode, 0o4755, 'set-id bits survive the chown');
});

test('write: missing parent directory, a directory in the way, unknown owner', { timeout: 30_000 }, async () => {
  const lab = handle.lab;
  await rejects(root.write('/srv/nope/f', Buffer.from('x')), 'E_REMOTE', 'directory /srv/nope does not exist');
  await inHost(lab, 'h1', 'mkdir -p /srv/d/sub');
  await rejects(root.write('/srv/d/sub', Buffer.from('x')), 'E_REMOTE', 'cannot write /srv/d/sub');
  await rejects(root.write('/srv/d/f', Buffer.from('x'), { owner: 'nobody-such' }), 'E_REMOTE', 'invalid user');
  assert.equal((await inHost(lab, 'h1', 'ls -A /srv/d')).trim(), 'sub', 'no temp files left');
  await rejects(deploy.write('/etc/fleet-denied', Buffer.from('x')), 'E_REMOTE', 'Permission denied');
});

test('write: 5 MB of random bytes, then read back', { timeout: 60_000 }, async () => {
  const lab = handle.lab;
  const big = randomBytes(5 * 1024 * 1024);
  await root.write('/srv/big', big);
  assert.equal((await inHost(lab, 'h1', 'sha256sum < /srv/big')).split(' ')[0], sha(big));
  const back = await root.read('/srv/big');
  assert.ok(back.kind === 'file' && back.content.equals(big));
});

test('write and read: unicode, spaces, quotes, $(...) and a newline in the path', { timeout: 30_000 }, async () => {
  const lab = handle.lab;
  const dir = `/srv/dir with "quotes" and 'single' ü ✓`;
  const path = `${dir}/$(touch pwned) \`touch pwned2\` ;&|\nname.txt`;
  await inHost(lab, 'h1', `mkdir -p "/srv/dir with \\"quotes\\" and 'single' ü ✓"`);
  await deploy.write(path, Buffer.from('odd'), { become: true });
  const back = await root.read(path);
  assert.ok(back.kind === 'file' && back.content.toString() === 'odd');
  assert.equal((await inHost(lab, 'h1', 'ls /root /home/deploy /home/deploy2 / | grep -c pwned || true')).trim(), '0', 'nothing in the path was run');
  assert.equal((await inHost(lab, 'h1', `ls -A "/srv/dir with \\"quotes\\" and 'single' ü ✓" | wc -l`)).trim(), '2');
});

test('write as the connecting user: owner is that user', { timeout: 30_000 }, async () => {
  const meta = await deploy.write('/tmp/by-deploy', Buffer.from('x'));
  assert.equal(meta.owner, 'deploy');
  assert.equal(meta.mode, 0o644);
});

test('become: deploy via sudo -n; deploy2 with the become password, which never shows on the host', { timeout: 60_000 }, async () => {
  const lab = handle.lab;
  const d = await deploy.exec('id -un', { become: true });
  assert.equal(d.stdout.toString(), 'root\n');
  const d2 = await deploy.exec('id -un', { become: true, becomeUser: 'deploy2' });
  assert.equal(d2.stdout.toString(), 'deploy2\n');

  // the password goes first on stdin, the caller's stdin follows intact
  const r = await deploy2.exec('id -un; cat', { become: true, stdin: ALL_BYTES });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.ok(r.stdout.equals(Buffer.concat([Buffer.from('root\n'), ALL_BYTES])));

  // a long command: look at every process's command line and environment meanwhile
  const running = deploy2.exec('sleep 3; echo done', { become: true });
  let seenSudo = false;
  await eventually('the sudo command is running', async () => {
    const ps = await inHost(lab, 'h1', 'ps -eo args');
    seenSudo = ps.includes('sudo -k -S');
    return seenSudo;
  });
  // (the scripts below do not contain the password: the search happens here)
  const ps = await inHost(lab, 'h1', 'ps -eo pid,args');
  const procFiles = await inHost(lab, 'h1', 'for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do tr "\\0" " " < "$f" 2>/dev/null; echo " <- $f"; done');
  assert.ok(procFiles.includes('sudo -k -S'), 'the scan saw the sudo process');
  assert.ok(!ps.includes('lab-sudo-pw'), `the password shows in ps:\n${ps}`);
  assert.ok(!procFiles.includes('lab-sudo-pw'), 'the password is in a command line or environment');
  assert.equal((await running).stdout.toString(), 'done\n');
  assert.ok(seenSudo);

  // write and read through the password sudo: the content does not contain the password
  const meta = await deploy2.write('/etc/fleet-by-deploy2', Buffer.from('content\n'), { become: true });
  assert.equal(meta.owner, 'root');
  assert.equal(await inHost(lab, 'h1', 'cat /etc/fleet-by-deploy2'), 'content\n');
  const back = await deploy2.read('/etc/fleet-by-deploy2', { become: true });
  assert.ok(back.kind === 'file' && back.content.toString() === 'content\n');
});

test('become: a wrong or missing become password is E_AUTH, without running the command', { timeout: 30_000 }, async () => {
  const lab = handle.lab;
  const wrong = await connectSsh(specFor(lab, 'h1', { user: 'deploy2', becomePassword: 'nope' }), policyFor(lab));
  const none = await connectSsh(specFor(lab, 'h1', { user: 'deploy2' }), policyFor(lab));
  try {
    await rejects(wrong.exec('touch /tmp/ran', { become: true }), 'E_AUTH', 'become password was rejected');
    const e = await rejects(none.exec('touch /tmp/ran', { become: true }), 'E_AUTH', 'password is required');
    assert.ok(!e.message.includes('nope'));
    assert.equal((await lab.exec('h1', 'test -e /tmp/ran')).code, 1);
    const plain = await none.exec('id -un');
    assert.equal(plain.stdout.toString(), 'deploy2\n', 'without become the transport still works');
  } finally {
    await wrong.close();
    await none.close();
  }
});

test('roundTrips: one per exec, read and write; sudo probed once per user', { timeout: 30_000 }, async () => {
  const lab = handle.lab;
  const t = await connectSsh(specFor(lab, 'h1', { user: 'deploy' }), policyFor(lab));
  try {
    assert.equal(t.roundTrips, 0);
    await t.read('/etc/hostname');
    assert.equal(t.roundTrips, 1);
    await t.write('/tmp/rt', Buffer.from('x'));
    assert.equal(t.roundTrips, 2);
    await t.exec('true');
    assert.equal(t.roundTrips, 3);
    await t.exec('true', { become: true });
    assert.equal(t.roundTrips, 5, 'the first become adds one sudo probe');
    await t.read('/etc/hostname', { become: true });
    await t.write('/tmp/rt', Buffer.from('y'), { become: true });
    assert.equal(t.roundTrips, 7);
  } finally {
    await t.close();
  }
  const before = root.roundTrips;
  const r = await root.exec('id -un', { become: true });
  assert.equal(r.stdout.toString(), 'root\n');
  assert.equal(root.roundTrips, before + 1, 'already the become user: no sudo, no probe');
});

test('parallel commands beyond the channel limit all complete on one connection', { timeout: 60_000 }, async () => {
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => root.exec(`echo ${i}`)));
  assert.deepEqual(results.map((r) => r.stdout.toString()), Array.from({ length: 40 }, (_, i) => `${i}\n`));
});

test('pause: the command stops at its pause line, the controller answers on stdin, one round trip', { timeout: 30_000 }, async () => {
  const marker = `fleet-pause-${randomBytes(8).toString('hex')}`;
  const script = (tag: string) => [
    `head -c 70000 /dev/zero | tr '\\0' 'x'; printf '\\n%s %s\\n' ${marker} 0`,
    `IFS= read -r answer || exit 3`,
    `[ "$answer" = go ] || exit 4`,
    `echo ${tag} > /tmp/pause-${tag}`,
  ].join('\n');
  let got: { size: number; status: string; onlyX: boolean } | undefined;
  const before = root.roundTrips;
  const chunks: Buffer[] = [];
  const r = await root.exec(script('a'), {
    onStdout: (c) => chunks.push(c),
    pause: {
      marker,
      resume: async (status) => {
        const out = Buffer.concat(chunks);
        got = { size: out.length, status, onlyX: out.every((b) => b === 0x78) };
        // nothing after the pause line happened yet
        assert.equal((await inHost(handle.lab, 'h1', 'cat /tmp/pause-a 2>/dev/null || echo none')).trim(), 'none');
        return 'go';
      },
    },
  });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.deepEqual(got, { size: 70000, status: '0', onlyX: true }, 'stdout before the pause line, without it');
  assert.equal(r.stdout.length, 0, 'stdout went to onStdout');
  assert.equal(root.roundTrips, before + 1);
  assert.equal((await inHost(handle.lab, 'h1', 'cat /tmp/pause-a')).trim(), 'a');
  const stop = await root.exec(script('b'), { pause: { marker, resume: async () => 'stop' } });
  assert.equal(stop.code, 4);
  await rejects(
    root.exec(script('c'), { pause: { marker, resume: async () => { throw new Error('journal full'); } } }),
    'E_INTERNAL',
    'journal full',
  );
  assert.equal((await inHost(handle.lab, 'h1', 'ls /tmp/pause-b /tmp/pause-c 2>&1 | grep -c "No such"')).trim(), '2');
});
