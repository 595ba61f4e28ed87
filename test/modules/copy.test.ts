import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copy } from '../../src/modules/copy.ts';
import { template } from '../../src/modules/template.ts';
import { argErrors, converge, dirState, fileState, meta, MemoryFacts, plan } from '../support/memory-facts.ts';

const D = '/opt/k8s/work/calico.yaml';
const PRISTINE = `  etcd_endpoints: "http://<ETCD_IP>:<ETCD_PORT>"
            - name: CALICO_IPV4POOL_IPIP
              value: "Always"
            - name: CALICO_IPV4POOL_CIDR
              value: "192.168.0.0/16"
`;
const EDITS = [
  { regexp: '192\\.168\\.0\\.0/16', replace: '10.244.0.0/16' },
  { regexp: '(CALICO_IPV4POOL_IPIP\\n\\s+value: )"Always"', replace: '\\1"Never"' },
  { regexp: 'http://<ETCD_IP>:<ETCD_PORT>', replace: 'http://10.0.0.1:2379' },
];
const RENDERED = PRISTINE.replace('192.168.0.0/16', '10.244.0.0/16')
  .replace('"Always"', '"Never"')
  .replace('http://<ETCD_IP>:<ETCD_PORT>', 'http://10.0.0.1:2379');

function host(): MemoryFacts {
  return new MemoryFacts({ '/opt/k8s/work': dirState() });
}

test('copy content: absent file is written; the second run has no ops', async () => {
  const f = host();
  const { first, second } = await converge(copy, { dest: '/opt/k8s/work/a.txt', content: 'hello\n', mode: '0600' }, f);
  assert.deepEqual(first.ops, [{ op: 'write', path: '/opt/k8s/work/a.txt', content: Buffer.from('hello\n'), mode: 0o600 }]);
  assert.deepEqual(second, { ops: [] });
});

test('copy: right content and wrong attrs is one attrs op; wrong content keeps attrs unless they differ', async () => {
  const f = host().set(D, fileState('x', meta(0o644, 'root')));
  assert.deepEqual((await plan(copy, { dest: D, content: 'x', mode: 600, owner: 'kube', group: 'root' }, f)).ops, [
    { op: 'attrs', path: D, mode: 0o600, owner: 'kube' },
  ]);
  assert.deepEqual((await plan(copy, { dest: D, content: 'y' }, f)).ops, [{ op: 'write', path: D, content: Buffer.from('y') }]);
  assert.deepEqual((await plan(copy, { dest: D, content: 'x', owner: '0', group: 'root', mode: 'u=rw,go=r' }, f)).ops, []);
});

test('copy src: read from the local files', async () => {
  const f = host();
  const p = await plan(copy, { dest: D, src: 'calico-v3.8.yaml' }, f, { localFiles: { 'calico-v3.8.yaml': PRISTINE } });
  assert.deepEqual(p.ops, [{ op: 'write', path: D, content: Buffer.from(PRISTINE) }]);
});

test('copy edits: rendered from the pristine manifest, idempotently', async () => {
  const f = host();
  const o = { localFiles: { 'calico.yaml': PRISTINE } };
  const { first, second } = await converge(copy, { dest: D, src: 'calico.yaml', edits: EDITS }, f, o);
  assert.equal(first.ops.length, 1);
  assert.equal(f.text(D), RENDERED);
  assert.deepEqual(second, { ops: [] });
});

test('copy edits: each must match exactly count times', async () => {
  const f = host();
  const o = { localFiles: { 'calico.yaml': PRISTINE } };
  const none = await plan(copy, { dest: D, src: 'calico.yaml', edits: [EDITS[0], { regexp: '192.168.0.0./16', replace: 'x' }] }, f, o);
  assert.deepEqual(none, {
    ops: [],
    fail: "copy: /opt/k8s/work/calico.yaml: edit 2 (regexp '192.168.0.0./16') matches 0 time(s), expected exactly 1",
  });
  const twice = await plan(copy, { dest: D, src: 'calico.yaml', edits: [{ regexp: 'CALICO_IPV4POOL', replace: 'X' }] }, f, o);
  assert.match(twice.fail ?? '', /edit 1 \(regexp 'CALICO_IPV4POOL'\) matches 2 time\(s\), expected exactly 1/);
  const counted = await plan(copy, { dest: D, src: 'calico.yaml', edits: [{ regexp: 'CALICO_IPV4POOL', replace: 'X', count: 2 }] }, f, o);
  assert.equal(counted.fail, undefined);
  assert.equal(counted.ops.length, 1);
  // Edits apply in order: the second sees the first's result.
  const chained = await plan(copy, { dest: D, content: 'a', edits: [{ regexp: 'a', replace: 'b' }, { regexp: 'b', replace: 'c' }] }, f);
  assert.deepEqual(chained.ops, [{ op: 'write', path: D, content: Buffer.from('c') }]);
  assert.equal(f.paths.has(D), false, 'a failed plan changes nothing');
});

