// The SSH transport's connections against real sshd hosts of the lab: host keys,
// failures (refused, timeout, auth), jump hosts and the pool, dropped connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { useLab } from '../lab/index.ts';
import { connectSsh } from '../../src/transport/ssh.ts';
import { SshPool } from '../../src/transport/ssh-pool.ts';
import { fingerprint, parseKnownHosts } from '../../src/transport/known-hosts.ts';
import { eventually, inHost, killSessionsScript, policyFor, rejects, specFor } from './ssh-helpers.ts';

const handle = useLab(undefined, { name: 'tr-conn', hosts: 3 });

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-ssh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The lab's host key of a host, from the lab's known_hosts. */
function labHostKey(address: string): Buffer {
  const entry = parseKnownHosts(readFileSync(handle.lab.knownHostsPath, 'utf8')).find((e) => e.hosts === address);
  assert.ok(entry, `no lab known_hosts line for ${address}`);
  return entry.key;
}

test('host key: unknown fails; accept-new appends it (file created 0600); then known', { timeout: 30_000 }, async (t) => {
  const lab = handle.lab;
  const file = join(tempDir(t), 'known_hosts');
  const h1 = lab.host('h1');
  const presented = fingerprint(labHostKey(h1.address));
  const e = await rejects(connectSsh(specFor(lab, 'h1'), { knownHostsFile: file, acceptNew: false }), 'E_HOST_KEY_UNKNOWN', presented, h1.address);
  assert.match(e.hint ?? '', /--accept-new-host-keys/);
  const t1 = await connectSsh(specFor(lab, 'h1'), { knownHostsFile: file, acceptNew: true });
  assert.equal((await t1.exec('hostname')).stdout.toString(), 'h1\n');
  await t1.close();
  const text = readFileSync(file, 'utf8');
  assert.equal(text, `${h1.address} ssh-ed25519 ${labHostKey(h1.address).toString('base64')}\n`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const t2 = await connectSsh(specFor(lab, 'h1'), { knownHostsFile: file, acceptNew: false });
  await t2.close();
  assert.equal(readFileSync(file, 'utf8'), text, 'a known key is not appended again');
});

test('host key: accept-new from many parallel connections records each host once', { timeout: 30_000 }, async (t) => {
  const lab = handle.lab;
  const file = join(tempDir(t), 'known_hosts');
  const policy = { knownHostsFile: file, acceptNew: true };
  const transports = await Promise.all(
    Array.from({ length: 9 }, (_, i) => connectSsh(specFor(lab, `h${(i % 3) + 1}`), policy)),
  );
  await Promise.all(transports.map((x) => x.close()));
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').sort();
  assert.deepEqual(lines.map((l) => l.split(' ')[0]), lab.hosts.map((h) => h.address).sort());
});

test('host key: a changed key fails even with accept-new, with both fingerprints and file:line', { timeout: 30_000 }, async (t) => {
  const lab = handle.lab;
  const file = join(tempDir(t), 'known_hosts');
  const h2 = lab.host('h2');
  const other = ssh2.utils.generateKeyPairSync('ed25519').public.trim().split(' ');
  writeFileSync(file, `# first line\n${h2.address} ${other[0]} ${other[1]}\n`);
  const expected = fingerprint(Buffer.from(other[1], 'base64'));
  const presented = fingerprint(labHostKey(h2.address));
  for (const acceptNew of [false, true]) {
    await rejects(connectSsh(specFor(lab, 'h2'), { knownHostsFile: file, acceptNew }), 'E_HOST_KEY_CHANGED', expected, presented, `${file}:2`);
  }
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 3, 'nothing appended');
});

test('unreachable: sshd stopped is refused at once; back after a restart', { timeout: 60_000 }, async () => {
  const lab = handle.lab;
  await lab.stopSshd('h3');
  try {
    const t0 = Date.now();
    await rejects(connectSsh(specFor(lab, 'h3'), policyFor(lab)), 'E_UNREACHABLE', `h3 (${lab.host('h3').address}:22): connection refused`);
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  } finally {
    await lab.startSshd('h3');
  }
  const t = await connectSsh(specFor(lab, 'h3'), policyFor(lab));
  await t.close();
});

