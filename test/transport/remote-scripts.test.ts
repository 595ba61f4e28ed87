// The read/write scripts run by a local /bin/sh (what sshd would run), no SSH involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildCommand,
  heldRunPayload,
  ancestorsOf,
  parseReadOutput,
  parseReadWithAbove,
  parseStatHeader,
  readScript,
  sudoProbeScript,
  writeScript,
} from '../../src/transport/remote-scripts.ts';
import type { PathState } from '../../src/modules/types.ts';
import { shq } from '../../src/core/shell.ts';

function sh(script: string, input?: Buffer) {
  const r = spawnSync('/bin/sh', ['-c', script], { input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-rs-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function read(path: string): PathState {
  const r = sh(readScript(path));
  assert.equal(r.code, 0, r.stderr);
  return parseReadOutput(r.stdout);
}

function write(path: string, content: Buffer, extra: { mode?: number; owner?: string; group?: string; size?: number; tmpSuffix?: string } = {}) {
  const script = writeScript({
    path,
    size: extra.size ?? content.length,
    mode: extra.mode,
    owner: extra.owner,
    group: extra.group,
    tmpSuffix: extra.tmpSuffix,
  });
  return sh(script, content);
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => i % 256));

test('stat header parsing: type, mode with set-id bits, ids and names', () => {
  assert.deepEqual(parseStatHeader('stat 81a4 0 0 root root'), { type: 'file', meta: { mode: 0o644, owner: 'root', group: 'root', uid: 0, gid: 0 } });
  assert.deepEqual(parseStatHeader('stat 89ed 1000 50 deploy staff').meta.mode, 0o4755);
  assert.equal(parseStatHeader('stat 41ed 0 0 root root').type, 'directory');
  assert.equal(parseStatHeader('stat a1ff 0 0 root root').type, 'symlink');
  assert.equal(parseStatHeader('stat 11a4 0 0 root root').type, 'fifo');
  assert.throws(() => parseStatHeader('stat: cannot stat'), { code: 'E_REMOTE' });
});

test('read: file (binary, exact), empty file, absent, under a file, directory, symlink not followed, fifo', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'bin'), ALL_BYTES);
    chmodSync(join(dir, 'bin'), 0o640);
    writeFileSync(join(dir, 'empty'), '');
    symlinkSync('bin', join(dir, 'link'));
    spawnSync('mkfifo', [join(dir, 'fifo')]);
    const f = read(join(dir, 'bin'));
    assert.equal(f.kind, 'file');
    assert.ok(f.kind === 'file' && f.content.equals(ALL_BYTES));
    assert.equal(f.kind === 'file' && f.meta.mode, 0o640);
    assert.deepEqual(read(join(dir, 'empty')), { kind: 'file', content: Buffer.alloc(0), meta: { mode: 0o644, owner: 'root', group: 'root', uid: 0, gid: 0 } });
    assert.deepEqual(read(join(dir, 'nope')), { kind: 'absent' });
    assert.deepEqual(read(join(dir, 'bin', 'x')), { kind: 'absent' });
    assert.equal(read(dir).kind, 'directory');
    const l = read(join(dir, 'link'));
    assert.equal(l.kind === 'other' && l.type, 'symlink');
    const p = read(join(dir, 'fifo'));
    assert.equal(p.kind === 'other' && p.type, 'fifo');
  });
});

function readUp(path: string) {
  const above = ancestorsOf(path);
  const r = sh(readScript(path, above));
  assert.equal(r.code, 0, r.stderr);
  return parseReadWithAbove(r.stdout, above);
}

