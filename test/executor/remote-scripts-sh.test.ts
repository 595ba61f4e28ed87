// The executor's own scripts (mkdir, backup-and-remove) run by a local /bin/sh, as sshd would run them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupAndRemoveScript, mkdirScript } from '../../src/executor/remote-scripts.ts';

function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-xs-'));
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('mkdir: -m gives the exact mode to the last directory only; parents get the umask', () =>
  withDir((dir) => {
    const leaf = join(dir, 'a', 'b');
    const r = spawnSync('/bin/sh', ['-c', `umask 022 && ${mkdirScript({ op: 'mkdir', path: leaf, parents: true, mode: 0o750 })}`]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(statSync(leaf).mode & 0o7777, 0o750);
    assert.equal(statSync(join(dir, 'a')).mode & 0o7777, 0o755);
    assert.equal(r.stdout.toString(), '');
    // set-id bits with a chown: chmod after chown, so they stay
    const sg = join(dir, 'sg');
    const r2 = spawnSync('/bin/sh', ['-c', mkdirScript({ op: 'mkdir', path: sg, mode: 0o2775, owner: 'nobody', group: 'nogroup' })]);
    assert.equal(r2.status, 0, r2.stderr.toString());
    assert.equal(statSync(sg).mode & 0o7777, 0o2775);
    assert.equal(statSync(sg).uid, 65534);
  }));

/** Run the backup-and-remove script; answer `answer` at the pause line. */
function backupAndRemove(path: string, answer: string | null): Promise<{ code: number | null; tar: Buffer; status: string }> {
  const marker = 'fleet-pause-0123456789abcdef';
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', backupAndRemoveScript(path, marker)]);
    const chunks: Buffer[] = [];
    let status = '';
    child.stdout.on('data', (c: Buffer) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      const m = new RegExp(`\\n${marker} (\\S*)\\n$`).exec(all.subarray(-64).toString('latin1'));
      if (m && !status) {
        status = m[1]!;
        // the tree is still there while the controller decides
        assert.ok(existsSync(path) || status !== '0');
        if (answer === null) child.stdin.end();
        else child.stdin.end(`${answer}\n`);
      }
    });
    child.on('close', (code) => {
      const all = Buffer.concat(chunks);
      resolve({ code, tar: all.subarray(0, all.length - marker.length - 4), status });
    });
  });
}

test('backup and remove: tar first, rm only after "go"; "stop" or EOF keeps the tree; a missing path stops', () =>
  withDir(async (dir) => {
    const tree = join(dir, 'flannel');
    mkdirSync(join(tree, 'bin'), { recursive: true });
    writeFileSync(join(tree, 'bin', 'flanneld'), Buffer.alloc(10_000, 1));
    const kept = await backupAndRemove(tree, 'stop');
    assert.equal(kept.code, 3);
    assert.ok(existsSync(join(tree, 'bin', 'flanneld')));
    const eof = await backupAndRemove(tree, null);
    assert.equal(eof.code, 3);
    assert.ok(existsSync(tree));
    const gone = await backupAndRemove(tree, 'go');
    assert.equal(gone.code, 0);
    assert.equal(gone.status, '0');
    assert.ok(!existsSync(tree));
    const list = spawnSync('tar', ['-tf', '-'], { input: gone.tar }).stdout.toString();
    assert.match(list, /flannel\/bin\/flanneld/);
    const missing = await backupAndRemove(join(dir, 'nope'), 'go');
    assert.equal(missing.code, 3);
    assert.notEqual(missing.status, '0');
  }));