test('unreachable: a TCP listener that never speaks SSH hits the connect timeout', { timeout: 30_000 }, async (t) => {
  const lab = handle.lab;
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    sockets.forEach((s) => s.destroy());
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const t0 = Date.now();
  await rejects(
    connectSsh({ ...specFor(lab, 'h1'), name: 'mute', address: '127.0.0.1', port, connectTimeoutMs: 1000 }, policyFor(lab)),
    'E_UNREACHABLE',
    `mute (127.0.0.1:${port}): connection timed out after 1s`,
  );
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 3000, `took ${took} ms`);
  assert.equal(sockets.length, 1, 'a timeout is not retried');
});

test('auth: a wrong key or password is E_AUTH; the right password works', { timeout: 30_000 }, async (t) => {
  const lab = handle.lab;
  const keyFile = join(tempDir(t), 'id_other');
  writeFileSync(keyFile, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  await rejects(connectSsh(specFor(lab, 'h1', { privateKeyFile: keyFile }), policyFor(lab)), 'E_AUTH', 'authentication failed for user root');
  const noKey = { privateKeyFile: undefined, user: 'deploy' };
  await rejects(connectSsh(specFor(lab, 'h1', { ...noKey, password: 'wrong' }), policyFor(lab)), 'E_AUTH', 'deploy');
  const byPassword = await connectSsh(specFor(lab, 'h1', { ...noKey, password: 'lab-pw' }), policyFor(lab));
  assert.equal((await byPassword.exec('id -un')).stdout.toString(), 'deploy\n');
  await byPassword.close();
  await rejects(connectSsh(specFor(lab, 'h1', { privateKeyFile: join(keyFile, 'missing') }), policyFor(lab)), 'E_FILE_NOT_FOUND');
});

/** Established SSH connections from the controller (the lab bridge) to a host. */
async function controllerConnections(host: string): Promise<number> {
  const lab = handle.lab;
  const out = await inHost(lab, host, `ss -Htn state established '( sport = :22 )'`);
  return out.split('\n').filter((l) => l.includes(`${lab.bridgeAddress}:`)).length;
}

test('jump host: h2 through h1 (the target sees h1 as its client); failures through the jump', { timeout: 30_000 }, async (t) => {
  const lab = handle.lab;
  const jump = specFor(lab, 'h1');
  const tr = await connectSsh(specFor(lab, 'h2', { jump }), policyFor(lab));
  try {
    const r = await tr.exec('echo "${SSH_CLIENT%% *}"; hostname');
    assert.equal(r.stdout.toString(), `${lab.host('h1').address}\nh2\n`);
    await tr.write('/tmp/via-jump', Buffer.from('jumped'));
    const back = await tr.read('/tmp/via-jump');
    assert.ok(back.kind === 'file' && back.content.toString() === 'jumped');
  } finally {
    await tr.close();
  }
  await eventually('the private jump connection is closed with the transport', async () => (await controllerConnections('h1')) === 0);
  await rejects(
    connectSsh(specFor(lab, 'h2', { jump, port: 2222 }), policyFor(lab)),
    'E_UNREACHABLE',
    'via jump host',
  );
  // an address where nothing answers, behind the jump: within the connect timeout
  const nowhere = lab.host('h3').address.replace(/\.\d+$/, '.250');
  const t0 = Date.now();
  await rejects(
    connectSsh({ ...specFor(lab, 'h2', { jump }), address: nowhere, connectTimeoutMs: 1500 }, policyFor(lab)),
    'E_UNREACHABLE',
    `h2 (${nowhere}:22) via jump host`,
  );
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  const keyFile = join(tempDir(t), 'id_other');
  writeFileSync(keyFile, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  await rejects(
    connectSsh(specFor(lab, 'h2', { jump: { ...jump, privateKeyFile: keyFile } }), policyFor(lab)),
    'E_AUTH',
    `h2 (${lab.host('h2').address}:22): jump host h1`,
  );
  await eventually('no jump connection left open', async () => (await controllerConnections('h1')) === 0);
});

test('pool: one connection per host, one shared jump connection, all closed by closeAll', { timeout: 60_000 }, async () => {
  const lab = handle.lab;
  const pool = new SshPool(policyFor(lab));
  const jump = specFor(lab, 'h1');
  const specs = [specFor(lab, 'h2', { jump }), specFor(lab, 'h3', { jump })];
  try {
    const [a, b, a2] = await Promise.all([pool.get(specs[0]), pool.get(specs[1]), pool.get(specs[0])]);
    assert.equal(a, a2, 'one transport per host');
    assert.notEqual(a, b);
    assert.equal((await a.exec('hostname')).stdout.toString(), 'h2\n');
    assert.equal((await b.exec('hostname')).stdout.toString(), 'h3\n');
    assert.equal(await controllerConnections('h1'), 1, 'the jump connection is shared');
    assert.equal(await controllerConnections('h2'), 0, 'h2 is reached through h1 only');
    assert.equal(await pool.get(specs[1]), b);
  } finally {
    await pool.closeAll();
  }
  await eventually('the jump connection is closed', async () => (await controllerConnections('h1')) === 0);
});

test('connection drop during exec: E_UNREACHABLE, and the transport fails fast afterwards', { timeout: 30_000 }, async () => {
  const lab = handle.lab;
  const t = await connectSsh(specFor(lab, 'h2', { user: 'deploy' }), policyFor(lab));
  const dropped = rejects(t.exec('echo started > /tmp/drop-started; sleep 30'), 'E_UNREACHABLE', 'h2', 'connection');
  await eventually('the command runs', async () => (await lab.exec('h2', 'test -e /tmp/drop-started')).code === 0);
  const t0 = Date.now();
  await inHost(lab, 'h2', killSessionsScript('deploy'));
  await dropped;
  assert.ok(Date.now() - t0 < 5000);
  const t1 = Date.now();
  await rejects(t.exec('true'), 'E_UNREACHABLE');
  await rejects(t.read('/etc/hostname'), 'E_UNREACHABLE');
  assert.ok(Date.now() - t1 < 1000, 'later calls fail fast');
  await t.close();
});

test('interrupted write: the destination keeps its old bytes and no temp file is left', { timeout: 60_000 }, async () => {
  const lab = handle.lab;
  await inHost(lab, 'h3', 'mkdir -p /srv/iw && echo "old content" > /srv/iw/data && chown -R deploy /srv/iw');
  const t = await connectSsh(specFor(lab, 'h3', { user: 'deploy' }), policyFor(lab));
  // Inside the host: wait until the temp file has grown past 1 MB, then cut the connection.
  const killer = lab.exec('h3', [
    'for i in $(seq 1 2000); do',
    '  for f in /srv/iw/.fleet-tmp.*; do',
    '    if [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt 1000000 ]; then',
    `      ${killSessionsScript('deploy')}; echo "killed at $(stat -c %s "$f")"; exit 0`,
    '    fi',
    '  done',
    '  sleep 0.005',
    'done',
    'echo never; exit 1',
  ].join('\n'));
  const big = randomBytes(64 * 1024 * 1024);
  await rejects(t.write('/srv/iw/data', big), 'E_UNREACHABLE');
  const k = await killer;
  assert.equal(k.code, 0, `the upload was not caught in flight: ${k.stdout}${k.stderr}`);
  assert.equal(await inHost(lab, 'h3', 'cat /srv/iw/data'), 'old content\n');
  await eventually('the temp file is removed', async () => (await inHost(lab, 'h3', 'ls -A /srv/iw')).trim() === 'data', 5000);
  await t.close();
});

test('connections dropped by sshd MaxStartups are retried with backoff', { timeout: 90_000 }, async () => {
  const lab = handle.lab;
  await inHost(lab, 'h3', `sed -i 's/^MaxStartups .*/MaxStartups 1:100:1/' /etc/ssh/sshd_config`);
  await lab.stopSshd('h3');
  await lab.startSshd('h3');
  try {
    const spec = specFor(lab, 'h3');
    // Without retries a burst of connections loses some to MaxStartups...
    const once = await Promise.allSettled(Array.from({ length: 8 }, () => connectSsh(spec, policyFor(lab), { maxAttempts: 1 })));
    const failed = once.filter((r) => r.status === 'rejected');
    assert.ok(failed.length > 0, 'MaxStartups 1 dropped nothing: the test does not test anything');
    for (const f of failed) assert.equal((f as PromiseRejectedResult).reason.code, 'E_UNREACHABLE');
    await Promise.all(once.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    // ...with retries (bounded, backoff with jitter) all of them get through.
    const retried = await Promise.all(Array.from({ length: 8 }, () => connectSsh(spec, policyFor(lab), { maxAttempts: 10 })));
    assert.equal(retried.length, 8);
    await Promise.all(retried.map((x) => x.close()));
  } finally {
    await inHost(lab, 'h3', `sed -i 's/^MaxStartups .*/MaxStartups 200:30:500/' /etc/ssh/sshd_config`);
    await lab.stopSshd('h3');
    await lab.startSshd('h3');
  }
});