test('read with ancestors: a missing path tells where its parents end, in the same script', () => {
  withDir((dir) => {
    assert.deepEqual(ancestorsOf('/opt/cni/bin'), ['/opt/cni', '/opt', '/']);
    assert.deepEqual(ancestorsOf('/'), []);
    const odd = join(dir, `it's $(x)`);
    mkdirSync(odd);
    chmodSync(odd, 0o750);
    const r = readUp(join(odd, 'a', 'b', 'c'));
    assert.deepEqual(r.state, { kind: 'absent' });
    assert.deepEqual(r.above, [
      { path: join(odd, 'a', 'b'), kind: 'absent' }, { path: join(odd, 'a'), kind: 'absent' }, { path: odd, kind: 'directory' },
    ]);
    // the parent exists: only it is reported
    assert.deepEqual(readUp(join(odd, 'x')).above, [{ path: odd, kind: 'directory' }]);
    // under a regular file: the missing levels are absent, the file itself is not reported (its content was not read)
    writeFileSync(join(dir, 'file'), 'x');
    assert.deepEqual(readUp(join(dir, 'file', 'y', 'z')).above, [{ path: join(dir, 'file', 'y'), kind: 'absent' }]);
    // under a symlink to a directory: the symlink is not reported as a directory
    symlinkSync(odd, join(dir, 'link'));
    assert.deepEqual(readUp(join(dir, 'link', 'y', 'z')).above, [{ path: join(dir, 'link', 'y'), kind: 'absent' }]);
    // an existing path: nothing about its ancestors
    const f = readUp(join(dir, 'file'));
    assert.equal(f.state.kind, 'file');
    assert.deepEqual(f.above, []);
    // unreadable is an error, not "absent"
    const locked = join(dir, 'locked');
    mkdirSync(join(locked, 'in'), { recursive: true });
    chmodSync(locked, 0o000);
    const r2 = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', readScript(join(locked, 'in', 'x'), ancestorsOf(join(locked, 'in', 'x')))]);
    assert.equal(r2.status, 2, r2.stdout.toString());
    assert.match(r2.stderr.toString(), /Permission denied/);
  });
});

test('read of a missing path: absent from shell tests alone when sure; a symlink loop or a relative path still asks stat', () => {
  withDir((dir) => {
    // absent under a searchable directory, and under a regular file (ENOTDIR)
    assert.deepEqual(read(join(dir, 'none')), { kind: 'absent' });
    writeFileSync(join(dir, 'file'), 'x');
    assert.deepEqual(read(join(dir, 'file', 'sub')), { kind: 'absent' });
    // a loop in the path is an error, as stat reports it, not "absent"
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    const r = sh(readScript(join(dir, 'loop', 'x'), ancestorsOf(join(dir, 'loop', 'x'))));
    assert.equal(r.code, 2, r.stdout.toString());
    assert.match(r.stderr.toString(), /Too many levels of symbolic links/);
    // relative: no ancestors to look at, stat decides
    const rel = sh(`cd ${dir}\n${readScript('no-such')}`);
    assert.equal(rel.code, 0, rel.stderr.toString());
    assert.equal(rel.stdout.toString(), 'absent\n');
  });
});

test('read: a path with spaces, quotes, newline and unicode; a path starting with a dash', () => {
  withDir((dir) => {
    const name = join(dir, `it's "a" file\n$(echo x) ü ✓`);
    writeFileSync(name, 'content');
    const s = read(name);
    assert.ok(s.kind === 'file' && s.content.toString() === 'content');
    const dash = '-n';
    writeFileSync(join(dir, dash), 'dash');
    const r = sh(`cd ${dir}\n${readScript(dash)}`);
    assert.equal(r.code, 0, r.stderr);
    const d = parseReadOutput(r.stdout);
    assert.ok(d.kind === 'file' && d.content.toString() === 'dash');
  });
});

test('write: new file 0644, content with every byte, no temp file left, stat returned', () => {
  withDir((dir) => {
    const p = join(dir, 'new');
    const r = write(p, ALL_BYTES);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(p).equals(ALL_BYTES));
    assert.equal(statSync(p).mode & 0o7777, 0o644);
    const lines = r.stdout.toString().trim().split('\n');
    assert.deepEqual(parseStatHeader(lines[lines.length - 1]).meta, { mode: 0o644, owner: 'root', group: 'root', uid: 0, gid: 0 });
    assert.deepEqual(readdirSync(dir), ['new']);
  });
});

test('write: keeps mode and owner of an existing file; given mode/owner/group win; chown keeps set-id via chmod after', () => {
  withDir((dir) => {
    const p = join(dir, 'f');
    writeFileSync(p, 'old');
    chmodSync(p, 0o600);
    chownSync(p, 65534, 65534);
    assert.equal(write(p, Buffer.from('new')).code, 0);
    const st = statSync(p);
    assert.equal(st.mode & 0o7777, 0o600);
    assert.equal(st.uid, 65534);
    assert.equal(st.gid, 65534);
    assert.equal(readFileSync(p, 'utf8'), 'new');
    const r = write(p, Buffer.from('newer'), { mode: 0o4750, owner: 'root', group: 'root' });
    assert.equal(r.code, 0, r.stderr);
    const st2 = statSync(p);
    assert.equal(st2.mode & 0o7777, 0o4750);
    assert.equal(st2.uid, 0);
  });
});

