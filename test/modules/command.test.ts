import { test } from 'node:test';
import assert from 'node:assert/strict';
import { command } from '../../src/modules/command.ts';
import { shell } from '../../src/modules/shell.ts';
import { argErrors, dirState, fileState, MemoryFacts, plan } from '../support/memory-facts.ts';

test('command: words are quoted, shell syntax stays literal', async () => {
  const p = await plan(command, { cmd: `echo "$(id)" ';' 'a b' | cat` }, new MemoryFacts());
  assert.deepEqual(p.ops, [{ op: 'exec', cmd: `echo '$(id)' ';' 'a b' '|' cat`, simple: true }]);
  assert.equal(p.fail, undefined);
});

test('command: plain words are passed unquoted', async () => {
  const p = await plan(command, { cmd: 'systemctl stop flanneld.service' }, new MemoryFacts());
  assert.deepEqual(p.ops, [{ op: 'exec', cmd: 'systemctl stop flanneld.service', simple: true }]);
});

test('command: argv gives the words directly', async () => {
  const p = await plan(command, { argv: ['calicoctl', 'node', 'status', "it's; rm -rf /"] }, new MemoryFacts());
  assert.deepEqual(p.ops, [{ op: 'exec', cmd: `calicoctl node status 'it'\\''s; rm -rf /'`, simple: true }]);
});

test('command: chdir and stdin (with the newline Ansible adds by default)', async () => {
  const f = new MemoryFacts();
  assert.deepEqual((await plan(command, { cmd: 'cat', chdir: '/opt/k8s/work', stdin: 'hello' }, f)).ops, [
    { op: 'exec', cmd: 'cat', stdin: 'hello\n', chdir: '/opt/k8s/work', simple: true },
  ]);
  assert.deepEqual((await plan(command, { cmd: 'cat', stdin: 'x', stdin_add_newline: false }, f)).ops, [
    { op: 'exec', cmd: 'cat', stdin: 'x', simple: true },
  ]);
});

test('command/shell: creates skips when the path exists, removes when it does not', async () => {
  const f = new MemoryFacts({ '/opt/k8s/bin/calicoctl': fileState('bin'), '/etc/cni': dirState() });
  for (const def of [command, shell]) {
    const skip1 = await plan(def, { cmd: 'install calicoctl', creates: '/opt/k8s/bin/calicoctl' }, f);
    assert.deepEqual(skip1, { ops: [], msg: 'skipped: /opt/k8s/bin/calicoctl exists' });
    const skip2 = await plan(def, { cmd: 'rm x', removes: '/nope' }, f);
    assert.deepEqual(skip2, { ops: [], msg: 'skipped: /nope does not exist' });
    const run1 = await plan(def, { cmd: 'install calicoctl', creates: '/nope' }, f);
    assert.equal(run1.ops.length, 1);
    const run2 = await plan(def, { cmd: 'rm -r /etc/cni', removes: '/etc/cni' }, f);
    assert.equal(run2.ops.length, 1);
  }
});

test('command: a first word with = names a program (quoted), it does not set a variable', async () => {
  const p = await plan(command, { cmd: 'FOO=bar env' }, new MemoryFacts());
  assert.deepEqual(p.ops, [{ op: 'exec', cmd: `'FOO=bar' env`, simple: true }]);
  assert.deepEqual((await plan(command, { cmd: 'env FOO=bar' }, new MemoryFacts())).ops[0], { op: 'exec', cmd: 'env FOO=bar', simple: true });
});

test('shell: the command runs as written', async () => {
  const cmd = 'netstat -antlp | grep ESTABLISHED | grep 179 | wc -l > /tmp/n; echo $HOME';
  assert.deepEqual((await plan(shell, { cmd }, new MemoryFacts())).ops, [{ op: 'exec', cmd }]);
});

test('command: schema rejections', () => {
  assert.match(argErrors(command, {}).join(), /one of 'cmd' or 'argv' is required/);
  assert.match(argErrors(command, { cmd: 'a', argv: ['a'] }).join(), /give only one of 'cmd' or 'argv'/);
  assert.match(argErrors(command, { cmd: '   ' }).join(), /cmd: the command is empty/);
  assert.match(argErrors(command, { cmd: `echo 'x` }).join(), /cmd: unterminated single quote/);
  assert.match(argErrors(command, { argv: [] }).join(), /argv must hold at least the program name/);
  assert.match(argErrors(command, { cmd: 'a\0b' }).join(), /NUL/);
  assert.match(argErrors(command, { cmd: 'ls', chdir: 'tmp' }).join(), /chdir: must be an absolute path/);
  assert.match(argErrors(command, { cmd: 'ls', creates: 'x' }).join(), /creates: must be an absolute path/);
  assert.match(argErrors(command, { cmd: 'ls', executable: '/bin/bash' }).join(), /Unrecognized key.*executable/);
  assert.deepEqual(argErrors(command, { cmd: 'ls' }), []);
  assert.match(argErrors(shell, { cmd: '' }).join(), /the command is empty/);
  assert.match(argErrors(shell, {}).join(), /cmd/);
  assert.match(argErrors(shell, { cmd: 'ls', removes: 'rel/path' }).join(), /removes: must be an absolute path/);
});

test('command and shell are actions taking a free-form cmd', () => {
  assert.equal(command.kind, 'action');
  assert.equal(shell.kind, 'action');
  assert.equal(command.freeForm, 'cmd');
  assert.equal(shell.freeForm, 'cmd');
});
