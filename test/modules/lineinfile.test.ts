import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineinfile } from '../../src/modules/lineinfile.ts';
import type { Plan } from '../../src/modules/types.ts';
import { argErrors, converge, dirState, fileState, meta, MemoryFacts, plan } from '../support/memory-facts.ts';

const P = '/etc/sysctl.d/k8s.conf';

/** Run lineinfile on a file holding `content`; returns the new content (or the failure) and checks idempotence. */
async function edit(content: string | undefined, args: Record<string, unknown>): Promise<string> {
  const f = new MemoryFacts({ '/etc/sysctl.d': dirState() });
  if (content !== undefined) f.set(P, fileState(content));
  const p = await plan(lineinfile, { path: P, ...args }, f);
  if (p.fail) return `FAIL: ${p.fail}`;
  f.apply(p.ops);
  const again = await plan(lineinfile, { path: P, ...args }, f);
  assert.deepEqual(again.ops, [], `second run must change nothing: ${JSON.stringify(args)}`);
  return f.paths.has(P) ? f.text(P) : 'ABSENT';
}

test('regexp: the last matching line is replaced', async () => {
  assert.equal(await edit('a=1\nb=2\na=3\n', { regexp: '^a=', line: 'a=9' }), 'a=1\nb=2\na=9\n');
  assert.equal(await edit('a=1\nb=2\na=3\n', { regexp: '^a=', line: 'a=9', firstmatch: true }), 'a=9\nb=2\na=3\n');
});

test('regexp matching a line that is already right: no ops', async () => {
  const f = new MemoryFacts({ [P]: fileState('a=1\nb=2\n') });
  assert.deepEqual(await plan(lineinfile, { path: P, regexp: '^b=', line: 'b=2' }, f), { ops: [] });
});

test('regexp does not match but the exact line exists: no change', async () => {
  const f = new MemoryFacts({ [P]: fileState('x\nnet.ipv4.ip_forward = 1\ny\n') });
  const p = await plan(lineinfile, { path: P, regexp: '^net\\.ipv4\\.ip_forward=', line: 'net.ipv4.ip_forward = 1' }, f);
  assert.deepEqual(p, { ops: [] });
});

test('no match: appended at EOF by default', async () => {
  assert.equal(await edit('a\nb\n', { line: 'c' }), 'a\nb\nc\n');
  assert.equal(await edit('a\nb\n', { regexp: '^c', line: 'c=1' }), 'a\nb\nc=1\n');
  assert.equal(await edit('', { line: 'c' }), 'c\n');
});

test('a file without a final newline gets one before the appended line', async () => {
  assert.equal(await edit('a\nb', { line: 'c' }), 'a\nb\nc\n');
  assert.equal(await edit('a\nb', { line: 'c', insertafter: '^b' }), 'a\nb\nc\n');
  // Replacing the unterminated last line ends it, as Ansible does.
  assert.equal(await edit('a\nb', { regexp: '^b', line: 'B' }), 'a\nB\n');
  // The exact line as an unterminated last line gets its newline.
  assert.equal(await edit('a\nb', { line: 'b' }), 'a\nb\n');
});

test('insertafter: after the last matching line; EOF when nothing matches', async () => {
  const text = '[a]\nx=1\n[b]\ny=2\n[a]\nz=3\n';
  assert.equal(await edit(text, { line: 'new=1', insertafter: '^\\[a\\]' }), '[a]\nx=1\n[b]\ny=2\n[a]\nnew=1\nz=3\n');
  assert.equal(
    await edit(text, { line: 'new=1', insertafter: '^\\[a\\]', firstmatch: true }),
    '[a]\nnew=1\nx=1\n[b]\ny=2\n[a]\nz=3\n',
  );
  assert.equal(await edit(text, { line: 'new=1', insertafter: '^\\[nope\\]' }), `${text}new=1\n`);
  assert.equal(await edit(text, { line: 'new=1', insertafter: 'EOF' }), `${text}new=1\n`);
  assert.equal(await edit('a\nb\n', { line: 'c', insertafter: '^b' }), 'a\nb\nc\n');
});

test('insertafter with a regexp that matches: the line replaces, insertafter is ignored', async () => {
  assert.equal(await edit('a\nk=1\nb\n', { regexp: '^k=', line: 'k=2', insertafter: '^b' }), 'a\nk=2\nb\n');
});

test('insertbefore: before the last matching line (Ansible), the first with firstmatch; BOF', async () => {
  const text = 'x\n# end\ny\n# end\n';
  assert.equal(await edit(text, { line: 'new', insertbefore: '^# end' }), 'x\n# end\ny\nnew\n# end\n');
  assert.equal(await edit(text, { line: 'new', insertbefore: '^# end', firstmatch: true }), 'x\nnew\n# end\ny\n# end\n');
  assert.equal(await edit(text, { line: 'new', insertbefore: 'BOF' }), `new\n${text}`);
  assert.equal(await edit(text, { line: 'new', insertbefore: '^nope' }), `${text}new\n`);
  assert.equal(await edit('', { line: 'new', insertbefore: 'BOF' }), 'new\n');
  assert.equal(await edit('a\n', { line: 'new', insertafter: 'BOF' }), 'new\na\n');
});

