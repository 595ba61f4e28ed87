import { test } from 'node:test';
import assert from 'node:assert/strict';
import { file } from '../../src/modules/file.ts';
import { argErrors, converge, dirState, fileState, meta, MemoryFacts, plan } from '../support/memory-facts.ts';

const other = { kind: 'other', type: 'symlink', meta: meta(0o777) } as const;

function host(): MemoryFacts {
  return new MemoryFacts({
    '/etc/cni/net.d': dirState(meta(0o700)),
    '/etc/calico/calicoctl.cfg': fileState('x', meta(0o600)),
    '/run/flannel/subnet.env': fileState('FLANNEL_NETWORK=172.30.0.0/16\n'),
    '/etc/lnk': other,
  });
}

test('directory: created with parents and mode when absent; idempotent', async () => {
  const f = host();
  const { first, second } = await converge(file, { path: '/opt/cni/bin', state: 'directory', mode: '0755', owner: 'root' }, f);
  assert.deepEqual(first.ops, [{ op: 'mkdir', path: '/opt/cni/bin', parents: true, mode: 0o755, owner: 'root' }]);
  assert.deepEqual(second, { ops: [] });
  assert.equal(f.paths.get('/opt')?.kind, 'directory');
});

test('directory: an existing one gets only the attributes that differ', async () => {
  const f = host();
  assert.deepEqual((await plan(file, { path: '/etc/cni/net.d', state: 'directory', mode: '0755', group: 'root' }, f)).ops, [
    { op: 'attrs', path: '/etc/cni/net.d', mode: 0o755 },
  ]);
  assert.deepEqual(await plan(file, { path: '/etc/cni/net.d/', state: 'directory' }, f), { ops: [] });
  assert.deepEqual((await plan(file, { path: '/etc/cni/net.d', state: 'directory', mode: 'a+X' }, f)).ops, [
    { op: 'attrs', path: '/etc/cni/net.d', mode: 0o711 },
  ]);
});

test('directory: a file or symlink in the way fails', async () => {
  const f = host();
  assert.equal(
    (await plan(file, { path: '/etc/calico/calicoctl.cfg', state: 'directory' }, f)).fail,
    'file: /etc/calico/calicoctl.cfg exists and is a regular file, not a directory',
  );
  assert.match((await plan(file, { path: '/etc/lnk', state: 'directory' }, f)).fail ?? '', /is a symlink, not a directory/);
});

test('absent: removes files and directory trees; nothing when already absent', async () => {
  const f = host();
  const { first, second } = await converge(file, { path: '/run/flannel', state: 'absent' }, f);
  assert.deepEqual(first.ops, [{ op: 'remove', path: '/run/flannel' }]);
  assert.deepEqual(second, { ops: [] });
  assert.equal(f.paths.has('/run/flannel/subnet.env'), false);
  assert.deepEqual((await plan(file, { path: '/etc/lnk', state: 'absent' }, f)).ops, [{ op: 'remove', path: '/etc/lnk' }]);
  assert.match((await plan(file, { path: '/', state: 'absent' }, f)).fail ?? '', /refusing/);
});

test('touch: creates an empty 0644 file; on an existing path only attributes change (no mtime)', async () => {
  const f = host();
  const { first, second } = await converge(file, { path: '/etc/cni/net.d/.keep', state: 'touch' }, f);
  assert.deepEqual(first.ops, [{ op: 'write', path: '/etc/cni/net.d/.keep', content: Buffer.alloc(0), mode: 0o644 }]);
  assert.deepEqual(second, { ops: [] });
  assert.deepEqual((await plan(file, { path: '/etc/calico/calicoctl.cfg', state: 'touch' }, f)).ops, []);
  assert.deepEqual((await plan(file, { path: '/etc/calico/calicoctl.cfg', state: 'touch', mode: '0640' }, f)).ops, [
    { op: 'attrs', path: '/etc/calico/calicoctl.cfg', mode: 0o640 },
  ]);
  assert.deepEqual((await plan(file, { path: '/etc/x', state: 'touch', mode: '0600', owner: 'kube' }, f)).ops, [
    { op: 'write', path: '/etc/x', content: Buffer.alloc(0), mode: 0o600, owner: 'kube' },
  ]);
  assert.match((await plan(file, { path: '/nope/x', state: 'touch' }, f)).fail ?? '', /parent \/nope does not exist/);
  assert.match((await plan(file, { path: '/etc/lnk', state: 'touch' }, f)).fail ?? '', /symlink/);
});

test('file (default state): attributes of an existing file; fails when absent or not a file', async () => {
  const f = host();
  const { first, second } = await converge(file, { path: '/etc/calico/calicoctl.cfg', mode: '0644', owner: 'kube', group: 'kube' }, f);
  assert.deepEqual(first.ops, [{ op: 'attrs', path: '/etc/calico/calicoctl.cfg', mode: 0o644, owner: 'kube', group: 'kube' }]);
  assert.deepEqual(second, { ops: [] });
  assert.deepEqual(await plan(file, { path: '/etc/calico/calicoctl.cfg', owner: '1000', group: '1000' }, f), { ops: [] });
  assert.equal(
    (await plan(file, { path: '/etc/none' }, f)).fail,
    'file: /etc/none does not exist (use state: touch to create it)',
  );
  assert.match((await plan(file, { path: '/etc/cni/net.d', state: 'file' }, f)).fail ?? '', /is a directory, not a regular file/);
});

test('file schema rejections', () => {
  const errs = (a: Record<string, unknown>): string => argErrors(file, a).join(' | ');
  assert.match(errs({ path: 'relative/x' }), /path: must be an absolute path/);
  assert.match(errs({}), /path/);
  assert.match(errs({ path: '/x', state: 'link' }), /state/);
  assert.match(errs({ path: '/x', recurse: true }), /Unrecognized key.*recurse/);
  assert.match(errs({ path: '/x', mode: '8' }), /mode/);
  assert.match(errs({ path: '/x', mode: 888 }), /mode/);
  assert.match(errs({ path: '/x', group: '' }), /group/);
  assert.equal(errs({ path: '/x', mode: 644, state: 'touch' }), '');
});