test('write: missing parent directory, directory at the path, bad owner: error, nothing left', () => {
  withDir((dir) => {
    const r = write(join(dir, 'no', 'f'), Buffer.from('x'));
    assert.equal(r.code, 3);
    assert.match(r.stderr, /directory .*\/no does not exist/);
    mkdirSync(join(dir, 'd'));
    const r2 = write(join(dir, 'd'), Buffer.from('x'));
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /cannot overwrite directory/);
    const r3 = write(join(dir, 'f'), Buffer.from('x'), { owner: 'no-such-user-xyz' });
    assert.notEqual(r3.code, 0);
    assert.match(r3.stderr, /invalid user/);
    assert.deepEqual(readdirSync(dir), ['d']);
  });
});

test('write: short stdin (a dropped upload) keeps the old bytes and leaves no temp file', () => {
  withDir((dir) => {
    const p = join(dir, 'f');
    writeFileSync(p, 'old content');
    const content = Buffer.alloc(100_000, 7);
    const r = write(p, content.subarray(0, 50_000), { size: content.length });
    assert.equal(r.code, 6);
    assert.match(r.stderr, /received 50000 of 100000 bytes/);
    assert.equal(readFileSync(p, 'utf8'), 'old content');
    assert.deepEqual(readdirSync(dir), ['f']);
  });
});

test('write: a planted temp file or symlink at the temp name is refused and left alone; the target is untouched', () => {
  withDir((dir) => {
    const p = join(dir, 'f');
    writeFileSync(p, 'old');
    writeFileSync(join(dir, 'victim'), 'victim');
    symlinkSync(join(dir, 'victim'), join(dir, '.fleet-tmp.abcdef01'));
    const r = write(p, Buffer.from('new'), { tmpSuffix: 'abcdef01' });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /already exists/);
    assert.equal(readFileSync(join(dir, 'victim'), 'utf8'), 'victim');
    assert.equal(readFileSync(p, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir).sort(), ['.fleet-tmp.abcdef01', 'f', 'victim']);
  });
});

test('write: modes by umask (0600, 0640), by chmod (0755, 02750), kept (0600 file replaced), new file 0644', () => {
  withDir((dir) => {
    for (const mode of [0o600, 0o640, 0o755, 0o2750, 0o444, 0o000]) {
      const p = join(dir, `m${mode.toString(8)}`);
      const r = write(p, Buffer.from('x'), { mode });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(statSync(p).mode & 0o7777, mode, `mode ${mode.toString(8)}`);
      const lines = r.stdout.toString().trim().split('\n');
      assert.equal(parseStatHeader(lines[lines.length - 1]!).meta.mode, mode);
    }
    const kept = join(dir, 'kept');
    writeFileSync(kept, 'old');
    chmodSync(kept, 0o600);
    assert.equal(write(kept, Buffer.from('new')).code, 0);
    assert.equal(statSync(kept).mode & 0o7777, 0o600);
    const fresh = join(dir, 'fresh');
    assert.equal(write(fresh, Buffer.from('new')).code, 0);
    assert.equal(statSync(fresh).mode & 0o7777, 0o644);
  });
});

