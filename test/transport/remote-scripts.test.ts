// The read/write scripts run by a local /bin/sh (what sshd would run), no SSH involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildCommand,
  parseReadOutput,
  parseStatHeader,
  readScript,
  sudoProbeScript,
  writeScript,
} from '../../src/transport/remote-scripts.ts';
import type { PathState } from '../../src/modules/types.ts';

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

function write(path: string, content: Buffer, extra: { mode?: number; owner?: string; group?: string; size?: number; sha?: string } = {}) {
  const script = writeScript({
    path,
    size: extra.size ?? content.length,
    sha256: extra.sha ?? createHash('sha256').update(content).digest('hex'),
    mode: extra.mode,
    owner: extra.owner,
    group: extra.group,
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

test('write: short stdin (a dropped upload) or wrong hash keeps the old bytes and leaves no temp file', () => {
  withDir((dir) => {
    const p = join(dir, 'f');
    writeFileSync(p, 'old content');
    const content = Buffer.alloc(100_000, 7);
    const r = write(p, content.subarray(0, 50_000), { size: content.length, sha: createHash('sha256').update(content).digest('hex') });
    assert.equal(r.code, 6);
    assert.match(r.stderr, /received 50000 of 100000 bytes/);
    const r2 = write(p, Buffer.from('same size!!'), { sha: '0'.repeat(64) });
    assert.equal(r2.code, 7);
    assert.match(r2.stderr, /checksum mismatch/);
    assert.equal(readFileSync(p, 'utf8'), 'old content');
    assert.deepEqual(readdirSync(dir), ['f']);
  });
});

test('write: invalid input rejected on the controller', () => {
  assert.throws(() => writeScript({ path: '/tmp/d/', size: 0, sha256: 'x' }), { code: 'E_VALIDATION' });
  assert.throws(() => writeScript({ path: '/tmp/f', size: 0, sha256: 'x', mode: 0o10000 }), { code: 'E_VALIDATION' });
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

test('buildCommand timeout: the command and its background children are killed, exit 124', () => {
  const t0 = Date.now();
  const r = sh(buildCommand('sleep 4271 & sleep 4272; echo never', { timeoutMs: 500 }));
  assert.equal(r.code, 124);
  assert.ok(Date.now() - t0 < 4000);
  const left = spawnSync('pgrep', ['-f', 'sleep 427[12]']);
  assert.equal(left.status, 1, `left behind: ${left.stdout}`);
});
