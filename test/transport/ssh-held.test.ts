// Held reads over real SSH: the read's session stays open and the change it leads
// to runs in it (Transport.readHeld, remote-scripts heldReadScript, ssh-held.ts).
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { useLab } from '../lab/index.ts';
import { connectSsh } from '../../src/transport/ssh.ts';
import type { SshTransport } from '../../src/transport/ssh-transport.ts';
import { eventually, inHost, policyFor, rejects, specFor } from './ssh-helpers.ts';

const handle = useLab(undefined, { name: 'tr-held', hosts: 1 });
let root: SshTransport;
let deploy: SshTransport;

let connecting: Promise<void> | undefined;
beforeEach(() => {
  connecting ??= (async () => {
    root = await connectSsh(specFor(handle.lab, 'h1'), policyFor(handle.lab));
    deploy = await connectSsh(specFor(handle.lab, 'h1', { user: 'deploy' }), policyFor(handle.lab));
  })();
  return connecting;
});

after(async () => {
  await Promise.all([root?.close(), deploy?.close()]);
});

/** Shells on the host still waiting in a held session. */
const waiting = async (): Promise<number> => Number((await inHost(handle.lab, 'h1', "pgrep -fc 'fleet-held-[0-9a-f]' || true")).trim());

test('held read, then the write in its session: one round trip; the bytes, the kept mode and the metadata are right', { timeout: 30_000 }, async () => {
  await inHost(handle.lab, 'h1', "printf 'old\\n' > /tmp/held-a && chmod 0640 /tmp/held-a");
  const before = root.roundTrips;
  const r = await root.readHeld('/tmp/held-a');
  assert.ok(r.state.kind === 'file' && r.state.content.toString() === 'old\n' && r.state.meta.mode === 0o640);
  assert.equal(await waiting(), 1, 'the host shell waits for fleet');
  // Every byte value, and a content without a final newline.
  const content = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
  const meta = await root.write('/tmp/held-a', content, { mode: 0o640, held: r.held });
  assert.equal(root.roundTrips, before + 1, 'read and write: one session');
  assert.equal(meta.mode, 0o640);
  assert.equal(meta.owner, 'root');
  const back = await root.read('/tmp/held-a');
  assert.ok(back.kind === 'file' && back.content.equals(content));
  assert.equal(await waiting(), 0);
});

test('held read of a missing path: its ancestors come with it, a mkdir runs in its session', { timeout: 30_000 }, async () => {
  await inHost(handle.lab, 'h1', 'rm -rf /tmp/held-b');
  const before = root.roundTrips;
  const r = await root.readHeld('/tmp/held-b/x/y');
  assert.equal(r.state.kind, 'absent');
  assert.deepEqual(r.above, [
    { path: '/tmp/held-b/x', kind: 'absent' }, { path: '/tmp/held-b', kind: 'absent' }, { path: '/tmp', kind: 'directory' },
  ]);
  const made = await root.exec("mkdir -p -- /tmp/held-b/x/y && echo made && echo warn >&2 && exit 7", { held: r.held });
  assert.equal(made.code, 7);
  assert.equal(made.stdout.toString(), 'made\n', 'only what the script printed, not the read');
  assert.equal(made.stderr.toString(), 'warn\n');
  assert.equal(root.roundTrips, before + 1);
  assert.equal((await inHost(handle.lab, 'h1', 'test -d /tmp/held-b/x/y && echo yes')).trim(), 'yes');
});

test('the script reaches the held shell line for line (spaces, backslashes, a continued line, a line "stop"), its stdin right after it', { timeout: 30_000 }, async () => {
  const r = await root.readHeld('/etc/hostname');
  const script = ["  printf '%s|' '  lead' 'tab\there' 'back\\slash\\' 'trail  '", 'x=a\\', 'b', 'printf "%s|" "$x"', '\t', "v='", "stop", "'", 'printf "%s|" "$v"', 'cat'].join('\n');
  // The stdin holds the end marker and "stop" again: the shell took none of it as script.
  const marker = (r.held as unknown as { marker: string }).marker;
  assert.match(marker, /^fleet-held-/);
  const stdin = Buffer.concat([Buffer.from(`\n${marker}\nstop\n`), Buffer.from([0, 255, 10])]);
  const out = await root.exec(script, { held: r.held, stdin });
  assert.equal(out.code, 0, out.stderr.toString());
  const expected = Buffer.concat([Buffer.from("  lead|tab\there|back\\slash\\|trail  |ab|\nstop\n|"), stdin]);
  assert.equal(out.stdout.toString('latin1'), expected.toString('latin1'));
});

