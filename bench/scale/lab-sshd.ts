/**
 * The scale lab's sshd processes: K of Debian's /usr/sbin/sshd in the lab's
 * network namespace, each `-D -e -f <own config>`, listening on 0.0.0.0 on its
 * own port (22, 2201, 2202, ...), all with the same host key. MaxStartups is
 * left at its default (10:30:100): fleet has to cope with it.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { tcpAccepts } from '../../test/lab/boot.ts';
import { procRef } from '../../test/lab/procs.ts';
import { LAB_ENV, sleep } from '../../test/lab/run.ts';
import type { ProcRef } from '../../test/lab/types.ts';

export const SSHD_BIN = '/usr/sbin/sshd';

/** Port of sshd number `j` (0-based): 22, then 2201, 2202, ... */
export function sshdPort(j: number): number {
  return j === 0 ? 22 : 2200 + j;
}

export interface SshdPaths {
  /** The lab dir: host key, authorized keys, configs and logs live here. */
  dir: string;
}

export const hostKeyPath = (dir: string): string => join(dir, 'ssh_host_ed25519_key');
export const authorizedKeysPath = (dir: string): string => join(dir, 'authorized_keys');
export const sshdConfigPath = (dir: string, j: number): string => join(dir, `sshd-${j}.conf`);
export const sshdLogPath = (dir: string, j: number): string => join(dir, `sshd-${j}.log`);
/** The sessions' /root: empty, like a light lab host's. */
export const rootHomePath = (dir: string): string => join(dir, 'root');

export function sshdConfigText(dir: string, j: number): string {
  return `# fleet scale lab sshd ${j} (generated, removed by teardown)
ListenAddress 0.0.0.0
Port ${sshdPort(j)}
HostKey ${hostKeyPath(dir)}
PidFile none
AuthorizedKeysFile ${authorizedKeysPath(dir)}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxSessions 20
LogLevel ERROR
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
AcceptEnv LANG LC_*
`;
}

export interface StartedSshd {
  ref: ProcRef;
  /** Why it stopped, once it did (null while it runs). */
  exited(): string | null;
}

/**
 * Start sshd `j` in `netns`, in a mount namespace of its own where the lab's
 * empty `<dir>/root` is bind-mounted over /root: like a light lab host, root's
 * sessions start from an empty home (bash sources ~/.bashrc for every command
 * run through sshd, and this machine's may be slow). Everything else, the host
 * directories included, is this machine's file system. nsenter, unshare and sh
 * exec one another: the PID is sshd's. Its stderr goes to sshd-<j>.log.
 */
export function startSshd(netns: string, dir: string, j: number): StartedSshd {
  const log = openSync(sshdLogPath(dir, j), 'a', 0o600);
  let why: string | null = null;
  try {
    const argv = [
      `--net=/run/netns/${netns}`, '--', 'unshare', '--mount', '--propagation', 'private', '--',
      '/bin/sh', '-c', 'mount --bind "$0" /root && exec "$@"', rootHomePath(dir), SSHD_BIN, '-D', '-e', '-f', sshdConfigPath(dir, j),
    ];
    const child = spawn('nsenter', argv, {
      env: LAB_ENV,
      stdio: ['ignore', 'ignore', log],
      // Its own session: a Ctrl-C on the terminal reaches the bench, whose teardown stops sshd.
      detached: true,
    });
    child.once('exit', (code, sig) => {
      why = `sshd ${j} exited (${sig ?? `code ${code}`})`;
    });
    child.once('error', (e) => {
      why = `sshd ${j} did not start: ${e.message}`;
    });
    child.unref();
    const ref = child.pid ? procRef(child.pid) : null;
    if (!ref) throw new FleetError('E_INTERNAL', `scale lab: sshd ${j} did not start`, { hint: readLog(dir, j) || undefined });
    return { ref, exited: () => why };
  } finally {
    closeSync(log);
  }
}

export function readLog(dir: string, j: number): string {
  try {
    return readFileSync(sshdLogPath(dir, j), 'utf8').trim().split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}

/** Wait until sshd `j` accepts TCP connections on `address`; fail early when it exited. */
export async function waitSshd(sshd: StartedSshd, dir: string, j: number, address: string, deadline: number): Promise<void> {
  for (;;) {
    if (await tcpAccepts(address, sshdPort(j), Math.max(50, Math.min(1000, deadline - Date.now())))) return;
    const why = sshd.exited();
    if (why !== null) throw new FleetError('E_INTERNAL', `scale lab: ${why}`, { hint: readLog(dir, j) || undefined });
    if (Date.now() >= deadline) {
      throw new FleetError('E_TIMEOUT', `scale lab: sshd ${j} does not accept connections on ${address}:${sshdPort(j)}`, {
        hint: readLog(dir, j) || undefined,
      });
    }
    await sleep(25);
  }
}