test('copy: binary content is copied byte for byte; edits need UTF-8', async () => {
  const bin = Buffer.from([0, 1, 0xff, 0xfe, 10]);
  const f = host();
  const p = await plan(copy, { dest: '/opt/k8s/work/bin', src: 'b' }, f, { localFiles: { b: bin } });
  assert.deepEqual(p.ops, [{ op: 'write', path: '/opt/k8s/work/bin', content: bin }]);
  const e = await plan(copy, { dest: '/opt/k8s/work/bin', src: 'b', edits: [{ regexp: 'a', replace: 'b' }] }, f, { localFiles: { b: bin } });
  assert.match(e.fail ?? '', /not valid UTF-8/);
});

test('copy: a directory at dest, a missing parent, a special file: fail', async () => {
  const f = host().set('/opt/k8s/work/dir', dirState()).set('/opt/k8s/work/lnk', { kind: 'other', type: 'symlink', meta: meta(0o777) });
  assert.deepEqual(await plan(copy, { dest: '/opt/k8s/work/dir', content: 'x' }, f), {
    ops: [],
    fail: 'copy: /opt/k8s/work/dir is a directory',
  });
  assert.match((await plan(copy, { dest: '/nope/x', content: 'x' }, f)).fail ?? '', /parent directory \/nope of \/nope\/x does not exist/);
  assert.match((await plan(copy, { dest: '/opt/k8s/work/lnk', content: 'x' }, f)).fail ?? '', /is a symlink/);
  f.set('/opt/k8s/work/file', fileState('x'));
  assert.match((await plan(copy, { dest: '/opt/k8s/work/file/x', content: 'x' }, f)).fail ?? '', /is not a directory/);
});

test('copy schema rejections', () => {
  const errs = (a: Record<string, unknown>): string => argErrors(copy, a).join(' | ');
  assert.match(errs({ dest: D }), /one of 'content' or 'src' is required/);
  assert.match(errs({ dest: D, content: 'a', src: 'b' }), /give only one of 'content' or 'src'/);
  assert.match(errs({ dest: 'rel', content: 'a' }), /dest: must be an absolute path/);
  assert.match(errs({ dest: '/opt/', content: 'a' }), /must name a file/);
  assert.match(errs({ dest: D, content: 'a', force: true }), /Unrecognized key.*force/);
  assert.match(errs({ dest: D, content: 'a', edits: [{ regexp: 'a' }] }), /edits\.0\.replace/);
  assert.match(errs({ dest: D, content: 'a', edits: [{ regexp: 'a', replace: 'b', count: 0 }] }), /edits\.0\.count/);
  assert.match(errs({ dest: D, content: 'a', edits: [{ regexp: 'a', replace: 'b', flags: 'g' }] }), /Unrecognized key.*flags/);
  assert.match(errs({ dest: D, content: 'a', edits: [{ regexp: '(a)', replace: '\\2' }] }), /edits\.0\.replace: replacement refers to group 2/);
  assert.match(errs({ dest: D, content: 'a', mode: '0999' }), /mode/);
  assert.match(errs({ dest: D, content: 1 }), /content/);
  assert.equal(errs({ dest: D, content: '' }), '');
});

test('template: rendered content is written like copy', async () => {
  const f = host();
  const o = { templates: { 'kubelet.service.hbs': '[Service]\nExecStart=/opt/k8s/bin/kubelet --network-plugin=cni\n' } };
  const { first, second } = await converge(template, { src: 'kubelet.service.hbs', dest: '/opt/k8s/work/kubelet.service', mode: '0644' }, f, o);
  assert.deepEqual(first.ops, [
    {
      op: 'write',
      path: '/opt/k8s/work/kubelet.service',
      content: Buffer.from('[Service]\nExecStart=/opt/k8s/bin/kubelet --network-plugin=cni\n'),
      mode: 0o644,
    },
  ]);
  assert.deepEqual(second, { ops: [] });
  assert.match(argErrors(template, { src: 'x', dest: 'y' }).join(), /dest: must be an absolute path/);
  assert.match(argErrors(template, { src: '', dest: '/y' }).join(), /src is empty/);
  assert.match(argErrors(template, { src: 'x', dest: '/y', backup: true }).join(), /Unrecognized key/);
});