test('released: nothing runs and the host shell ends; releasing twice or after use is harmless', { timeout: 30_000 }, async () => {
  const r = await root.readHeld('/etc/hostname');
  assert.equal(r.state.kind, 'file');
  assert.equal(await waiting(), 1);
  r.held.release();
  r.held.release();
  await eventually('the held shell ended', async () => (await waiting()) === 0);
  // A released session is not used: the command gets a session of its own.
  const before = root.roundTrips;
  const out = await root.exec('echo own', { held: r.held });
  assert.equal(out.stdout.toString(), 'own\n');
  assert.equal(root.roundTrips, before + 1);
});

test('a held session is not used for another user, a timeout or another transport: a new session runs the command, the held one is released', { timeout: 60_000 }, async () => {
  await deploy.exec('true', { become: true }); // sudo is probed once, before counting
  for (const options of [{ become: true }, { timeoutMs: 10_000 }] as const) {
    const r = await deploy.readHeld('/etc/hostname');
    const before = deploy.roundTrips;
    const out = await deploy.exec('id -un', { ...options, held: r.held });
    assert.equal(out.code, 0, out.stderr.toString());
    assert.equal(out.stdout.toString(), 'become' in options ? 'root\n' : 'deploy\n');
    assert.equal(deploy.roundTrips, before + 1, JSON.stringify(options));
    await eventually('the unused held shell ended', async () => (await waiting()) === 0);
  }
  const r = await deploy.readHeld('/etc/hostname');
  const before = root.roundTrips;
  assert.equal((await root.exec('id -un', { held: r.held })).stdout.toString(), 'root\n');
  assert.equal(root.roundTrips, before + 1);
  await eventually('the held shell of the other transport ended', async () => (await waiting()) === 0);
});

test('held reads through sudo: the read and the write in it run as the become user', { timeout: 30_000 }, async () => {
  const r = await deploy.readHeld('/etc/held-by-sudo', { become: true });
  assert.equal(r.state.kind, 'absent');
  const before = deploy.roundTrips;
  const meta = await deploy.write('/etc/held-by-sudo', Buffer.from('x\n'), { become: true, held: r.held });
  assert.equal(meta.owner, 'root');
  assert.equal(deploy.roundTrips, before, 'the write ran in the held session');
});

test('failures: a read the host refuses rejects without hanging; a failing write in the held session reports why', { timeout: 30_000 }, async () => {
  await inHost(handle.lab, 'h1', 'mkdir -p /root/private && chmod 700 /root/private && echo s > /root/private/f');
  await rejects(deploy.readHeld('/root/private/f'), 'E_REMOTE', 'Permission denied');
  const r = await root.readHeld('/tmp/no-such-dir/f');
  await rejects(root.write('/tmp/no-such-dir/f', Buffer.from('x'), { held: r.held }), 'E_REMOTE', 'does not exist');
  assert.equal(await waiting(), 0);
});

test('the connection closes while a session is held: the command is refused as unreachable', { timeout: 30_000 }, async () => {
  const t = await connectSsh(specFor(handle.lab, 'h1'), policyFor(handle.lab));
  const r = await t.readHeld('/etc/hostname');
  await t.close();
  await rejects(t.exec('echo x', { held: r.held }), 'E_UNREACHABLE');
  await eventually('the held shell ended with the connection', async () => (await waiting()) === 0);
});

test('a command that pauses in turn runs in the held session: its stdout goes to onStdout, the answer after the pause decides', { timeout: 30_000 }, async () => {
  for (const answer of ['go', 'stop']) {
    await inHost(handle.lab, 'h1', 'rm -rf /tmp/held-tree && mkdir -p /tmp/held-tree/a && echo x > /tmp/held-tree/a/f');
    const r = await root.readHeld('/tmp/held-tree');
    assert.equal(r.state.kind, 'directory');
    const before = root.roundTrips;
    const marker = `fleet-pause-${answer}0123456789`;
    const chunks: Buffer[] = [];
    let seen = '';
    const out = await root.exec(
      [`tar -C / -cf - tmp/held-tree; printf '\\n%s %s\\n' ${marker} 0`, 'IFS= read -r a || exit 3', '[ "$a" = go ] || exit 4', 'exec rm -rf -- /tmp/held-tree'].join('\n'),
      {
        held: r.held,
        onStdout: (c) => chunks.push(c),
        pause: {
          marker,
          resume: async (status) => {
            seen = status;
            // nothing removed before the answer
            assert.equal((await inHost(handle.lab, 'h1', 'cat /tmp/held-tree/a/f')).trim(), 'x');
            return answer;
          },
        },
      },
    );
    assert.equal(root.roundTrips, before, 'no new session');
    assert.equal(seen, '0');
    assert.ok(Buffer.concat(chunks).includes(Buffer.from('tmp/held-tree/a/f')), 'the tar came through onStdout');
    assert.equal(out.code, answer === 'go' ? 0 : 4);
    assert.equal((await inHost(handle.lab, 'h1', 'test -e /tmp/held-tree && echo there || echo gone')).trim(), answer === 'go' ? 'gone' : 'there');
  }
});