test('write: a replaced 0600 file is never readable by others, not even as the temp file mid-upload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-rs-'));
  try {
    const p = join(dir, 'secret');
    writeFileSync(p, 'old secret');
    chmodSync(p, 0o600);
    const content = Buffer.alloc(200_000, 0x73);
    const child = spawn('/bin/sh', ['-c', writeScript({ path: p, size: content.length })]);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.write(content.subarray(0, 100_000));
    // The upload is half-way: dd has created the temp file and waits for the rest.
    let tmpMode: number | undefined;
    for (let i = 0; i < 200 && tmpMode === undefined; i++) {
      const tmp = readdirSync(dir).find((n) => n.startsWith('.fleet-tmp.'));
      if (tmp) tmpMode = statSync(join(dir, tmp)).mode & 0o777;
      else await new Promise((r) => setTimeout(r, 10));
    }
    assert.notEqual(tmpMode, undefined, 'the temp file was seen mid-upload');
    assert.equal(tmpMode! & 0o077, 0, `temp file mode ${tmpMode!.toString(8)}`);
    child.stdin.end(content.subarray(100_000));
    assert.equal(await exited, 0);
    assert.equal(statSync(p).mode & 0o7777, 0o600);
    assert.ok(readFileSync(p).equals(content));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('write: invalid input rejected on the controller', () => {
  assert.throws(() => writeScript({ path: '/tmp/d/', size: 0 }), { code: 'E_VALIDATION' });
  assert.throws(() => writeScript({ path: '/tmp/f', size: 0, mode: 0o10000 }), { code: 'E_VALIDATION' });
  assert.throws(() => writeScript({ path: '/tmp/f', size: -1 }), { code: 'E_VALIDATION' });
  assert.throws(() => writeScript({ path: '/tmp/f', size: 0, tmpSuffix: 'x;rm' }), { code: 'E_VALIDATION' });
  assert.throws(() => readScript('/tmp/a\0b'), { code: 'E_VALIDATION' });
});

test('buildCommand: one quoted word for the script, timeout and sudo wrappers; runs as built', () => {
  const script = `printf '%s|' "it's" $((1+2))`;
  assert.equal(buildCommand(script), `/bin/sh -c '${script.replace(/'/g, `'\\''`)}'`);
  assert.equal(sh(buildCommand(script)).stdout.toString(), "it's|3|");
  assert.match(buildCommand('true', { timeoutMs: 1500 }), /^timeout -k 5s 1\.5s \/bin\/sh -c true$/);
  assert.match(buildCommand('true', { sudo: { user: 'deploy', mode: 'nopasswd' } }), /^sudo -n -u deploy -- \/bin\/sh -c true$/);
  assert.match(buildCommand('true', { sudo: { user: 'a b', mode: 'password' }, timeoutMs: 2000 }), /^sudo -k -S -p '' -u 'a b' -- timeout -k 5s 2s \/bin\/sh -c true$/);
  assert.match(sudoProbeScript("x'y"), /-u 'x'\\''y'/);
});

test('heldRunPayload: the script, then its end marker alone on a line; a script holding that line or a NUL is refused', () => {
  assert.equal(heldRunPayload('echo a\necho b', 'fleet-held-0123456789').toString(), 'echo a\necho b\nfleet-held-0123456789\n');
  assert.throws(() => heldRunPayload('echo a\nfleet-held-0123456789\necho b', 'fleet-held-0123456789'), /end marker/);
  assert.throws(() => heldRunPayload('echo \0', 'fleet-held-0123456789'), /NUL/);
});

test('buildCommand simple: exec and safe words go to the login shell as they are; anything else keeps /bin/sh', () => {
  const script = `exec printf '%s|' 'it'\\''s' a=b ./x -n`;
  assert.equal(buildCommand(script, { simple: true }), script);
  for (const shell of ['/bin/sh', '/bin/bash']) {
    const r = spawnSync(shell, ['-c', buildCommand(script, { simple: true })]);
    assert.equal(r.stdout.toString(), "%s|it's|a=b|./x|-n|".replace('%s|', ''), shell);
  }
  const wrapped = (s: string, o: Parameters<typeof buildCommand>[1] = {}) => buildCommand(s, { simple: true, ...o }).startsWith('/bin/sh -c ') || /^(sudo|timeout) /.test(buildCommand(s, { simple: true, ...o }));
  assert.ok(wrapped('exec true', { timeoutMs: 1000 }));
  assert.ok(wrapped('exec true', { sudo: { user: 'root', mode: 'nopasswd' } }));
  assert.match(buildCommand('exec true', { simple: true, timeoutMs: 1000 }), /^timeout -k 5s 1s \/bin\/sh -c 'exec true'$/);
  for (const s of ['exec echo =ls', 'exec echo %1', 'exec echo $HOME', "exec echo 'a\nb'", 'exec echo ~', 'true', 'exec echo a; rm x', 'exec']) {
    assert.equal(buildCommand(s, { simple: true }), `/bin/sh -c ${shq(s)}`, s);
  }
});

test('buildCommand timeout: the command and its background children are killed, exit 124', () => {
  const t0 = Date.now();
  const r = sh(buildCommand('sleep 4271 & sleep 4272; echo never', { timeoutMs: 500 }));
  assert.equal(r.code, 124);
  assert.ok(Date.now() - t0 < 4000);
  const left = spawnSync('pgrep', ['-f', 'sleep 427[12]']);
  assert.equal(left.status, 1, `left behind: ${left.stdout}`);
});
