import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replace } from '../../src/modules/replace.ts';
import { argErrors, converge, dirState, fileState, meta, MemoryFacts, plan } from '../support/memory-facts.ts';

const P = '/opt/k8s/work/calico.yaml';
const CALICO = `            # Enable IPIP
            - name: CALICO_IPV4POOL_IPIP
              value: "Always"
            # The default IPv4 pool to create on startup if none exists.
            - name: CALICO_IPV4POOL_CIDR
              value: "192.168.0.0/16"
`;

function host(content: string | Buffer = CALICO): MemoryFacts {
  return new MemoryFacts({ [P]: fileState(content) });
}

test('the notes\' sed typo fails instead of silently doing nothing', async () => {
  const p = await plan(replace, { path: P, regexp: '192.168.0.0./16', replace: '10.244.0.0/16' }, host());
  assert.deepEqual(p, {
    ops: [],
    fail: "replace: /opt/k8s/work/calico.yaml: regexp '192.168.0.0./16' matches nothing; nothing would change",
  });
});

test('a matching regexp is replaced, and the second run is ok (edit already made)', async () => {
  const f = host();
  const args = { path: P, regexp: '192\\.168\\.0\\.0/16', replace: '10.244.0.0/16' };
  const { first, second } = await converge(replace, args, f);
  assert.deepEqual(first.ops, [{ op: 'write', path: P, content: Buffer.from(CALICO.replace('192.168.0.0/16', '10.244.0.0/16')) }]);
  assert.deepEqual(second, { ops: [] });
});

test('allow_no_match: zero matches is ok', async () => {
  const p = await plan(replace, { path: P, regexp: 'nothing-like-this', replace: 'x', allow_no_match: true }, host());
  assert.deepEqual(p, { ops: [] });
});

test('a replacement that is not in the file does not count as already made', async () => {
  const p = await plan(replace, { path: P, regexp: '10\\.244\\.0\\.0/16', replace: '10.245.0.0/16' }, host());
  assert.match(p.fail ?? '', /matches nothing; nothing would change/);
});

test('deleting replacements and group references cannot be recognised as already made', async () => {
  const f = host('a=1\n# drop me\n');
  const del = { path: P, regexp: '^# drop me\\n', replace: '' };
  const first = await plan(replace, del, f);
  f.apply(first.ops);
  assert.equal(f.text(P), 'a=1\n');
  assert.match((await plan(replace, del, f)).fail ?? '', /matches nothing/);
  assert.deepEqual(await plan(replace, { ...del, allow_no_match: true }, f), { ops: [] });
  const refs = await plan(replace, { path: P, regexp: '^(b)=1$', replace: '\\1=2' }, f);
  assert.match(refs.fail ?? '', /matches nothing/);
});

test('expect: the exact number of matches while the edit is not made yet', async () => {
  const text = 'server 10.0.0.1\nserver 10.0.0.1\n';
  const two = await plan(replace, { path: P, regexp: '10\\.0\\.0\\.1', replace: '10.0.0.9', expect: 1 }, host(text));
  assert.deepEqual(two, { ops: [], fail: "replace: /opt/k8s/work/calico.yaml: regexp '10\\.0\\.0\\.1' matches 2 time(s), expected 1" });
  const f = host(text);
  const { first, second } = await converge(replace, { path: P, regexp: '10\\.0\\.0\\.1', replace: '10.0.0.9', expect: 2 }, f);
  assert.equal(first.ops.length, 1);
  assert.equal(f.text(P), 'server 10.0.0.9\nserver 10.0.0.9\n');
  assert.deepEqual(second, { ops: [] }, 'already made: expect no longer applies');
});

test('group references: Python \\1 and \\g<name>, and $1', async () => {
  const text = 'ExecStart=/usr/bin/dockerd $DOCKER_NETWORK_OPTIONS -H fd://\n';
  for (const r of ['\\1\\2', '\\g<a>\\g<b>', '$1$2', '${1}${2}']) {
    const f = host(text);
    const regexp = r.includes('g<') ? '^(?P<a>ExecStart=\\S+) \\$DOCKER_NETWORK_OPTIONS( .*)$' : '^(ExecStart=\\S+) \\$DOCKER_NETWORK_OPTIONS( .*)$';
    const p = await plan(replace, { path: P, regexp, replace: r.replace('g<b>', 'g<2>') }, f);
    assert.equal(p.fail, undefined, r);
    f.apply(p.ops);
    assert.equal(f.text(P), 'ExecStart=/usr/bin/dockerd -H fd://\n', r);
  }
});

