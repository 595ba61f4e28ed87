/**
 * The /bin/sh scripts behind Transport.read/write/exec and the parsing of their
 * output. Every value reaches the shell as one word quoted by `shq`; scripts
 * run with LC_ALL=C so error texts can be matched.
 *
 * Stat header (one line): `stat <raw mode hex> <uid> <gid> <owner> <group>`,
 * from `stat -c '%f %u %g %U %G'` (lstat: symlinks are not followed), or `absent`.
 */
import { FleetError } from '../errors/fleet-error.ts';
import type { FileMeta, PathState } from '../modules/types.ts';
import { shq } from '../core/shell.ts';

/** sudo settings for one command. `password`: the become password is written first on stdin. */
export interface SudoSpec {
  user: string;
  mode: 'nopasswd' | 'password';
}

/** Grace period between TERM and KILL when a command times out on the host. */
export const KILL_AFTER_SECONDS = 5;

const STAT_FORMAT = `'%f %u %g %U %G'`;

/**
 * The command line sent over SSH (run by the login shell of the connecting
 * user): the script as ONE quoted word to `/bin/sh -c`, optionally under
 * coreutils `timeout` (which kills the whole process group on the host) and sudo
 * (sudo outside, so `timeout` and the script run as the become user).
 */
export function buildCommand(script: string, options: { sudo?: SudoSpec; timeoutMs?: number } = {}): string {
  let cmd = `/bin/sh -c ${shq(script)}`;
  if (options.timeoutMs !== undefined) {
    const secs = Math.max(options.timeoutMs, 1) / 1000;
    cmd = `timeout -k ${KILL_AFTER_SECONDS}s ${secs}s ${cmd}`;
  }
  if (options.sudo?.mode === 'nopasswd') cmd = `sudo -n -u ${shq(options.sudo.user)} -- ${cmd}`;
  // -k: never use cached credentials, so sudo always reads (and consumes) the password line.
  else if (options.sudo?.mode === 'password') cmd = `sudo -k -S -p '' -u ${shq(options.sudo.user)} -- ${cmd}`;
  return cmd;
}

/** Probe which sudo works for a user; prints `nopasswd`, `password` or `none <reason>`. Password (if any) on stdin. */
export function sudoProbeScript(user: string): string {
  const u = shq(user);
  return [
    'export LC_ALL=C',
    `if e=$(sudo -n -u ${u} -- true 2>&1 </dev/null); then echo nopasswd`,
    `elif sudo -k -S -p '' -u ${u} -- true 2>/dev/null; then echo password`,
    `else printf 'none %s\\n' "$e"; fi`,
  ].join('\n');
}

/** Print the stat header of a path, then a regular file's bytes. */
export function readScript(path: string): string {
  return [
    'export LC_ALL=C',
    `p=${shq(checkPath(path))}`,
    `if h=$(stat -c ${STAT_FORMAT} -- "$p" 2>&1); then :; else`,
    `  case $h in *'No such file or directory'*|*'Not a directory'*) echo absent; exit 0;; esac`,
    `  printf '%s\\n' "$h" >&2; exit 2`,
    'fi',
    `printf 'stat %s\\n' "$h"`,
    // Regular files have a 4-digit raw mode starting with 8 (S_IFREG = 0100000).
    `case $h in 8???' '*) exec cat -- "$p";; esac`,
  ].join('\n');
}

export interface WriteScriptArgs {
  path: string;
  size: number;
  sha256: string;
  mode?: number;
  owner?: string;
  group?: string;
}

/** Exit code of the write script when the parent directory is missing. */
export const WRITE_NO_DIR = 3;

