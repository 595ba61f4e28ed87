import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import {
  checkHostKey,
  entryMatchesHost,
  fingerprint,
  formatKnownHostsLine,
  keyTypeOf,
  knownHostName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from '../../src/transport/known-hosts.ts';
import { loadKnownHosts, verifyHostKey } from '../../src/transport/host-key.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';

/** A fresh public key: its `type base64` text and its blob. */
function newKey(type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): { text: string; blob: Buffer } {
  const pair = type === 'rsa'
    ? ssh2.utils.generateKeyPairSync('rsa', { bits: 1024 })
    : type === 'ecdsa'
      ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 })
      : ssh2.utils.generateKeyPairSync('ed25519');
  const [kt, b64] = pair.public.trim().split(/\s+/);
  return { text: `${kt} ${b64}`, blob: Buffer.from(b64, 'base64') };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'fleet-kh-'));
}

const A = newKey();
const B = newKey();
const E = newKey('ecdsa');
const R = newKey('rsa');

test('lookup names: plain for port 22, bracketed otherwise', () => {
  assert.equal(knownHostName('198.18.0.2', 22), '198.18.0.2');
  assert.equal(knownHostName('198.18.0.2', 2222), '[198.18.0.2]:2222');
});

test('parse: comments, blank lines, markers, malformed lines; line numbers', () => {
  const text = [
    '# a comment',
    '',
    `web1,198.18.0.2 ${A.text} comment here`,
    `@cert-authority *.example.com ${B.text}`,
    `@revoked * ${B.text}`,
    'garbage line',
    `web2 ssh-rsa ${A.text.split(' ')[1]}`, // type does not match the blob: skipped
    `   [web3]:2222 ${E.text}`,
  ].join('\n');
  const entries = parseKnownHosts(text);
  assert.deepEqual(entries.map((e) => [e.line, e.hosts, e.keyType, e.revoked]), [
    [3, 'web1,198.18.0.2', 'ssh-ed25519', false],
    [5, '*', 'ssh-ed25519', true],
    [8, '[web3]:2222', 'ecdsa-sha2-nistp256', false],
  ]);
  assert.ok(entries[0].key.equals(A.blob));
});

test('host matching: comma lists, bracketed ports, wildcards, negation, case', () => {
  const m = (hosts: string, name: string) => entryMatchesHost({ hosts }, name);
  assert.ok(m('a,198.18.0.2,b', '198.18.0.2'));
  assert.ok(!m('198.18.0.2', '[198.18.0.2]:2222'), 'a plain entry is for port 22 only');
  assert.ok(m('[198.18.0.2]:2222', '[198.18.0.2]:2222'));
  assert.ok(!m('[198.18.0.2]:2222', '198.18.0.2'));
  assert.ok(!m('[198.18.0.2]:2222', '[198.18.0.2]:2223'));
  assert.ok(m('198.18.*', '198.18.0.9'));
  assert.ok(m('web?', 'WEB7'));
  assert.ok(!m('web?', 'web10'));
  assert.ok(!m('198.18.*,!198.18.0.9', '198.18.0.9'));
  assert.ok(m('198.18.*,!198.18.0.9', '198.18.0.8'));
});