test('^ and $ match at every line (multiline), . does not cross lines', async () => {
  const f = host('a=1\nb=2\na=3\n');
  const p = await plan(replace, { path: P, regexp: '^a=.*$', replace: 'a=0' }, f);
  f.apply(p.ops);
  assert.equal(f.text(P), 'a=0\nb=2\na=0\n');
});

test('after/before limit the region', async () => {
  const text = 'x=1\n[main]\nx=1\n[other]\nx=1\n';
  const run = async (extra: Record<string, unknown>): Promise<string> => {
    const f = host(text);
    const p = await plan(replace, { path: P, regexp: '^x=1$', replace: 'x=2', ...extra }, f);
    assert.equal(p.fail, undefined);
    f.apply(p.ops);
    return f.text(P);
  };
  assert.equal(await run({ after: '\\[main\\]', before: '\\[other\\]' }), 'x=1\n[main]\nx=2\n[other]\nx=1\n');
  assert.equal(await run({ after: '\\[main\\]' }), 'x=1\n[main]\nx=2\n[other]\nx=2\n');
  assert.equal(await run({ before: '\\[other\\]' }), 'x=2\n[main]\nx=2\n[other]\nx=1\n');
  const none = await plan(replace, { path: P, regexp: 'x', replace: 'y', after: '\\[nope\\]' }, host(text));
  assert.match(none.fail ?? '', /after '\\\[nope\\\]' matches nothing/);
  // The already-made rule looks only inside the region.
  const f = host('x=2\n[main]\nx=1\n');
  assert.match((await plan(replace, { path: P, regexp: '^x=3$', replace: 'x=2', after: '\\[main\\]' }, f)).fail ?? '', /matches nothing/);
});

test('identical replacement: no ops; attributes alone: one attrs op', async () => {
  const f = new MemoryFacts({ [P]: fileState(CALICO, meta(0o600)) });
  assert.deepEqual(await plan(replace, { path: P, regexp: 'Always', replace: 'Always' }, f), { ops: [] });
  assert.deepEqual((await plan(replace, { path: P, regexp: 'Always', replace: 'Always', mode: '0644' }, f)).ops, [
    { op: 'attrs', path: P, mode: 0o644 },
  ]);
});

test('missing file, directory, non-UTF-8 file: fail', async () => {
  const f = new MemoryFacts({ '/etc/d': dirState(), '/etc/bin': fileState(Buffer.from([0xc3, 0x28])) });
  assert.deepEqual(await plan(replace, { path: '/etc/none', regexp: 'a', replace: 'b' }, f), {
    ops: [],
    fail: 'replace: /etc/none does not exist',
  });
  assert.deepEqual((await plan(replace, { path: '/etc/d', regexp: 'a', replace: 'b' }, f)).fail, 'replace: /etc/d is a directory');
  assert.match((await plan(replace, { path: '/etc/bin', regexp: 'a', replace: 'b' }, f)).fail ?? '', /not valid UTF-8/);
  assert.equal(f.paths.get('/etc/bin')?.kind, 'file');
});

test('replace schema rejections', () => {
  const errs = (a: Record<string, unknown>): string => argErrors(replace, a).join(' | ');
  assert.match(errs({ path: 'calico.yaml', regexp: 'a' }), /path: must be an absolute path/);
  assert.match(errs({ path: P }), /regexp/);
  assert.match(errs({ path: P, regexp: '' }), /regexp is empty/);
  assert.match(errs({ path: P, regexp: '[' }), /invalid regular expression/);
  assert.match(errs({ path: P, regexp: '(a)', replace: '\\2' }), /replace: replacement refers to group 2/);
  assert.match(errs({ path: P, regexp: 'a', replace: '\\q' }), /bad escape/);
  assert.match(errs({ path: P, regexp: 'a', expect: 0 }), /expect/);
  assert.match(errs({ path: P, regexp: 'a', expect: 1.5 }), /expect/);
  assert.match(errs({ path: P, regexp: 'a', backup: true }), /Unrecognized key.*backup/);
  assert.match(errs({ path: P, regexp: 'a', mode: 'x' }), /mode/);
  assert.equal(errs({ path: P, regexp: 'a' }), '');
  assert.equal(errs({ path: P, regexp: '{{ re }}', replace: '\\1' }), '', 'templated values are checked after templating');
});
