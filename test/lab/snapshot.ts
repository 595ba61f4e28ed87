/**
 * A byte-exact picture of directories inside a host, read from the root
 * namespace through /proc/<host init>/root (the host's own mounts, no process
 * started). Each entry maps the path as seen inside the host to
 *   `f MODE UID GID SHA256`  regular file
 *   `d MODE UID GID`         directory
 *   `l MODE UID GID TARGET`  symlink
 *   `p|s MODE UID GID`       fifo, socket
 *   `c|b MODE UID GID RDEV`  device
 * MODE is 4 octal digits (permission, setuid/setgid/sticky bits); times are
 * left out on purpose. Content hashes are cached by (dev, inode, size, mtime,
 * ctime in ns), so files untouched since the last snapshot are not read again.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';

export const DEFAULT_SNAPSHOT_DIRS = ['/etc', '/run', '/var/lib', '/opt'];

/**
 * Left out of every snapshot. Measured on a lab host (OpenSSH 9.2, UsePAM no),
 * an ssh login (key, with and without a pty, as root, deploy and deploy2, and
 * a refused one) changes nothing under /etc, /run, /var/lib or /opt; a login
 * with a pty changes /var/log/lastlog and /var/log/wtmp, outside the default
 * dirs (snapshot /var/log only with those excluded). So:
 *   /run/sshd.pid  sshd's own pid file (rewritten when sshd restarts)
 *   /run/utmp      absent on lab hosts; if anything creates it, sshd writes a
 *                  record to it on every login with a pty
 * /run/sshd (the privilege-separation directory) stays: it stays empty. sudo
 * as deploy2 writes no timestamp (see users.ts); deploy's NOPASSWD sudo none.
 */
export const SNAPSHOT_EXCLUDES = ['/run/sshd.pid', '/run/utmp'];

export interface SnapshotOptions {
  /** More paths to leave out (each with everything below it). */
  exclude?: string[];
}

const hashCache = new Map<string, string>();
const chunk = Buffer.alloc(1 << 20);

function fileHash(path: string, st: BigIntStats): string {
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  const cached = hashCache.get(key);
  if (cached) return cached;
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) h.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const digest = h.digest('hex');
  hashCache.set(key, digest);
  return digest;
}

function typeOf(st: BigIntStats): string {
  if (st.isFile()) return 'f';
  if (st.isDirectory()) return 'd';
  if (st.isSymbolicLink()) return 'l';
  if (st.isFIFO()) return 'p';
  if (st.isSocket()) return 's';
  if (st.isCharacterDevice()) return 'c';
  return 'b';
}

function describe(real: string, st: BigIntStats): string {
  const t = typeOf(st);
  const head = `${t} ${(Number(st.mode) & 0o7777).toString(8).padStart(4, '0')} ${st.uid} ${st.gid}`;
  if (t === 'f') return `${head} ${fileHash(real, st)}`;
  if (t === 'l') return `${head} ${readlinkSync(real)}`;
  if (t === 'c' || t === 'b') return `${head} ${st.rdev}`;
  return head;
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Snapshot `dirs` of the filesystem rooted at `root` (e.g. /proc/PID/root). */
export function snapshotTree(root: string, dirs: string[], options: SnapshotOptions = {}): Map<string, string> {
  const excluded = new Set([...SNAPSHOT_EXCLUDES, ...(options.exclude ?? [])]);
  const out = new Map<string, string>();
  const walk = (path: string): void => {
    if (excluded.has(path)) return;
    const real = `${root}${path}`;
    let st: BigIntStats;
    try {
      st = lstatSync(real, { bigint: true });
      out.set(path, describe(real, st));
    } catch (e) {
      if (isMissing(e)) return; // vanished while walking
      throw e;
    }
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(real);
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    for (const name of names.sort()) walk(path === '/' ? `/${name}` : `${path}/${name}`);
  };
  for (const d of dirs) walk(d.length > 1 ? d.replace(/\/+$/, '') : d);
  return out;
}

/** Paths whose entries differ between two snapshots (added, removed or changed), sorted. */
export function snapshotDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => before.get(p) !== after.get(p)).sort();
}