test('insertafter with firstmatch does not duplicate a line already right after the anchor', async () => {
  const f = new MemoryFacts({ [P]: fileState('[a]\nnew=1\n[a]\nnew=1\n') });
  const p = await plan(lineinfile, { path: P, line: 'new=1', insertafter: '^\\[a\\]', firstmatch: true }, f);
  assert.deepEqual(p, { ops: [] });
});

test('backrefs: the matching line is rebuilt from the match; no match changes nothing', async () => {
  const args = { regexp: '^(ExecStart=\\S+)(?: --iface=\\S+)?(.*)$', line: '\\1 --iface=eth1\\2', backrefs: true };
  assert.equal(await edit('[Service]\nExecStart=/opt/flanneld -x\n', args), '[Service]\nExecStart=/opt/flanneld --iface=eth1 -x\n');
  const f = new MemoryFacts({ [P]: fileState('[Service]\n') });
  assert.deepEqual(await plan(lineinfile, { path: P, ...args }, f), { ops: [] });
  assert.equal(
    await edit('listen 10.0.0.1:80\n', { regexp: '^listen (?P<ip>[\\d.]+):80$', line: 'listen \\g<ip>:8080', backrefs: true }),
    'listen 10.0.0.1:8080\n',
  );
});

test('without backrefs, \\1 in line is literal text', async () => {
  assert.equal(await edit('a=1\n', { regexp: '^(a)=', line: '\\1=2' }), '\\1=2\n');
});

test('absent: every line matching regexp, equal to line, or containing search_string is removed', async () => {
  const text = 'keep\nkube=1\nkeep2\nkube=2\n';
  assert.equal(await edit(text, { state: 'absent', regexp: '^kube=' }), 'keep\nkeep2\n');
  assert.equal(await edit(text, { state: 'absent', line: 'kube=1' }), 'keep\nkeep2\nkube=2\n');
  assert.equal(await edit(text, { state: 'absent', search_string: 'ube=' }), 'keep\nkeep2\n');
  assert.equal(await edit('a\nb', { state: 'absent', line: 'b' }), 'a\n');
  const f = new MemoryFacts({ [P]: fileState(text) });
  assert.deepEqual(await plan(lineinfile, { path: P, state: 'absent', regexp: '^nope' }, f), { ops: [] });
  assert.deepEqual(await plan(lineinfile, { path: '/nope', state: 'absent', line: 'x' }, f), { ops: [] });
});

test('search_string: the last line containing it is replaced', async () => {
  assert.equal(await edit('a.b=1\naxb=2\n', { search_string: 'a.b', line: 'a.b=3' }), 'a.b=3\naxb=2\n');
});

test('a missing file: create makes it (and its parents), otherwise fail', async () => {
  const f = new MemoryFacts();
  const p = await plan(lineinfile, { path: '/etc/new/dir/f.conf', line: 'x=1', create: true, mode: '0600' }, f);
  assert.deepEqual(p.ops, [
    { op: 'mkdir', path: '/etc/new/dir', parents: true },
    { op: 'write', path: '/etc/new/dir/f.conf', content: Buffer.from('x=1\n'), mode: 0o600 },
  ]);
  const { second } = await converge(lineinfile, { path: '/etc/new/dir/f.conf', line: 'x=1', create: true, mode: '0600' }, f);
  assert.deepEqual(second, { ops: [] });
  const missing = await plan(lineinfile, { path: '/etc/nope.conf', line: 'x' }, f);
  assert.deepEqual(missing, { ops: [], fail: 'lineinfile: /etc/nope.conf does not exist (set create: true to create it)' });
  // backrefs that cannot match an empty file: nothing is created.
  assert.deepEqual(await plan(lineinfile, { path: '/etc/n2', regexp: '(a)', line: '\\1', backrefs: true, create: true }, f), {
    ops: [],
  });
});

test('CRLF files keep their line endings', async () => {
  assert.equal(await edit('a=1\r\nb=2\r\n', { regexp: '^b=', line: 'b=3' }), 'a=1\r\nb=3\r\n');
  assert.equal(await edit('a=1\r\nb=2\r\n', { line: 'c=1' }), 'a=1\r\nb=2\r\nc=1\r\n');
  assert.equal(await edit('a=1\r\nb=2', { line: 'c=1' }), 'a=1\r\nb=2\r\nc=1\r\n');
});

