/**
 * A host's private filesystem, prepared from the root namespace before its
 * init mounts it:
 *   <host>/upper/{etc,usr,var}   overlay upper dirs over this machine's /etc, /usr, /var
 *                                (every change the host makes there)
 *   <host>/work/...              overlay work dirs
 *   <host>/fs/{root,home,opt,srv,var/tmp}  bind-mounted over the same paths
 * /opt, /srv and /var/tmp start empty, as on a fresh server (this machine's
 * /opt may hold gigabytes of unrelated tooling, its /var/tmp other people's
 * files). /run and /tmp are tmpfs (fresh at every host start, as after a
 * reboot). /etc/systemd/system needs nothing of its own: it is inside the
 * /etc overlay, so unit edits are per host too.
 * Files the host needs from the start (hostname, hosts, sshd config and host
 * key) are written straight into upper/etc.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyPair } from './keys.ts';
import type { LabUser } from './users.ts';

/** Top-level directories overlaid per host. */
export const OVERLAY_DIRS = ['etc', 'usr', 'var'];
/** Directories replaced by a private, initially empty tree (only those that exist here), with their modes. */
const PRIVATE_DIRS: Record<string, number> = { root: 0o700, home: 0o755, opt: 0o755, srv: 0o755, 'var/tmp': 0o1777 };
export function privateDirs(): string[] {
  return Object.keys(PRIVATE_DIRS).filter((d) => existsSync(`/${d}`));
}

export const SSHD_LOG = '/var/log/lab-sshd.log';
export const SSHD_PID_FILE = '/run/sshd.pid';

export function sshdConfig(address: string): string {
  return `# fleet test lab sshd
ListenAddress ${address}
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile ${SSHD_PID_FILE}
AuthorizedKeysFile /etc/ssh/lab_authorized_keys .ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxStartups 200:30:500
MaxSessions 50
LogLevel ERROR
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding yes
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
`;
}

function mkdirOwned(dir: string, mode: number, uid = 0, gid = 0): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, mode);
  chownSync(dir, uid, gid);
}

export interface HostFsSpec {
  dir: string;
  name: string;
  address: string;
  hostKey: KeyPair;
  /** Contents of the host's /etc/hosts. */
  hostsFile: string;
  users: LabUser[];
}

export function prepareHostFs(spec: HostFsSpec): void {
  const { dir } = spec;
  mkdirOwned(dir, 0o700);
  for (const d of OVERLAY_DIRS) {
    // The upper dir's root gives the merged directory its mode and owner.
    mkdirOwned(join(dir, 'upper', d), 0o755);
    mkdirOwned(join(dir, 'work', d), 0o700);
  }
  mkdirOwned(join(dir, 'fs'), 0o755);
  for (const d of privateDirs()) mkdirOwned(join(dir, 'fs', d), PRIVATE_DIRS[d]);
  for (const u of spec.users) mkdirOwned(join(dir, 'fs', 'home', u.name), 0o750, u.uid, u.gid);
  const etc = join(dir, 'upper', 'etc');
  writeFileSync(join(etc, 'hostname'), `${spec.name}\n`, { mode: 0o644 });
  writeFileSync(join(etc, 'hosts'), spec.hostsFile, { mode: 0o644 });
  mkdirOwned(join(etc, 'ssh'), 0o755);
  writeFileSync(join(etc, 'ssh', 'sshd_config'), sshdConfig(spec.address), { mode: 0o644 });
  writeFileSync(join(etc, 'ssh', 'ssh_host_ed25519_key'), spec.hostKey.private, { mode: 0o600 });
  writeFileSync(join(etc, 'ssh', 'ssh_host_ed25519_key.pub'), `${spec.hostKey.public}\n`, { mode: 0o644 });
}

export function hostsFileText(hosts: Array<{ name: string; address: string }>): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const h of hosts) lines.push(`${h.address}\t${h.name}`);
  return `${lines.join('\n')}\n`;
}
