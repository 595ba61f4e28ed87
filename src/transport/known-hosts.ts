/**
 * OpenSSH known_hosts: parsing, matching a host and its presented key, key
 * fingerprints and new lines. Pure functions; the file I/O is in host-key.ts.
 *
 * Supported: plain host patterns (`host`, `[host]:port`, comma lists, `*`/`?`
 * wildcards, `!negation`), hashed names (`|1|salt|hash`, HMAC-SHA1), the
 * `@revoked` marker. `@cert-authority` lines, comments, blank and malformed
 * lines are ignored (malformed lines as OpenSSH does: skipped).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  revoked: boolean;
  /** The host field as written (comma-separated patterns, or one `|1|...` hash). */
  hosts: string;
  keyType: string;
  /** The decoded key blob (SSH wire format). */
  key: Buffer;
}

export type HostKeyCheck =
  | { status: 'ok'; entry: KnownHostEntry }
  /** The presented key is listed as @revoked (for this host or `*`). */
  | { status: 'revoked'; entry: KnownHostEntry }
  /** The host is known with other key(s) of the presented key's type. */
  | { status: 'changed'; expected: KnownHostEntry[] }
  /** The host is not known with a key of this type (`otherTypes`: types it is known with). */
  | { status: 'unknown'; otherTypes: string[] };

/** The name a host is looked up under: `host` for port 22, else `[host]:port`. */
export function knownHostName(address: string, port: number): string {
  const host = address.toLowerCase(); // as OpenSSH does before matching or hashing
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Parse a known_hosts file's text. Never throws; unusable lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let fields = trimmed.split(/\s+/);
    let revoked = false;
    if (fields[0].startsWith('@')) {
      if (fields[0] === '@revoked') revoked = true;
      else continue; // @cert-authority and unknown markers
      fields = fields.slice(1);
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, b64] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (keyTypeOf(key) !== keyType) continue;
    entries.push({ line: i + 1, revoked, hosts, keyType, key });
  }
  return entries;
}

/** The key type named inside an SSH public key blob (its first string), or '' if malformed. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return '';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Does a `|1|salt|hash` field match the name? */
function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Glob match with `*` and `?` (OpenSSH match_pattern), case-insensitive like host names. */
function globMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const s = name.toLowerCase();
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Does the entry's host field match the lookup name (see knownHostName)? */
export function entryMatchesHost(entry: Pick<KnownHostEntry, 'hosts'>, name: string): boolean {
  if (entry.hosts.startsWith('|')) return hashedMatches(entry.hosts, name);
  let matched = false;
  for (const raw of entry.hosts.split(',')) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (globMatches(pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Check a presented key for a host against parsed entries (OpenSSH semantics). */
export function checkHostKey(entries: KnownHostEntry[], name: string, key: Buffer): HostKeyCheck {
  const type = keyTypeOf(key);
  const forHost = entries.filter((e) => entryMatchesHost(e, name));
  const revoked = forHost.find((e) => e.revoked && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const valid = forHost.filter((e) => !e.revoked);
  const same = valid.find((e) => e.key.equals(key));
  if (same) return { status: 'ok', entry: same };
  const expected = valid.filter((e) => e.keyType === type);
  if (expected.length > 0) return { status: 'changed', expected };
  return { status: 'unknown', otherTypes: [...new Set(valid.map((e) => e.keyType))] };
}

/** Host key algorithms to offer, the types already known for the host first (like OpenSSH). */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], name: string): string[] {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const known = new Set<string>();
  for (const e of entries) {
    if (e.revoked || !entryMatchesHost(e, name)) continue;
    if (e.keyType === 'ssh-rsa') ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((a) => known.add(a));
    else if (all.includes(e.keyType)) known.add(e.keyType);
  }
  return [...all.filter((a) => known.has(a)), ...all.filter((a) => !known.has(a))];
}

/** A known_hosts line (with trailing newline) recording a key for a name. */
export function formatKnownHostsLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
}
