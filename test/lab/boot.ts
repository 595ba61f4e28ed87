/** Bringing one host (or only its sshd) up and finding its processes. */
import { readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { innerSshdPid, readLog, spawnHost, sshdCommand } from './host-init.ts';
import { isGone, netnsInode, nsPids, outerPid, pidsInNetns, procRef } from './procs.ts';
import { must, sleep } from './run.ts';
import type { LabHost, ProcRef } from './types.ts';

/** One TCP connect attempt from the root namespace. */
export function tcpAccepts(address: string, port = 22, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

/** Poll until the port accepts; fail early when `failed()` says why it never will, or when aborted. */
export async function waitPort(host: LabHost, deadline: number, failed: () => string | null, abort?: AbortSignal): Promise<void> {
  for (;;) {
    if (abort?.aborted) throw new FleetError('E_INTERNAL', `lab: bring-up of ${host.name} abandoned`, { host: host.name });
    if (await tcpAccepts(host.address, 22, Math.max(50, Math.min(1000, deadline - Date.now())))) return;
    const why = failed();
    if (why !== null) {
      throw new FleetError('E_INTERNAL', `lab: host ${host.name} did not come up: ${why}`, { hint: readLog(host) || undefined, host: host.name });
    }
    if (Date.now() >= deadline) {
      throw new FleetError('E_TIMEOUT', `lab: sshd of ${host.name} (${host.address}:22) does not accept connections`, {
        hint: readLog(host) || undefined,
        host: host.name,
      });
    }
    await sleep(25);
  }
}

/** The host's own long-lived processes: holder, init and listening sshd (those running). */
export function coreProcs(host: LabHost): ProcRef[] {
  return [host.holderPid, host.initPid, host.pid]
    .filter((pid) => pid > 0)
    .map((pid) => procRef(pid))
    .filter((r): r is ProcRef => r !== null && !isGone(r));
}

/** Fill in initPid, holderPid (0 when gone) and the sshd PID (0 when not running); returns coreProcs. */
export async function resolvePids(host: LabHost, deadline: number): Promise<ProcRef[]> {
  for (;;) {
    const procs = pidsInNetns(host.netns);
    const init = procs.find((p) => {
      const ids = nsPids(p.pid);
      return ids.length === 2 && ids[1] === 1;
    });
    host.initPid = init?.pid ?? 0;
    const holder = procs.find((p) => p.pid === host.holderPid);
    if (!holder) host.holderPid = 0;
    const inner = innerSshdPid(host);
    host.pid = inner ? outerPid(procs, inner, 'sshd') : 0;
    if ((host.pid && host.initPid) || Date.now() >= deadline) return coreProcs(host);
    await sleep(20);
  }
}

/** Start the host from nothing (first boot, or after killHost): init, mounts, sshd. */
export async function bootHost(host: LabHost, prefix: number, deadline: number, abort?: AbortSignal): Promise<ProcRef[]> {
  const child = spawnHost(host, prefix);
  let exit: string | null = null;
  child.once('exit', (code, sig) => {
    exit = `its init exited (${sig ?? `code ${code}`})`;
  });
  child.once('error', (e) => {
    exit = e.message;
  });
  host.holderPid = child.pid ?? 0;
  await waitPort(host, deadline, () => exit, abort);
  const procs = await resolvePids(host, deadline);
  if (!host.pid || !host.initPid) {
    throw new FleetError('E_INTERNAL', `lab: cannot find the processes of ${host.name}`, { host: host.name });
  }
  return procs;
}

/** Start sshd again in a host whose init is running. */
export async function restartSshd(host: LabHost, deadline: number): Promise<ProcRef[]> {
  await must('nsenter', sshdCommand(host.initPid));
  await waitPort(host, deadline, () => null);
  return resolvePids(host, deadline);
}

/** Is the host's init (and so its namespaces) still running? */
export function hostAlive(host: LabHost): boolean {
  if (!host.initPid) return false;
  const ref = procRef(host.initPid);
  if (ref === null || isGone(ref)) return false;
  try {
    return readlinkSync(`/proc/${host.initPid}/ns/net`) === `net:[${netnsInode(host.netns)}]`;
  } catch {
    return false;
  }
}
