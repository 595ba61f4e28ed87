/** A running lab: its hosts and what tests do to them. Created by createLab (create.ts). */
import { readFileSync } from 'node:fs';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { PREFIX } from './addresses.ts';
import { bootHost, coreProcs, hostAlive, resolvePids, restartSshd } from './boot.ts';
import { setLink } from './netns.ts';
import { isGone, pidsInNetns, procRef, signal, waitGone } from './procs.ts';
import { run, sleep } from './run.ts';
import { snapshotTree, DEFAULT_SNAPSHOT_DIRS, type SnapshotOptions } from './snapshot.ts';
import { readState, teardownOwnSync, writeState } from './state.ts';
import type { LabUser } from './users.ts';
import type { ExecResult, LabExecOptions, LabHost, LabState, ProcRef } from './types.ts';

export type HostRef = LabHost | string;

export interface LabPaths {
  dir: string;
  inventoryPath: string;
  knownHostsPath: string;
  keyPath: string;
}

const STEP_TIMEOUT_MS = 20_000;

export class Lab {
  readonly name: string;
  readonly dir: string;
  readonly hosts: LabHost[];
  readonly inventoryPath: string;
  readonly knownHostsPath: string;
  /** Client private key (OpenSSH ed25519); its .pub is next to it. Every lab user accepts it. */
  readonly keyPath: string;
  /** The lab's /22 in 198.18.0.0/15, the bridge and its address (how this process reaches the hosts). */
  readonly subnet: string;
  readonly bridge: string;
  readonly bridgeAddress: string;
  readonly users: LabUser[];
  private readonly state: LabState;
  private isDown = false;
  /** Called once after teardown (unregisters the exit safety net). */
  onDown: (() => void) | null = null;

  constructor(state: LabState, hosts: LabHost[], paths: LabPaths, users: LabUser[]) {
    this.state = state;
    this.name = state.name;
    this.dir = paths.dir;
    this.hosts = hosts;
    this.inventoryPath = paths.inventoryPath;
    this.knownHostsPath = paths.knownHostsPath;
    this.keyPath = paths.keyPath;
    this.subnet = state.subnet;
    this.bridge = state.bridge;
    this.bridgeAddress = state.bridgeAddress;
    this.users = users;
  }

  /** True once down() has run. */
  get isTornDown(): boolean {
    return this.isDown;
  }

  host(ref: HostRef): LabHost {
    const name = typeof ref === 'string' ? ref : ref.name;
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new FleetError('E_USAGE', `lab ${this.name} has no host '${name}'`);
    return h;
  }

  /** Run a bash script as root inside the host (its mount, UTS, network and PID namespaces), not through ssh. */
  async exec(ref: HostRef, script: string, options: LabExecOptions = {}): Promise<ExecResult> {
    const h = this.running(ref);
    return run('nsenter', ['-t', String(h.initPid), '-m', '-u', '-n', '-p', '-r', '-w', '/bin/bash', '-c', script], {
      input: options.input,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
  }

  /** Stop the host's listening sshd (SIGTERM, then SIGKILL); open sessions stay, like `systemctl stop ssh`. */
  async stopSshd(ref: HostRef): Promise<void> {
    const h = this.running(ref);
    if (!h.pid) await resolvePids(h, Date.now());
    const sshd = h.pid ? procRef(h.pid) : null;
    if (sshd) {
      signal([sshd], 'SIGTERM');
      if ((await waitGone([sshd], 5000)).length > 0) {
        signal([sshd], 'SIGKILL');
        await waitGone([sshd], 5000);
      }
    }
    h.pid = 0;
    this.record(h, coreProcs(h));
  }

  /** Start sshd again with the same config and keys; after killHost, boot the whole host again (like a reboot). */
  async startSshd(ref: HostRef): Promise<void> {
    const h = this.host(ref);
    this.assertUp();
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    let procs: ProcRef[];
    if (!hostAlive(h)) {
      procs = await bootHost(h, PREFIX, deadline);
    } else {
      await resolvePids(h, Date.now());
      if (h.pid) return; // already running
      procs = await restartSshd(h, deadline);
    }
    this.record(h, procs);
  }

  /** SIGKILL every process of the host (everything in its network namespace), like pulling the plug. */
  async killHost(ref: HostRef): Promise<void> {
    const h = this.host(ref);
    const procs = pidsInNetns(h.netns);
    signal(procs, 'SIGKILL');
    const left = await waitGone(procs, 10_000);
    if (left.length > 0) throw new FleetError('E_INTERNAL', `lab: processes ${left.map((p) => p.pid).join(' ')} of ${h.name} survive SIGKILL`);
    h.pid = 0;
    h.initPid = 0;
    h.holderPid = 0;
    this.record(h, []);
  }

  /** Take the host's link down (root side of its veth): packets are dropped, connections hang. */
  async linkDown(ref: HostRef): Promise<void> {
    await setLink(this.host(ref).veth, false);
  }

  /** Bring the link back and wait until the bridge forwards on it. */
  async linkUp(ref: HostRef): Promise<void> {
    const h = this.host(ref);
    await setLink(h.veth, true);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && readFileSync(`/sys/class/net/${h.veth}/brport/state`, 'utf8').trim() !== '3') await sleep(20);
  }

  /** path -> "type mode uid gid sha256|target" for everything under `dirs` inside the host (see snapshot.ts). */
  async snapshot(ref: HostRef, dirs: string[] = DEFAULT_SNAPSHOT_DIRS, options: SnapshotOptions = {}): Promise<Map<string, string>> {
    const h = this.running(ref);
    return snapshotTree(`/proc/${h.initPid}/root`, dirs, options);
  }

  /** Kill everything, delete namespaces, veths, bridge and the lab dir. Idempotent. */
  async down(): Promise<void> {
    this.downSync();
  }

  downSync(): void {
    if (this.isDown) return;
    teardownOwnSync(this.state);
    this.isDown = true;
    this.onDown?.();
  }

  private running(ref: HostRef): LabHost {
    const h = this.host(ref);
    this.assertUp();
    if (!hostAlive(h)) throw new FleetError('E_USAGE', `lab: host ${h.name} is not running (killed?); startSshd boots it again`);
    return h;
  }

  private assertUp(): void {
    if (this.isDown) throw new FleetError('E_USAGE', `lab ${this.name} is down`);
  }

  /** Remember the host's processes in state.json, so a crash can still be cleaned up. */
  private record(h: LabHost, procs: ProcRef[]): void {
    const entry = this.state.hosts.find((x) => x.name === h.name);
    if (!entry) return;
    const known = new Map(entry.procs.filter((p) => !isGone(p)).map((p) => [p.pid, p]));
    for (const p of procs) known.set(p.pid, p);
    entry.procs = [...known.values()];
    if (readState(this.dir)?.id === this.state.id) writeState(this.state);
  }
}