test('attributes: right content + wrong mode is one attrs op; both wrong is one write carrying the mode', async () => {
  const f = new MemoryFacts({ [P]: fileState('a=1\n', meta(0o600)) });
  const attrsOnly = await plan(lineinfile, { path: P, line: 'a=1', mode: '0644' }, f);
  assert.deepEqual(attrsOnly.ops, [{ op: 'attrs', path: P, mode: 0o644 }]);
  const both = await plan(lineinfile, { path: P, line: 'b=1', mode: '0644', owner: 'kube' }, f);
  assert.deepEqual(both.ops, [{ op: 'write', path: P, content: Buffer.from('a=1\nb=1\n'), mode: 0o644, owner: 'kube' }]);
  const contentOnly = await plan(lineinfile, { path: P, line: 'b=1', mode: '0600', owner: 'root' }, f);
  assert.deepEqual(contentOnly.ops, [{ op: 'write', path: P, content: Buffer.from('a=1\nb=1\n') }]);
});

test('directories, special files and non-UTF-8 files fail', async () => {
  const f = new MemoryFacts({
    '/etc/d': dirState(),
    '/etc/l': { kind: 'other', type: 'symlink', meta: meta(0o777) },
    '/etc/bin': fileState(Buffer.from([0x61, 0xff, 0xfe, 0x0a])),
  });
  const fail = async (path: string): Promise<string | undefined> => (await plan(lineinfile, { path, line: 'x' }, f)).fail;
  assert.equal(await fail('/etc/d'), 'lineinfile: /etc/d is a directory');
  assert.match((await fail('/etc/l')) ?? '', /\/etc\/l is a symlink, not a regular file/);
  assert.match((await fail('/etc/bin')) ?? '', /\/etc\/bin is not valid UTF-8/);
});

test('a UTF-8 BOM and non-ASCII text survive untouched', async () => {
  assert.equal(await edit('\uFEFFnamé=1\n', { line: 'ünï=2' }), '\uFEFFnamé=1\nünï=2\n');
});

test('lineinfile schema rejections', () => {
  const errs = (a: Record<string, unknown>): string => argErrors(lineinfile, a).join(' | ');
  assert.match(errs({ path: 'etc/x', line: 'a' }), /path: must be an absolute path/);
  assert.match(errs({ path: '/etc/x/', line: 'a' }), /must name a file/);
  assert.match(errs({ path: '/etc/x', line: 'a', bogus: 1 }), /Unrecognized key.*bogus/);
  assert.match(errs({ path: '/etc/x', line: 'a\nb' }), /single line/);
  assert.match(errs({ path: '/etc/x' }), /'line' is required with state: present/);
  assert.match(errs({ path: '/etc/x', state: 'absent' }), /one of 'line', 'regexp' or 'search_string'/);
  assert.match(errs({ path: '/etc/x', line: 'a', insertafter: 'x', insertbefore: 'y' }), /only one of 'insertafter' or 'insertbefore'/);
  assert.match(errs({ path: '/etc/x', line: 'a', regexp: 'x', search_string: 'y' }), /only one of 'regexp' or 'search_string'/);
  assert.match(errs({ path: '/etc/x', line: 'a', backrefs: true }), /'regexp' is required with backrefs/);
  assert.match(errs({ path: '/etc/x', line: '\\2', regexp: '(a)', backrefs: true }), /line: replacement refers to group 2/);
  assert.match(errs({ path: '/etc/x', line: 'a', regexp: '' }), /regexp is empty/);
  assert.match(errs({ path: '/etc/x', line: 'a', regexp: '(' }), /invalid regular expression/);
  assert.match(errs({ path: '/etc/x', line: 'a', insertafter: '(' }), /insertafter: invalid regular expression/);
  assert.match(errs({ path: '/etc/x', line: 'a', mode: 'rw' }), /mode: mode "rw" is neither/);
  assert.match(errs({ path: '/etc/x', line: 'a', mode: 493 }), /mode: mode 493 is not a valid octal mode/);
  assert.match(errs({ path: '/etc/x', line: 'a', owner: 'bad user' }), /owner: must be a user or group name/);
  assert.match(errs({ path: '/etc/x', line: 'a', create: 'yes' }), /create/);
  assert.equal(errs({ path: '/etc/x', line: 'a', insertafter: 'EOF', mode: 644 }), '');
  assert.equal(errs({ path: '/etc/x', line: '{{ x }}', regexp: '{{ re }}', backrefs: true }), '', 'templates are checked later');
});

test('plans never mutate the facts they read', async () => {
  const f = new MemoryFacts({ [P]: fileState('a\n') });
  const p: Plan = await plan(lineinfile, { path: P, line: 'b' }, f);
  assert.equal(p.ops.length, 1);
  assert.equal(f.text(P), 'a\n');
});
