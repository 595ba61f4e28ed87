import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { lockHosts } from '../../src/journal/lock.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';

const stateDir = () => join(mkdtempSync(join(tmpdir(), 'fleet-lock-')), 'state');

test('a second run on an overlapping host refuses, naming the run that holds it', async () => {
  const dir = stateDir();
  const release = await lockHosts(dir, 'run-A', ['h1', 'h2'], 'fleet run a.yaml');
  await assert.rejects(lockHosts(dir, 'run-B', ['h3', 'h2'], 'fleet run b.yaml'), (e: unknown) => {
    assert.ok(e instanceof FleetError);
    assert.equal(e.code, 'E_LOCKED');
    assert.match(e.message, /host h2 is locked by run run-A/);
    return true;
  });
  // the refused run left nothing behind: h3 is free
  const r3 = await lockHosts(dir, 'run-C', ['h3'], 'c');
  await r3();
  await release();
  const again = await lockHosts(dir, 'run-B', ['h2'], 'b');
  await again();
  assert.equal(existsSync(join(dir, 'locks', 'h2.lock')), false);
  assert.equal(statSync(join(dir, 'locks')).mode & 0o777, 0o700);
});

test('a lock held by a process that no longer exists is taken over', async () => {
  const dir = stateDir();
  const release = await lockHosts(dir, 'run-A', ['h1'], 'a');
  await release();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dir, 'locks', 'h1.lock'), JSON.stringify({ run: 'crashed', pid: Number(dead.stdout), started: 'x', command: 'c' }));
  const r = await lockHosts(dir, 'run-B', ['h1'], 'b');
  await r();
});
