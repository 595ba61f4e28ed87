/**
 * Host key verification against a known_hosts file, and recording new keys
 * (accept-new). Appends are serialized per file within the process so many
 * parallel connections never interleave or duplicate lines.
 */
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FleetError } from '../errors/fleet-error.ts';
import type { HostKeyPolicy } from './types.ts';
import {
  checkHostKey,
  fingerprint,
  formatKnownHostsLine,
  keyTypeOf,
  knownHostName,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts.ts';

export interface HostKeyTarget {
  /** Inventory name, for messages. */
  name: string;
  address: string;
  port: number;
}

/** Parsed known_hosts files, reused while the file's size and mtime stay the same. */
const parsed = new Map<string, { size: number; mtimeNs: bigint; entries: KnownHostEntry[] }>();

/**
 * Read and parse a known_hosts file; a missing file has no entries. The parse
 * is kept while the file is unchanged: every connection of a run checks its
 * key against the same file, and parsing it each time costs O(hosts) per host.
 */
export async function loadKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    const st = await stat(file, { bigint: true });
    const hit = parsed.get(file);
    if (hit && hit.size === Number(st.size) && hit.mtimeNs === st.mtimeNs) return hit.entries;
    const text = await readFile(file, 'utf8');
    const entries = parseKnownHosts(text);
    // Cache only what matches the stat taken before reading (a concurrent append re-reads next time).
    if (Buffer.byteLength(text) === Number(st.size)) parsed.set(file, { size: Number(st.size), mtimeNs: st.mtimeNs, entries });
    return entries;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FleetError('E_HOST_KEY_UNKNOWN', `cannot read known_hosts file ${file}: ${(e as Error).message}`, { cause: e });
  }
}

const appendLocks = new Map<string, Promise<unknown>>();

/** Run fn while holding the in-process lock for a file. */
async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const previous = appendLocks.get(file) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  appendLocks.set(file, tail);
  try {
    return await run;
  } finally {
    if (appendLocks.get(file) === tail) appendLocks.delete(file);
  }
}

function where(t: HostKeyTarget): string {
  return `${t.name} (${t.address}:${t.port})`;
}

/** Throw for a revoked or changed key; ok and unknown return. */
function rejectBadKey(t: HostKeyTarget, file: string, key: Buffer, entries: KnownHostEntry[]): void {
  const check = checkHostKey(entries, knownHostName(t.address, t.port), key);
  const type = keyTypeOf(key);
  switch (check.status) {
    case 'ok':
      return;
    case 'revoked':
      throw new FleetError(
        'E_HOST_KEY_CHANGED',
        `${where(t)}: host key ${type} ${fingerprint(key)} is marked @revoked in ${file}:${check.entry.line}`,
        { host: t.name },
      );
    case 'changed': {
      const expected = check.expected.map((e) => `${fingerprint(e.key)} (${file}:${e.line})`).join(', ');
      throw new FleetError(
        'E_HOST_KEY_CHANGED',
        `${where(t)}: HOST KEY CHANGED: expected ${type} ${expected}, host presented ${fingerprint(key)}`,
        {
          host: t.name,
          hint: `Someone may be intercepting the connection, or the host was reinstalled.\nIf the change is expected, remove the old line from ${file} and connect again.`,
        },
      );
    }
    case 'unknown':
      return;
  }
}

/**
 * Verify a presented host key. Known and equal: ok. Revoked or changed (same
 * type, other key): E_HOST_KEY_CHANGED, always. Unknown: E_HOST_KEY_UNKNOWN,
 * or with policy.acceptNew the key is appended (file created 0600) and accepted.
 */
export async function verifyHostKey(policy: HostKeyPolicy, target: HostKeyTarget, key: Buffer): Promise<void> {
  const file = policy.knownHostsFile;
  const name = knownHostName(target.address, target.port);
  const entries = await loadKnownHosts(file);
  rejectBadKey(target, file, key, entries);
  const check = checkHostKey(entries, name, key);
  if (check.status === 'ok') return;
  if (!policy.acceptNew) {
    const others = check.status === 'unknown' && check.otherTypes.length > 0
      ? ` (known only with ${check.otherTypes.join(', ')})`
      : '';
    throw new FleetError(
      'E_HOST_KEY_UNKNOWN',
      `${where(target)}: unknown host key ${keyTypeOf(key)} ${fingerprint(key)}${others}, not in ${file}`,
      {
        host: target.name,
        hint: 'Check the fingerprint, then run again with --accept-new-host-keys to record it.',
      },
    );
  }
  await withFileLock(file, async () => {
    // Re-check under the lock: a parallel connection may just have recorded it.
    const now = await loadKnownHosts(file);
    rejectBadKey(target, file, key, now);
    if (checkHostKey(now, name, key).status === 'ok') return;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(file, 'a+', 0o600);
    try {
      const { size } = await handle.stat();
      let prefix = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await handle.appendFile(prefix + formatKnownHostsLine(name, key));
    } finally {
      await handle.close();
    }
  });
}