test('hashed entries made by ssh-keygen -H match (HMAC-SHA1), plain and bracketed', () => {
  const dir = tmp();
  try {
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `198.18.0.2 ${A.text}\n[198.18.0.3]:2222 ${E.text}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.hosts.startsWith('|1|')));
    assert.equal(checkHostKey(entries, '198.18.0.2', A.blob).status, 'ok');
    assert.equal(checkHostKey(entries, '[198.18.0.3]:2222', E.blob).status, 'ok');
    assert.equal(checkHostKey(entries, '198.18.0.3', E.blob).status, 'unknown');
    assert.equal(checkHostKey(entries, '198.18.0.2', B.blob).status, 'changed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check: ok, changed (same type), unknown (other type only), several keys per host', () => {
  const entries = parseKnownHosts([`h1 ${A.text}`, `h1 ${E.text}`, `h1 ${R.text}`, `h2 ${E.text}`].join('\n'));
  assert.equal(checkHostKey(entries, 'h1', A.blob).status, 'ok');
  assert.equal(checkHostKey(entries, 'h1', E.blob).status, 'ok');
  assert.equal(checkHostKey(entries, 'h1', R.blob).status, 'ok');
  const changed = checkHostKey(entries, 'h1', B.blob);
  assert.equal(changed.status, 'changed');
  assert.deepEqual(changed.status === 'changed' && changed.expected.map((e) => e.line), [1]);
  const other = checkHostKey(entries, 'h2', A.blob);
  assert.deepEqual(other, { status: 'unknown', otherTypes: ['ecdsa-sha2-nistp256'] });
  assert.deepEqual(checkHostKey(entries, 'h3', A.blob), { status: 'unknown', otherTypes: [] });
});

test('check: @revoked beats a matching valid line', () => {
  const entries = parseKnownHosts([`h1 ${A.text}`, `@revoked * ${A.text}`].join('\n'));
  const r = checkHostKey(entries, 'h1', A.blob);
  assert.equal(r.status, 'revoked');
  assert.equal(r.status === 'revoked' && r.entry.line, 2);
});

test('fingerprints are the ones ssh-keygen -l prints', () => {
  const dir = tmp();
  try {
    for (const k of [A, E, R]) {
      const file = join(dir, 'k.pub');
      writeFileSync(file, `${k.text}\n`);
      const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' });
      assert.equal(fingerprint(k.blob), out.split(' ')[1]);
    }
    assert.match(fingerprint(A.blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('key type from the blob; formatted lines parse back', () => {
  assert.equal(keyTypeOf(A.blob), 'ssh-ed25519');
  assert.equal(keyTypeOf(R.blob), 'ssh-rsa');
  assert.equal(keyTypeOf(Buffer.from([0, 0])), '');
  const line = formatKnownHostsLine('[10.0.0.1]:2222', E.blob);
  assert.equal(line, `[10.0.0.1]:2222 ${E.text}\n`);
  assert.equal(checkHostKey(parseKnownHosts(line), '[10.0.0.1]:2222', E.blob).status, 'ok');
});

test('preferred host key algorithms put the known types first', () => {
  const entries = parseKnownHosts(`h1 ${E.text}\nh2 ${R.text}\n`);
  assert.equal(preferredHostKeyAlgorithms(entries, 'h1')[0], 'ecdsa-sha2-nistp256');
  assert.deepEqual(preferredHostKeyAlgorithms(entries, 'h2').slice(0, 3), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  assert.equal(preferredHostKeyAlgorithms(entries, 'h3')[0], 'ssh-ed25519');
  assert.equal(preferredHostKeyAlgorithms(entries, 'h3').length, 7);
});

async function rejects(p: Promise<unknown>, code: string, ...parts: Array<string | RegExp>): Promise<FleetError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof FleetError, `expected a FleetError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  for (const part of parts) {
    if (typeof part === 'string') assert.ok(e.message.includes(part), `${JSON.stringify(part)} not in ${e.message}`);
    else assert.match(e.message, part);
  }
  return e;
}

test('verifyHostKey: unknown fails with the fingerprint and the hint; accept-new creates the file 0600', async () => {
  const dir = tmp();
  try {
    const file = join(dir, 'sub', 'known_hosts');
    const target = { name: 'h1', address: '198.18.0.2', port: 22 };
    const e = await rejects(verifyHostKey({ knownHostsFile: file, acceptNew: false }, target, A.blob), 'E_HOST_KEY_UNKNOWN', fingerprint(A.blob), 'h1 (198.18.0.2:22)');
    assert.match(e.hint ?? '', /--accept-new-host-keys/);
    await verifyHostKey({ knownHostsFile: file, acceptNew: true }, target, A.blob);
    assert.equal(readFileSync(file, 'utf8'), `198.18.0.2 ${A.text}\n`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    // now known: accepted without acceptNew
    await verifyHostKey({ knownHostsFile: file, acceptNew: false }, target, A.blob);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verifyHostKey: a changed key fails even with accept-new, showing both fingerprints and file:line', async () => {
  const dir = tmp();
  try {
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `# header\n[198.18.0.2]:2222 ${A.text}`); // no trailing newline
    const target = { name: 'h1', address: '198.18.0.2', port: 2222 };
    await rejects(
      verifyHostKey({ knownHostsFile: file, acceptNew: true }, target, B.blob),
      'E_HOST_KEY_CHANGED', fingerprint(A.blob), fingerprint(B.blob), `${file}:2`,
    );
    // another type for the same host is new: appended on a new line
    await verifyHostKey({ knownHostsFile: file, acceptNew: true }, target, E.blob);
    assert.equal(readFileSync(file, 'utf8'), `# header\n[198.18.0.2]:2222 ${A.text}\n[198.18.0.2]:2222 ${E.text}\n`);
    writeFileSync(file, `@revoked * ${B.text}\n`);
    await rejects(verifyHostKey({ knownHostsFile: file, acceptNew: true }, target, B.blob), 'E_HOST_KEY_CHANGED', '@revoked');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verifyHostKey: 40 parallel accept-new verifications write each host exactly once, no torn lines', async () => {
  const dir = tmp();
  try {
    const file = join(dir, 'known_hosts');
    const keys = Array.from({ length: 10 }, () => newKey());
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        verifyHostKey({ knownHostsFile: file, acceptNew: true }, { name: `h${i % 10}`, address: `198.18.1.${i % 10}`, port: 22 }, keys[i % 10].blob),
      ),
    );
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 10);
    const entries = parseKnownHosts(readFileSync(file, 'utf8'));
    for (let i = 0; i < 10; i++) assert.equal(checkHostKey(entries, `198.18.1.${i}`, keys[i].blob).status, 'ok');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadKnownHosts: one parse while the file is unchanged; an append or a rewrite is seen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-kh-cache-'));
  try {
    const file = join(dir, 'known_hosts');
    const a = newKey();
    const b = newKey();
    writeFileSync(file, `h1 ${a.text}\n`);
    const first = await loadKnownHosts(file);
    assert.equal(first.length, 1);
    assert.equal(await loadKnownHosts(file), first, 'the same parse is reused');
    writeFileSync(file, `h1 ${a.text}\nh2 ${b.text}\n`);
    const second = await loadKnownHosts(file);
    assert.deepEqual(second.map((e) => e.hosts), ['h1', 'h2']);
    writeFileSync(file, `h9 ${b.text}\nh8 ${a.text}\n`); // same size, new content
    assert.deepEqual((await loadKnownHosts(file)).map((e) => e.hosts), ['h9', 'h8']);
    rmSync(file);
    assert.deepEqual(await loadKnownHosts(file), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
