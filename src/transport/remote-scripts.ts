/**
 * The /bin/sh scripts behind Transport.read/write/exec and the parsing of their
 * output. Every value reaches the shell as one word quoted by `shq`; scripts
 * run with LC_ALL=C so error texts can be matched.
 *
 * Stat header (one line): `stat <raw mode hex> <uid> <gid> <owner> <group>`,
 * from `stat -c '%f %u %g %U %G'` (lstat: symlinks are not followed), or `absent`.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { FleetError } from '../errors/fleet-error.ts';
import type { FileMeta, PathState } from '../modules/types.ts';
import type { AboveState } from './types.ts';
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
 * `exec` and words that every Bourne-like shell (and csh and fish) reads
 * alike: single-quoted words, and bare words of safe characters that do not
 * start with one a shell may expand there (zsh's `=cmd`, `%job`). Anything
 * else keeps the /bin/sh form.
 */
const SIMPLE_COMMAND = /^exec(?: (?:[A-Za-z0-9_./-][A-Za-z0-9_@%+=:,./-]*|'[^'\n]*'(?:\\''[^'\n]*')*))+$/;

/**
 * The command line sent over SSH (run by the login shell of the connecting
 * user): the script as ONE quoted word to `/bin/sh -c`, optionally under
 * coreutils `timeout` (which kills the whole process group on the host) and sudo
 * (sudo outside, so `timeout` and the script run as the become user). A
 * `simple` script without either goes to the login shell as it is.
 */
