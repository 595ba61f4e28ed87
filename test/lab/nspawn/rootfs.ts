/**
 * The Debian bookworm rootfs every nspawn node boots from: built once with
 * debootstrap, cached under /var/cache/fleet-lab keyed on the recipe, built in
 * a temporary directory and renamed into place only when complete.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { shq } from '../../../src/core/shell.ts';
import { CGROUP_TOP, cgroupHierarchies, createCgroups, removeCgroups, removeEmptyTop } from './cgroups.ts';
import { ensureHostPackages } from './host-packages.ts';
import { withLockFile } from './lock.ts';
import { removeTree } from './mounts.ts';
import { run, runOk, sleep } from './proc.ts';

export const ROOTFS_SUITE = 'bookworm';
export const ROOTFS_PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'iproute2', 'net-tools', 'procps', 'sed',
  'sudo', 'bird', 'etcd-client', 'etcd-server', 'python3-yaml',
];

/** Run inside the fresh rootfs (chroot) once debootstrap is done. Part of the cache key. */
export const ROOTFS_CUSTOMIZE = `set -e
systemctl enable systemd-networkd.service systemd-networkd.socket ssh.service
# Installed for the migration tests, started by them, not at boot.
for u in etcd.service bird.service bird6.service; do
  if [ -e /lib/systemd/system/$u ]; then systemctl disable $u; fi
done
# Slow or noisy in a container; console-getty would spin on a console nobody types on.
systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer fstrim.timer \\
  e2scrub_all.timer e2scrub_reap.service man-db.timer console-getty.service \\
  systemd-networkd-wait-online.service
# Host keys are generated per node; never baked into the base.
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/ssh/sshd_config.d /etc/systemd/journald.conf.d /root/.ssh
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\\nPasswordAuthentication no\\nUseDNS no\\n' \\
  > /etc/ssh/sshd_config.d/fleet-lab.conf
printf '[Journal]\\nStorage=volatile\\nRuntimeMaxUse=16M\\n' > /etc/systemd/journald.conf.d/fleet-lab.conf
chmod 700 /root/.ssh
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
echo localhost > /etc/hostname
apt-get clean
rm -rf /var/lib/apt/lists/*
`;

export interface RootfsOptions {
  /** Where cached rootfs directories live. Default /var/cache/fleet-lab. */
  cacheDir?: string;
  /** Debian mirror; default: the one apt on this host uses. */
  mirror?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Give up waiting for another process's build after this long. Default 20 min. */
  lockTimeoutMs?: number;
}

/** The cache key: everything that decides what the rootfs contains. */
export function rootfsRecipeHash(): string {
  const recipe = JSON.stringify({
    v: 1,
    variant: 'minbase',
    suite: ROOTFS_SUITE,
    packages: ROOTFS_PACKAGES,
    customize: ROOTFS_CUSTOMIZE,
  });
  return createHash('sha256').update(recipe).digest('hex').slice(0, 16);
}

/** The mirror apt uses here: first `URIs:` of a bookworm stanza, or a `deb` line of sources.list. */
export function hostMirror(): string {
  const sources = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(sources)) {
    for (const stanza of readFileSync(sources, 'utf8').split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uris && suites.includes(ROOTFS_SUITE)) return uris;
    }
  }
  const list = '/etc/apt/sources.list';
  if (existsSync(list)) {
    for (const line of readFileSync(list, 'utf8').split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
      if (m && m[2] === ROOTFS_SUITE) return m[1]!;
    }
  }
  throw new FleetError('E_INTERNAL', `no ${ROOTFS_SUITE} mirror found in ${sources} or ${list}`);
}

/** A dead builder's children may still be finishing a step: retry for a while. */
async function removeStale(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await removeTree(dir);
    } catch (e) {
      if (i >= 10) throw e;
      await sleep(2000);
    }
  }
}

/** Remove rootfs trees of older recipes that no overlay uses any more. */
export async function pruneOldRootfs(cacheDir: string, keep: string, log: (l: string) => void): Promise<void> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (!/^rootfs-[0-9a-f]{16}$/.test(name) || path === keep || mounts.includes(path)) continue;
    if (existsSync(`${path}.lock`)) continue;
    log(`nspawn lab: removing old rootfs ${path}`);
    await removeTree(path).catch(() => undefined);
    rmSync(`${path}.log`, { force: true });
  }
}

const building = new Map<string, Promise<string>>();

/** Path of the cached rootfs, building it first if needed. Safe to call from several processes. */
export function ensureRootfs(options: RootfsOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? '/var/cache/fleet-lab';
  const final = join(cacheDir, `rootfs-${rootfsRecipeHash()}`);
  const pending = building.get(final);
  if (pending) return pending;
  const p = ensureRootfsOnce(cacheDir, final, options).finally(() => building.delete(final));
  building.set(final, p);
  return p;
}

async function ensureRootfsOnce(cacheDir: string, final: string, options: RootfsOptions): Promise<string> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (existsSync(join(final, 'etc/os-release'))) return final;
  await ensureHostPackages();
  mkdirSync(cacheDir, { recursive: true });
  const lock = `${final}.lock`;
  return withLockFile(
    lock,
    options.lockTimeoutMs ?? 20 * 60_000,
    async () => {
      if (existsSync(join(final, 'etc/os-release'))) return final;
      // We hold the lock: any build left over is from a process that died. Kill what it left running.
      const buildId = createHash('sha256').update(final).digest('hex').slice(0, 12);
      const buildCgroups = cgroupHierarchies().map((h) => join(h, CGROUP_TOP, `rootfs-build-${buildId}`));
      await removeCgroups(buildCgroups);
      const base = final.slice(cacheDir.length + 1);
      for (const name of readdirSync(cacheDir)) {
        if (name.startsWith(`${base}.tmp-`)) await removeStale(join(cacheDir, name));
      }
      const tmp = `${final}.tmp-${process.pid}`;
      const mirror = options.mirror ?? hostMirror();
      const logFile = `${final}.log`;
      log(`nspawn lab: building rootfs ${final} from ${mirror} (log ${logFile}) ...`);
      const started = Date.now();
      try {
        mkdirSync(tmp);
        const fd = openSync(logFile, 'w');
        closeSync(fd);
        // In a cgroup of its own: a build whose parent died is found and killed by the next builder.
        createCgroups(buildCgroups);
        const enter = buildCgroups.map((c) => `echo $$ > ${shq(join(c, 'cgroup.procs'))}`).join('; ');
        const r = await run(
          'sh',
          ['-c', `${enter}; exec debootstrap --variant=minbase --include=${ROOTFS_PACKAGES.join(',')} ` +
            `${ROOTFS_SUITE} ${shq(tmp)} ${shq(mirror)} >> ${shq(logFile)} 2>&1`],
          { timeoutMs: 30 * 60_000 },
        );
        await removeCgroups(buildCgroups);
        if (r.code !== 0) {
          const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
          throw new FleetError('E_INTERNAL', `debootstrap failed (exit ${r.code}); see ${logFile}`, { hint: tail });
        }
        await runOk('chroot', [tmp, '/bin/sh', '-c', ROOTFS_CUSTOMIZE], { timeoutMs: 300_000 });
        renameSync(tmp, final);
      } catch (e) {
        await removeCgroups(buildCgroups).catch(() => undefined);
        await removeTree(tmp).catch(() => undefined);
        throw e;
      }
      removeEmptyTop();
      await pruneOldRootfs(cacheDir, final, log);
      log(`nspawn lab: rootfs built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return final;
    },
    (owner) => log(`nspawn lab: waiting for process ${owner} building ${final}`),
  );
}
