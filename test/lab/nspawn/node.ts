/** One nspawn node: its overlay root, first files, boot in its own cgroups, stop. */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { shq } from '../../../src/core/shell.ts';
import { createCgroups, cgroupPids } from './cgroups.ts';
import { ed25519, writeKeyPair, type KeyPair } from '../keys.ts';
import { mountsUnder, unmountUnder } from './mounts.ts';
import { PLAIN_ENV, childrenOf, cmdline, isAlive, run, runOk, sleep, waitFor } from './proc.ts';
import type { LabState, NodeState } from './state.ts';

/** Mount the overlay root and write the node's own files into it. Returns the node's new host key. */
export async function prepareNode(lab: LabState, node: NodeState, clientPublicKey: string): Promise<KeyPair> {
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(node.dir, d), { recursive: true });
  if (mountsUnder(node.root).length === 0) {
    const opts = `lowerdir=${lab.rootfs},upperdir=${join(node.dir, 'upper')},workdir=${join(node.dir, 'work')}`;
    await runOk('mount', ['-t', 'overlay', 'overlay', '-o', opts, node.root]);
  }
  const r = node.root;
  writeFileSync(join(r, 'etc/hostname'), `${node.name}\n`);
  const hosts = lab.nodes.map((n) => `${n.address}\t${n.name}`).join('\n');
  writeFileSync(join(r, 'etc/hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${node.name}\n${hosts}\n`);
  mkdirSync(join(r, 'etc/systemd/network'), { recursive: true });
  writeFileSync(
    join(r, 'etc/systemd/network/10-fleet-lab-host0.network'),
    `[Match]\nName=host0\n\n[Network]\nAddress=${node.address}/24\n` +
      `LinkLocalAddressing=no\nIPv6AcceptRA=no\nLLDP=no\nEmitLLDP=no\n`,
  );
  const hostKey = ed25519(`root@${node.name}`);
  writeKeyPair(join(r, 'etc/ssh/ssh_host_ed25519_key'), hostKey);
  mkdirSync(join(r, 'root/.ssh'), { recursive: true, mode: 0o700 });
  writeFileSync(join(r, 'root/.ssh/authorized_keys'), `${clientPublicKey}\n`, { mode: 0o600 });
  return hostKey;
}

/**
 * Start systemd-nspawn from a shell that first moves itself into the node's
 * own cgroups, so the container (started with --keep-unit) lands there.
 */
export function startNode(lab: LabState, node: NodeState): number {
  createCgroups(node.cgroups);
  const nspawn = [
    'systemd-nspawn', '-q', '-D', node.root, '-M', node.machine, '--boot', '--register=no', '--keep-unit',
    `--network-bridge=${lab.bridge}`, '--console=read-only', '--resolv-conf=off', '--timezone=off',
    '--link-journal=no',
  ];
  const script = [
    'set -e',
    ...node.cgroups.map((c) => `echo $$ > ${shq(join(c, 'cgroup.procs'))}`),
    `exec ${nspawn.map(shq).join(' ')}`,
  ].join('\n');
  const log = openSync(join(node.dir, 'console.log'), 'a');
  try {
    const child = spawn('/bin/sh', ['-c', script], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...PLAIN_ENV, SYSTEMD_LOG_LEVEL: 'warning' },
    });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new FleetError('E_INTERNAL', `cannot start systemd-nspawn for ${node.name}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** True when the process is this node's nspawn (guards against a reused PID after a crash). */
export function isNodeNspawn(pid: number | undefined, node: NodeState): pid is number {
  if (pid === undefined || !isAlive(pid)) return false;
  const args = cmdline(pid) ?? [];
  return args[0]?.endsWith('systemd-nspawn') === true && args.includes(node.machine);
}

/** The last lines of the node's console, for error messages. */
export function consoleTail(node: NodeState, lines = 25): string {
  try {
    return readFileSync(join(node.dir, 'console.log'), 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** PID (host view) of the container's PID 1: the child of nspawn that is PID 1 in its namespace. */
export function findLeader(nspawnPid: number): number | undefined {
  for (const pid of childrenOf(nspawnPid)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const nspid = /^NSpid:\s*(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
      if (nspid.length > 1 && nspid[nspid.length - 1] === '1') return pid;
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** Until the node's sshd sends its banner on address:22. */
export function sshAnswers(address: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port: 22, timeout: timeoutMs });
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(ok);
    };
    sock.on('data', (b: Buffer) => finish(b.toString('latin1').startsWith('SSH-')));
    sock.on('timeout', () => finish(false));
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

export interface BootTimings {
  leaderMs: number;
  sshMs: number;
  runningMs: number;
  state: string;
}

/** Wait for PID 1, sshd and `systemctl is-system-running` (running or degraded), bounded. */
export async function waitBooted(node: NodeState, started: number, timeoutMs: number): Promise<BootTimings> {
  const deadline = started + timeoutMs;
  const left = (): number => Math.max(1000, deadline - Date.now());
  const nspawnPid = node.nspawnPid!;
  const fail = (what: string, cause?: unknown): never => {
    throw new FleetError('E_TIMEOUT', `node ${node.name}: ${what}`, { hint: consoleTail(node), cause });
  };
  const alive = (): void => {
    if (!isAlive(nspawnPid)) fail('systemd-nspawn exited during boot');
  };
  node.leaderPid = await waitFor(`PID 1 of ${node.name}`, left(), () => {
    alive();
    return findLeader(nspawnPid);
  }, 50).catch((e: unknown) => fail('container PID 1 not found', e));
  const leaderMs = Date.now() - started;
  await waitFor(`sshd on ${node.address}`, left(), async () => {
    alive();
    return (await sshAnswers(node.address)) ? true : undefined;
  }, 100).catch((e: unknown) => fail(`sshd does not answer on ${node.address}:22`, e));
  const sshMs = Date.now() - started;
  const r = await run('nsenter', ['-t', String(node.leaderPid), '-a', 'systemctl', 'is-system-running', '--wait'], {
    timeoutMs: left(),
  });
  const state = r.stdout.trim();
  if (state !== 'running' && state !== 'degraded') {
    fail(`systemctl is-system-running says '${state || r.stderr.trim()}'${r.timedOut ? ' (timed out)' : ''}`);
  }
  return { leaderMs, sshMs, runningMs: Date.now() - started, state };
}

/** Power the node off (SIGTERM to nspawn), then kill whatever is left in its cgroups; unmount its root. */
export async function stopNode(node: NodeState, graceMs = 20_000): Promise<void> {
  const pid = node.nspawnPid;
  if (isNodeNspawn(pid, node)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* exited meanwhile */
    }
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
  // Everything still in the node's cgroups is the node's (its PID 1 first: that ends its PID namespace).
  for (const p of [node.leaderPid, ...node.cgroups.flatMap((c) => cgroupPids(c))]) {
    if (p === undefined || !node.cgroups.some((c) => cgroupPids(c).includes(p))) continue;
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitFor(`processes of ${node.name} to exit`, 15_000, () =>
    node.cgroups.flatMap((c) => cgroupPids(c)).filter(isAlive).length === 0 ? true : undefined,
  );
  await unmountUnder(node.root);
}