export function buildCommand(script: string, options: { sudo?: SudoSpec; timeoutMs?: number; simple?: boolean } = {}): string {
  // One simple command (`exec` and quoted words) needs no /bin/sh of its own:
  // the login shell execs it (one exec less on the host). It reads the same in
  // every shell that reads the quoted word of the /bin/sh form below.
  if (options.simple && options.sudo === undefined && options.timeoutMs === undefined && SIMPLE_COMMAND.test(script)) return script;
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

/** The ancestors of a path, nearest first, up to and including `/`. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = path, d = posix.dirname(p); d !== p && d !== '.'; p = d, d = posix.dirname(d)) out.push(d);
  return out;
}

/**
 * Print the stat header of a path, then a regular file's bytes. When the path
 * is absent and `above` (its ancestors, nearest first) is given, also find the
 * nearest one that exists (shell builtins only) and print `above <index> dir`
 * for it when it is a directory (not a symlink to one), else
 * `above <index> other`: the ancestors before it are absent. A missing path then costs no extra round trip, and no process, to
 * learn where its parents end.
 */
export function readScript(path: string, above: readonly string[] = []): string {
  return readLines(path, above, false).join('\n');
}

/** The answer line that ends a held read's session without running anything. */
export const HELD_STOP = 'stop';

/**
 * readScript, then the session is held: the pause line `\n<marker> 0\n`,
 * and the shell reads lines from stdin up to a line that is the marker alone:
 * they are a script, which then runs in this shell (its own stdin, e.g. a
 * file's content, comes after the marker line). HELD_STOP as the first line,
 * or stdin closed before the marker line, ends the session and runs nothing.
 * The shell's own `read` takes the lines (a byte at a time, so nothing after
 * the marker line is taken from the script's stdin): no process is started
 * for it. The script comes from fleet (remote-scripts), never from a
 * playbook's text: it is what a new session would have been given as its command.
 */
export function heldReadScript(path: string, above: readonly string[], marker: string): string {
  if (!/^[A-Za-z0-9-]{8,64}$/.test(marker)) throw new FleetError('E_INTERNAL', `bad pause marker ${marker}`);
  return [
    ...readLines(path, above, true),
    `printf '\\n%s 0\\n' ${marker}`,
    "nl='",
    "' s=",
    'while :; do',
    '  IFS= read -r l || exit 0',
    `  case $l in ${marker}) break;; ${HELD_STOP}) [ -z "$s" ] && exit 0;; esac`,
    '  s=$s$l$nl',
    'done',
    'eval "$s"',
  ].join('\n');
}

/** What goes to a held session's stdin to run `script` there (then the script's own stdin). */
export function heldRunPayload(script: string, marker: string): Buffer {
  if (script.includes('\0') || script.split('\n').includes(marker)) {
    throw new FleetError('E_INTERNAL', 'a script for a held session holds its end marker or a NUL byte');
  }
  return Buffer.from(`${script}\n${marker}\n`, 'utf8');
}

function readLines(path: string, above: readonly string[], held: boolean): string[] {
  const checked = checkPath(path);
  // Regular files have a 4-digit raw mode starting with 8 (S_IFREG = 0100000).
  // A held read goes on after the content, so cat cannot replace the shell.
  const found = held
    ? [`  printf 'stat %s\\n' "$h"`, `  case $h in 8???' '*) cat -- "$p" || exit 2;; esac`]
    : [`  printf 'stat %s\\n' "$h"`, `  case $h in 8???' '*) exec cat -- "$p";; esac`];
  // A path that `test` does not see is absent for certain when its nearest
  // existing ancestor is a directory fleet can search (then the next name is
  // not there) or a file that is not a directory (ENOTDIR); known with shell
  // builtins, no stat process. Otherwise (an ancestor that cannot be searched,
  // a symlink loop, a relative path) stat says exactly what is wrong.
  const all = ancestorsOf(checked);
  const lines = [
    'export LC_ALL=C',
    `p=${shq(checked)}`,
    'sure=',
    'if [ -e "$p" ] || [ -L "$p" ]; then :; else',
    '  i=0; a=',
    ...(all.length > 0
      ? [
          `  for a in ${all.map((x) => shq(checkPath(x))).join(' ')}; do`,
          '    if [ -e "$a" ] || [ -L "$a" ]; then break; fi',
          '    i=$((i+1)); a=',
          '  done',
        ]
      : []),
    '  if [ -n "$a" ]; then',
    '    if [ -d "$a" ]; then [ -x "$a" ] && sure=1',
    '    elif [ ! -L "$a" ]; then sure=1',
    '    fi',
    '  fi',
    'fi',
    'if [ -z "$sure" ] && h=$(stat -c ' + STAT_FORMAT + ' -- "$p" 2>&1); then',
    ...found,
    'else',
    `  if [ -z "$sure" ]; then case $h in *'No such file or directory'*|*'Not a directory'*) ;; *) printf '%s\\n' "$h" >&2; exit 2;; esac; fi`,
    '  echo absent',
  ];
  if (above.length > 0) {
    if (above.length !== all.length || above.some((a, k) => a !== all[k])) {
      throw new FleetError('E_INTERNAL', `read of ${checked}: the ancestors to report must be all of its ancestors`);
    }
    // Every existing ancestor below the nearest one is searchable: the walk above is exact.
    lines.push(
      '  if [ -z "$sure" ]; then',
      '    i=0; a=',
      `    for a in ${above.map((x) => shq(checkPath(x))).join(' ')}; do`,
      '      if [ -e "$a" ] || [ -L "$a" ]; then break; fi',
      '      i=$((i+1)); a=',
      '    done',
      '  fi',
      `  if [ -n "$a" ]; then if [ -d "$a" ] && [ ! -L "$a" ]; then printf 'above %s dir\\n' "$i"; else printf 'above %s other\\n' "$i"; fi; fi`,
    );
  }
  lines.push(...(held ? [] : ['  exit 0']), 'fi');
  return lines;
}

export interface WriteScriptArgs {
  path: string;
  size: number;
  mode?: number;
  owner?: string;
  group?: string;
  /** Suffix of the temporary file's name (random hex; tests may fix it). */
  tmpSuffix?: string;
}

/** Exit code of the write script when the parent directory is missing. */
export const WRITE_NO_DIR = 3;

/**
 * Atomic write from stdin in few processes: `dd` creates a temporary file in
 * the same directory (O_EXCL: never through a planted symlink), writes and
 * fsyncs it; attributes are set (chown only when the owner must change, chmod
 * only when the creation umask cannot give the mode); one `stat` checks the
 * length (a cut upload is short: SSH's MAC already guards the bytes) and
 * reports the metadata; `mv` renames it over the destination. Any failure
 * removes the temporary file and leaves the old bytes. The directory is not
 * fsynced after the rename: a crash right after it can only bring back the
 * old file whole (the new bytes were fsynced before the rename), which
 * rollback sees as "already as before" and a new run writes again.
 */
export function writeScript(a: WriteScriptArgs): string {
  const path = checkPath(a.path);
  if (path.endsWith('/')) throw new FleetError('E_VALIDATION', `cannot write a file at ${path}: path ends with /`);
  if (a.mode !== undefined && !(Number.isInteger(a.mode) && a.mode >= 0 && a.mode <= 0o7777)) {
    throw new FleetError('E_VALIDATION', `invalid file mode ${a.mode} for ${path}`);
  }
  if (!Number.isSafeInteger(a.size) || a.size < 0) throw new FleetError('E_VALIDATION', `invalid size ${a.size} for ${path}`);
  const suffix = a.tmpSuffix ?? randomBytes(8).toString('hex');
  if (!/^[0-9a-f]{6,32}$/.test(suffix)) throw new FleetError('E_VALIDATION', `invalid temporary file suffix ${suffix}`);
  // A mode within 0666 comes straight from the umask at creation; any other is
  // chmod'ed on a file created private. No mode: a file being replaced keeps its
  // mode (chmod --reference on a file created private), a new one gets 0644.
  const byUmask = a.mode !== undefined && (a.mode & ~0o666) === 0;
  const octal = (m: number): string => m.toString(8).padStart(4, '0');
  const umask = a.mode === undefined
    ? 'if [ -e "$p" ]; then umask 0077; else umask 0022; fi'
    : `umask ${byUmask ? octal(0o777 & ~a.mode) : '0077'}`;
  const chmod = a.mode === undefined
    ? 'if [ -e "$p" ]; then chmod --reference="$p" -- "$t" || exit 8; fi'
    : byUmask ? '' : `chmod -- ${octal(a.mode)} "$t" || exit 8`;
  const chownSpec = a.owner !== undefined || a.group !== undefined ? `${a.owner ?? ''}${a.group !== undefined ? `:${a.group}` : ''}` : '';
  return [
    'export LC_ALL=C',
    `p=${shq(path)}; n=${a.size}`,
    'tmp=',
    `cleanup() { if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi; }`,
    `trap cleanup EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM`,
    'case $p in */*) d=${p%/*}; [ -n "$d" ] || d=/;; *) d=.;; esac',
    `if [ ! -d "$d" ]; then printf 'directory %s does not exist\\n' "$d" >&2; exit ${WRITE_NO_DIR}; fi`,
    `t="$d/.fleet-tmp.${suffix}"`,
    `if [ -e "$t" ] || [ -L "$t" ]; then printf '%s already exists\\n' "$t" >&2; exit 4; fi`,
    umask,
    'tmp=$t',
    'dd of="$t" bs=65536 conv=excl,fsync status=none || exit 5',
    // Keep the owner of a file being replaced (chown before chmod: chown clears set-id bits).
    'if [ -e "$p" ] && ! { [ -O "$p" ] && [ -G "$p" ]; }; then chown --reference="$p" -- "$t" || exit 8; fi',
    ...(chownSpec ? [`chown -- ${shq(chownSpec)} "$t" || exit 8`] : []),
    ...(chmod ? [chmod] : []),
    `h=$(stat -c '%s '${STAT_FORMAT} -- "$t") || exit 6`,
    `if [ "\${h%% *}" != "$n" ]; then printf 'incomplete upload: received %s of %s bytes\\n' "\${h%% *}" "$n" >&2; exit 6; fi`,
    'mv -f -T -- "$t" "$p" || exit 10',
    'tmp=',
    `printf 'stat %s\\n' "\${h#* }"`,
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

/**
 * Parse the read script's output when it was given ancestors: the path's
 * state, and when it is absent, the ancestors known absent plus the nearest
 * existing one when it is a directory (a file, special file or symlink up
 * there is not reported).
 */
export function parseReadWithAbove(stdout: Buffer, above: readonly string[]): { state: PathState; above: AboveState[] } {
  const state = parseReadOutput(stdout);
  if (state.kind !== 'absent') return { state, above: [] };
  const text = stdout.toString('utf8').split('\n');
  const m = /^above (\d+) (dir|other)$/.exec(text[1] ?? '');
  if (!m) return { state, above: [] };
  const index = Number(m[1]);
  if (!(index < above.length)) throw new FleetError('E_REMOTE', `unexpected read output: ${JSON.stringify(text[1]!.slice(0, 200))}`);
  const out: AboveState[] = above.slice(0, index).map((path) => ({ path, kind: 'absent' }));
  if (m[2] === 'dir') out.push({ path: above[index]!, kind: 'directory' });
  return { state, above: out };
}
