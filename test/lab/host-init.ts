/**
 * Starting a host: `ip netns exec NS unshare --mount --uts --pid --fork ...`
 * runs the init script below as PID 1 of the host's own PID namespace, with
 * the host dir as working directory (mount sources are relative to it, so a
 * lab dir under /root or /home still works after those are covered). The init
 * configures the network, mounts the private filesystem, starts sshd (which
 * daemonizes and is reparented to the init) and then stays as a reaper so no
 * zombie piles up inside the host. The `unshare` process (the "holder") is
 * started with --kill-child: killing it kills the whole host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_ENV } from './run.ts';
import { comm, pidsInNetns } from './procs.ts';
import { OVERLAY_DIRS, privateDirs, SSHD_LOG, SSHD_PID_FILE } from './host-fs.ts';
import type { LabHost } from './types.ts';

const INIT = `set -eu
name=$1 addr=$2 prefix=$3 private=$4
shift 4
mount --make-rprivate /
ip link set lo up
ip addr replace "$addr/$prefix" dev eth0
ip link set eth0 up
for d in "$@"; do
  lower=/$d
  if [ "$d" = etc ]; then lower=../../base/etc:/etc; fi
  mount -t overlay "lab-$d" -o "lowerdir=$lower,upperdir=upper/$d,workdir=work/$d" "/$d"
done
for d in $private; do mount --no-canonicalize --bind "fs/$d" "/$d"; done
umount -R -l /run/netns 2>/dev/null || true
mount -t tmpfs -o mode=0755,nosuid,nodev lab-run /run
mount -t tmpfs -o mode=1777,nosuid,nodev lab-tmp /tmp
mkdir -m 0755 /run/sshd /run/lock
hostname "$name"
cd /
/usr/sbin/sshd -f /etc/ssh/sshd_config -E ${SSHD_LOG}
echo "lab-init: $name up"
exec </dev/null
while :; do sleep 86400 & wait $! || true; done
`;

export function spawnHost(host: LabHost, prefix: number): ChildProcess {
  const log = openSync(host.logPath, 'a', 0o600);
  try {
    const args = ['netns', 'exec', host.netns,
      'unshare', '--mount', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private',
      'bash', '-c', INIT, 'lab-init', host.name, host.address, String(prefix), privateDirs().join(' '), ...OVERLAY_DIRS];
    const child = spawn('ip', args, { cwd: host.dir, env: LAB_ENV, detached: true, stdio: ['ignore', log, log] });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

function tail(path: string, label: string): string {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text ? `${label}:\n${text.split('\n').slice(-10).join('\n')}\n` : '';
  } catch {
    return '';
  }
}

/** The end of the host's init log and sshd log, and its processes, for error messages. */
export function readLog(host: LabHost): string {
  const procs = pidsInNetns(host.netns).map((p) => `${p.pid}:${comm(p.pid)}`).join(' ');
  return `${tail(host.logPath, host.logPath)}${tail(join(host.upperDir, SSHD_LOG), 'sshd log')}processes: ${procs || 'none'}`;
}

/** sshd's PID inside the host's PID namespace, from its pid file (0 when absent). */
export function innerSshdPid(host: LabHost): number {
  if (!host.initPid) return 0;
  try {
    return Number(readFileSync(join(`/proc/${host.initPid}/root`, SSHD_PID_FILE), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** Start sshd inside a running host (it daemonizes; its parent becomes the host's init). */
export function sshdCommand(initPid: number): string[] {
  return ['-t', String(initPid), '-m', '-u', '-n', '-p', '-r', '-w',
    '/usr/sbin/sshd', '-f', '/etc/ssh/sshd_config', '-E', SSHD_LOG];
}