/** Atomic write from stdin: temp file in the same directory, verified, attributes set, fsynced, renamed. */
export function writeScript(a: WriteScriptArgs): string {
  const path = checkPath(a.path);
  if (path.endsWith('/')) throw new FleetError('E_VALIDATION', `cannot write a file at ${path}: path ends with /`);
  if (a.mode !== undefined && !(Number.isInteger(a.mode) && a.mode >= 0 && a.mode <= 0o7777)) {
    throw new FleetError('E_VALIDATION', `invalid file mode ${a.mode} for ${path}`);
  }
  const mode = a.mode === undefined ? '' : a.mode.toString(8).padStart(4, '0');
  return [
    'export LC_ALL=C',
    `p=${shq(path)}; n=${a.size}; want=${shq(a.sha256)}`,
    `mode=${shq(mode)}; owner=${shq(a.owner ?? '')}; group=${shq(a.group ?? '')}`,
    'tmp=',
    `cleanup() { if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi; }`,
    `trap cleanup EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM`,
    'case $p in */*) d=${p%/*}; [ -n "$d" ] || d=/;; *) d=.;; esac',
    `if [ ! -d "$d" ]; then printf 'directory %s does not exist\\n' "$d" >&2; exit ${WRITE_NO_DIR}; fi`,
    'tmp=$(mktemp "$d/.fleet-tmp.XXXXXX") || exit 4',
    'cat > "$tmp" || exit 5',
    'got=$(wc -c < "$tmp") || exit 6',
    `if [ "$got" -ne "$n" ]; then printf 'incomplete upload: received %s of %s bytes\\n' "$got" "$n" >&2; exit 6; fi`,
    'sum=$(sha256sum < "$tmp") || exit 7',
    `if [ "\${sum%% *}" != "$want" ]; then echo 'checksum mismatch after upload' >&2; exit 7; fi`,
    // chown before chmod: chown clears set-id bits.
    'if [ -e "$p" ]; then chown --reference="$p" -- "$tmp" || exit 8; fi',
    'if [ -n "$owner" ]; then chown -- "$owner" "$tmp" || exit 8; fi',
    'if [ -n "$group" ]; then chgrp -- "$group" "$tmp" || exit 8; fi',
    'if [ -n "$mode" ]; then chmod -- "$mode" "$tmp" || exit 8',
    'elif [ -e "$p" ]; then chmod --reference="$p" -- "$tmp" || exit 8',
    'else chmod 0644 -- "$tmp" || exit 8; fi',
    'sync -- "$tmp" || exit 9',
    'mv -f -T -- "$tmp" "$p" || exit 10',
    'tmp=',
    'sync -- "$d" 2>/dev/null',
    `stat -c 'stat '${STAT_FORMAT} -- "$p"`,
  ].join('\n');
}

function checkPath(path: string): string {
  if (path === '') throw new FleetError('E_VALIDATION', 'empty path');
  if (path.includes('\0')) throw new FleetError('E_VALIDATION', 'a path contains a NUL byte');
  return path;
}

/** Parse `stat <hex> <uid> <gid> <owner> <group>` into a type and FileMeta. */
export function parseStatHeader(line: string): { type: string; meta: FileMeta } {
  const m = /^stat ([0-9a-f]+) (\d+) (\d+) (\S+) (\S+)$/.exec(line.trim());
  if (!m) throw new FleetError('E_REMOTE', `unexpected stat output: ${JSON.stringify(line.slice(0, 200))}`);
  const raw = parseInt(m[1], 16);
  const meta: FileMeta = { mode: raw & 0o7777, owner: m[4], group: m[5], uid: Number(m[2]), gid: Number(m[3]) };
  return { type: fileType(raw & 0o170000), meta };
}

function fileType(ifmt: number): string {
  switch (ifmt) {
    case 0o100000: return 'file';
    case 0o040000: return 'directory';
    case 0o120000: return 'symlink';
    case 0o140000: return 'socket';
    case 0o010000: return 'fifo';
    case 0o020000: return 'char-device';
    case 0o060000: return 'block-device';
    default: return 'unknown';
  }
}

/** Parse the read script's stdout into a PathState. */
export function parseReadOutput(stdout: Buffer): PathState {
  const nl = stdout.indexOf(0x0a);
  const header = (nl < 0 ? stdout : stdout.subarray(0, nl)).toString('utf8');
  if (header === 'absent') return { kind: 'absent' };
  const { type, meta } = parseStatHeader(header);
  if (type === 'file') return { kind: 'file', content: Buffer.from(stdout.subarray(nl + 1)), meta };
  if (type === 'directory') return { kind: 'directory', meta };
  return { kind: 'other', type, meta };
}
