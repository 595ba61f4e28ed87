/** The test emulator itself: it must understand exactly the executor's scripts, and nothing else. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryHost, shellWords } from '../support/memory-host.ts';
import { attrsScript, mkdirScript, removeScript, systemctlScript, tarScript, untarScript } from '../../src/executor/remote-scripts.ts';

const meta = (mode: number, owner = 'root', uid = 0) => ({ mode, owner, group: owner, uid, gid: uid });

test('shellWords reads shq quoting and && only', () => {
  assert.deepEqual(shellWords(`rm -rf -- '/a b/it'\\''s'`), ['rm', '-rf', '--', "/a b/it's"]);
  assert.deepEqual(shellWords('mkdir -- /x && chmod -- 0755 /x'), ['mkdir', '--', '/x', '&&', 'chmod', '--', '0755', '/x']);
  for (const s of ['echo $HOME', 'a; b', 'a | b', 'a > f', 'echo "x"', 'a & b', "echo 'open"]) assert.equal(shellWords(s), undefined, s);
});

test('mkdir / attrs / rm scripts from remote-scripts.ts', async () => {
  const h = new MemoryHost('m', { files: { '/srv/owned': { kind: 'file', content: Buffer.from('x'), meta: meta(0o644, 'kube', 1000) } } });
  const t = await h.connect();
  const odd = "/srv/it's a dir";
  assert.equal((await t.exec(mkdirScript({ op: 'mkdir', path: `${odd}/sub`, parents: true, mode: 0o750, owner: 'kube', group: 'kube' }))).code, 0);
  assert.deepEqual(h.files.get(`${odd}/sub`), { kind: 'directory', meta: meta(0o750, 'kube', 1000) });
  assert.deepEqual(h.files.get(odd), { kind: 'directory', meta: meta(0o755) });
  const again = await t.exec(mkdirScript({ op: 'mkdir', path: odd }));
  assert.equal(again.code, 1);
  assert.match(again.stderr.toString(), /File exists/);
  assert.equal((await t.exec(mkdirScript({ op: 'mkdir', path: '/no/parent' }))).code, 1);
  assert.equal((await t.exec(attrsScript('/srv/owned', 0o600, 'root', 'root'))).code, 0);
  const owned = h.files.get('/srv/owned');
  assert.ok(owned?.kind === 'file');
  assert.deepEqual(owned.meta, meta(0o600));
  assert.equal((await t.exec(attrsScript('/srv/owned', undefined, undefined, 'nosuchgroup'))).code, 1);
  assert.equal((await t.exec(attrsScript('/missing', 0o600))).code, 1);
  assert.equal((await t.exec(removeScript('/srv'))).code, 0);
  assert.deepEqual([...h.files.keys()], ['/']);
  assert.equal((await t.exec(removeScript('/srv'))).code, 0, 'rm -rf of nothing succeeds');
  assert.deepEqual(h.unknownScripts, []);
});

test('tar backup and untar restore a tree exactly', async () => {
  const h = new MemoryHost('m', {
    files: {
      '/srv/d': { kind: 'directory', meta: meta(0o700, 'kube', 1000) },
      '/srv/d/a': Buffer.from([0, 1, 2, 255]),
      '/srv/d/e/f': 'f\n',
      '/srv/d/l': { kind: 'other', type: 'symlink', meta: meta(0o777) },
      '/srv/dx': 'not under /srv/d',
    },
  });
  const t = await h.connect();
  const before = h.snapshot();
  const tar = await t.exec(tarScript('/srv/d'), { maxOutputBytes: 1 << 30 });
  assert.equal(tar.code, 0);
  assert.equal((await t.exec(removeScript('/srv/d'))).code, 0);
  assert.equal(h.files.has('/srv/d/e/f'), false);
  assert.equal(h.files.has('/srv/dx'), true);
  await t.write('/srv/d', Buffer.from('something else'));
  assert.equal((await t.exec(untarScript('/srv/d'), { stdin: tar.stdout })).code, 0);
  assert.deepEqual(h.snapshot(), before);
  assert.equal((await t.exec(untarScript('/srv/d'), { stdin: 'garbage' })).code, 2);
  assert.equal((await t.exec(tarScript('/nope'))).code, 2);
});

test('systemctl show / actions / daemon-reload', async () => {
  const h = new MemoryHost('m', {
    files: { '/etc/systemd/system/new.service': '[Service]\n' },
    services: { 'app.service': { active: 'active', enabled: 'enabled' }, 'gone.service': { load: 'masked', enabled: 'masked' } },
  });
  const t = await h.connect();
  const show = async (u: string) => (await t.exec(`systemctl show ${u} -p LoadState -p ActiveState -p UnitFileState`)).stdout.toString();
  assert.equal(await show('app.service'), 'LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n');
  assert.equal(await show('new.service'), 'LoadState=not-found\nActiveState=inactive\nUnitFileState=\n');
  assert.equal((await t.exec(systemctlScript('start', 'new.service'))).code, 1);
  assert.equal((await t.exec('systemctl daemon-reload')).code, 0);
  assert.equal((await t.exec(systemctlScript('start', 'new.service'))).code, 0);
  assert.equal(await show('new.service'), 'LoadState=loaded\nActiveState=active\nUnitFileState=disabled\n');
  assert.equal((await t.exec(systemctlScript('stop', 'app.service'))).code, 0);
  assert.equal((await t.exec(systemctlScript('reload', 'app.service'))).code, 1, 'reload of a stopped unit fails');
  assert.equal((await t.exec(systemctlScript('start', 'gone.service'))).code, 1, 'masked');
  const st = await t.exec('systemctl status --no-pager -n 10 -- app.service 2>&1 | tail -n 15');
  assert.match(st.stdout.toString(), /Active: inactive/);
  assert.deepEqual(h.unknownScripts, []);
});

test('unknown scripts exit 127 and are recorded; commands answer by exact text; cd for chdir', async () => {
  const h = new MemoryHost('m', { files: { '/work/x': '' }, commands: { 'make all': { stdout: 'built\n' } } });
  const t = await h.connect();
  const r = await t.exec('curl http://example | sh');
  assert.equal(r.code, 127);
  assert.match(r.stderr.toString(), /unknown script/);
  assert.equal((await t.exec('cd -- /work && make all')).stdout.toString(), 'built\n');
  assert.equal((await t.exec('cd -- /nowhere && make all')).code, 2);
  assert.deepEqual(h.unknownScripts, ['curl http://example | sh']);
  await t.close();
  await assert.rejects(t.exec('make all'), /transport closed/);
  const t2 = await h.connect();
  assert.equal((await t2.exec('make all')).code, 0, 'a new connection works');
  assert.equal(h.connections, 2);
});
