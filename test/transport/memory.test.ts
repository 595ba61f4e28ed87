import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryTransport } from '../../src/transport/memory.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof FleetError, `expected a FleetError, got ${String(e)}`);
  return e.code;
}

test('memory: initial files create their parents; read returns copies; absent', async () => {
  const t = createMemoryTransport('m1', {
    files: {
      '/etc/app/a.conf': 'hello',
      '/srv/bin': Buffer.from([0, 1, 255]),
      '/srv/link': { kind: 'other', type: 'symlink', meta: { mode: 0o777, owner: 'root', group: 'root', uid: 0, gid: 0 } },
    },
  });
  assert.equal(t.name, 'm1');
  assert.equal(t.files.get('/etc/app')?.kind, 'directory');
  assert.equal(t.files.get('/etc')?.kind, 'directory');
  const a = await t.read('/etc/app/a.conf');
  assert.ok(a.kind === 'file');
  assert.equal(a.content.toString(), 'hello');
  a.content[0] = 0x48;
  const again = await t.read('/etc/app/a.conf');
  assert.equal(again.kind === 'file' && again.content.toString(), 'hello', 'callers cannot mutate the filesystem through a read');
  assert.deepEqual(await t.read('/nope'), { kind: 'absent' });
  assert.equal((await t.read('/etc//app/')).kind, 'directory');
  const l = await t.read('/srv/link');
  assert.equal(l.kind === 'other' && l.type, 'symlink');
  assert.equal(t.roundTrips, 5);
});

test('memory: write needs the parent directory, keeps meta, applies given meta, refuses directories', async () => {
  const t = createMemoryTransport('m1', { files: { '/etc/f': 'old' } });
  await t.write('/etc/f', Buffer.from('x'), { mode: 0o600, owner: 'deploy', group: 'staff' });
  const kept = await t.write('/etc/f', Buffer.from('new'));
  assert.deepEqual(kept, { mode: 0o600, owner: 'deploy', group: 'staff', uid: 1000, gid: 1001 });
  const s = await t.read('/etc/f');
  assert.ok(s.kind === 'file' && s.content.toString() === 'new');
  const fresh = await t.write('/etc/g', Buffer.from(''), { become: true, becomeUser: 'deploy' });
  assert.deepEqual(fresh, { mode: 0o644, owner: 'deploy', group: 'deploy', uid: 1000, gid: 1000 });
  assert.equal(await code(t.write('/nodir/f', Buffer.from('x'))), 'E_REMOTE');
  assert.equal(await code(t.write('/etc', Buffer.from('x'))), 'E_REMOTE');
  assert.equal(await code(t.write('/etc/f', Buffer.from('x'), { mode: 0o20000 })), 'E_VALIDATION');
  const buf = Buffer.from('abc');
  await t.write('/etc/h', buf);
  buf[0] = 0;
  const h = t.files.get('/etc/h');
  assert.ok(h?.kind === 'file' && h.content.toString() === 'abc', 'the written buffer is copied');
});

test('memory: exec delegates to the handler or answers 127; roundTrips counted; closed transport fails', async () => {
  const t = createMemoryTransport('m1');
  const r = await t.exec('echo hi');
  assert.equal(r.code, 127);
  assert.match(r.stderr.toString(), /not supported in memory/);
  const seen: string[] = [];
  const t2 = createMemoryTransport('m2', {
    exec: async (script, options) => {
      seen.push(`${script}|${String(options.stdin)}`);
      return { code: 0, stdout: Buffer.from('ok'), stderr: Buffer.alloc(0), timedOut: false, truncated: false };
    },
  });
  const r2 = await t2.exec('cat', { stdin: 'in' });
  assert.equal(r2.stdout.toString(), 'ok');
  assert.deepEqual(seen, ['cat|in']);
  assert.equal(t2.roundTrips, 1);
  await t2.close();
  assert.equal(await code(t2.exec('x')), 'E_UNREACHABLE');
  assert.equal(await code(t2.read('/')), 'E_UNREACHABLE');
});
