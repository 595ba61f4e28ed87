/**
 * A lab of nodes booting real systemd under systemd-nspawn: overlay roots over
 * a cached Debian rootfs, a host bridge, static addresses in 198.19.x.0/24,
 * sshd with per-node host keys, an Ansible-layout inventory.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { cgroupPids, labCgroupDirs, nodeCgroupDirs } from './cgroups.ts';
import { bridgeName, bridgePorts, createBridge, planBridge } from './bridge.ts';
import { writeInventory } from './inventory.ts';
import { ed25519, knownHostsText, writeKeyPair } from '../keys.ts';
import { prepareNode, startNode, waitBooted, type BootTimings } from './node.ts';
import { isAlive, run, type RunResult } from './proc.ts';
import { ensureRootfs, type RootfsOptions } from './rootfs.ts';
import { defaultLabDir, loadState, saveState, type LabState, type NodeState } from './state.ts';
import { downLab } from './teardown.ts';

export interface SystemdLabOptions {
  /** Lab name: lowercase letters, digits, '-'; part of machine, bridge and cgroup names. */
  name: string;
  nodes: Array<{ name: string; groups?: string[] }>;
  /** Lab directory (keys, inventory, node overlays, state.json). Default /var/tmp/fleet-nspawn-lab/<name>. */
  dir?: string;
  /** Per node, from nspawn start to running/degraded. Default 120 s. */
  bootTimeoutMs?: number;
  rootfs?: RootfsOptions;
  /** Progress and timing lines (default: stderr). */
  log?: (line: string) => void;
}

export interface SystemdLabNode {
  name: string;
  machine: string;
  groups: string[];
  address: string;
  /** Host PID of the container's PID 1 (systemd). */
  leaderPid: number;
  nspawnPid: number;
  /** The overlay mount nspawn boots (host path of the node's /). */
  root: string;
  /** The node's own cgroups on the host (cgroup2 and v1 name=systemd); its units live under `payload/`. */
  cgroups: string[];
  /** Host-side veth on the lab bridge. */
  veth?: string;
  boot: BootTimings;
}

export interface SystemdLab {
  name: string;
  dir: string;
  nodes: SystemdLabNode[];
  inventoryPath: string;
  knownHostsPath: string;
  keyPath: string;
  bridge: string;
  /** The host's address on the lab bridge. */
  hostAddress: string;
  /** Run a /bin/sh script inside a node (nsenter into its PID 1's namespaces), no SSH involved. */
  exec(node: string | SystemdLabNode, script: string, options?: { timeoutMs?: number; input?: string }): Promise<RunResult>;
  /** Stop every node and remove all the lab made. Idempotent. */
  down(): Promise<void>;
}

const NAME_RE = /^[a-z][a-z0-9-]{0,23}$/;

function validate(options: SystemdLabOptions): void {
  const bad = (m: string): never => {
    throw new FleetError('E_USAGE', `nspawn lab: ${m}`);
  };
  if (!NAME_RE.test(options.name)) bad(`invalid lab name '${options.name}' (${NAME_RE})`);
  if (options.nodes.length === 0 || options.nodes.length > 200) bad('between 1 and 200 nodes');
  const seen = new Set<string>();
  for (const n of options.nodes) {
    if (!NAME_RE.test(n.name)) bad(`invalid node name '${n.name}' (${NAME_RE})`);
    if (seen.has(n.name)) bad(`node '${n.name}' listed twice`);
    seen.add(n.name);
    for (const g of n.groups ?? []) if (!/^[A-Za-z0-9_]+$/.test(g)) bad(`invalid group name '${g}'`);
  }
  if (process.getuid?.() !== 0) bad('must run as root');
}

/** The host end of the node's veth: the host link whose ifindex is host0's peer (`host0@ifN`). */
async function hostVeth(node: NodeState): Promise<string | undefined> {
  const r = await run('nsenter', ['-t', String(node.leaderPid), '-n', 'ip', '-o', 'link', 'show', 'host0']);
  const index = /host0@if(\d+)/.exec(r.stdout)?.[1];
  if (!index) return undefined;
  for (const link of readdirSync('/sys/class/net')) {
    try {
      if (readFileSync(`/sys/class/net/${link}/ifindex`, 'utf8').trim() === index) return link;
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** Boot the nodes in parallel; on any failure everything started is torn down before throwing. */
export async function createSystemdLab(options: SystemdLabOptions): Promise<SystemdLab> {
  validate(options);
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const dir = resolve(options.dir ?? defaultLabDir(options.name));
  const stale = loadState(dir);
  if (stale && stale.ownerPid !== process.pid && isAlive(stale.ownerPid)) {
    throw new FleetError('E_LOCKED', `nspawn lab ${options.name} in ${dir} is in use by process ${stale.ownerPid}`, {
      hint: 'use another name, or take it down: tsx test/lab/nspawn/cli.ts down --name ' + options.name,
    });
  }
  if (stale) {
    log(`nspawn lab ${options.name}: cleaning up a previous run left in ${dir}`);
    await downLab(stale);
  }
  // Bridge and cgroups are named after the lab: a live lab of that name elsewhere must not be touched.
  const busy = [...new Set(labCgroupDirs(options.name).flatMap((c) => cgroupPids(c)))];
  const ports = await bridgePorts(bridgeName(options.name));
  if (busy.length > 0 || ports.length > 0) {
    throw new FleetError('E_LOCKED', `an nspawn lab named ${options.name} is running (processes ${busy.join(' ') || '-'}, ` +
      `links ${ports.join(' ') || '-'})`, { hint: 'use another name, or take that lab down first' });
  }
  const t0 = Date.now();
  const rootfs = await ensureRootfs({ log, ...options.rootfs });
  const tRootfs = Date.now() - t0;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const plan = await planBridge(options.name);
  const subnet = `198.19.${plan.octet}`;
  const state: LabState = {
    version: 1, name: options.name, ownerPid: process.pid, dir, rootfs,
    bridge: plan.bridge, hostAddress: plan.hostAddress, subnet: `${subnet}.0/24`,
    nodes: options.nodes.map((n, i): NodeState => {
      const machine = `${options.name}-${n.name}`;
      const ndir = join(dir, 'nodes', n.name);
      return {
        name: n.name, machine, groups: n.groups ?? [], address: `${subnet}.${11 + i}`,
        dir: ndir, root: join(ndir, 'root'), cgroups: nodeCgroupDirs(options.name, machine),
      };
    }),
  };
  saveState(state);
  const keyPath = join(dir, 'id_ed25519');
  const knownHostsPath = join(dir, 'known_hosts');
  const inventoryPath = join(dir, 'inventory.yaml');
  const timings = new Map<string, BootTimings>();
  try {
    await createBridge(plan);
    const client = ed25519(`fleet-nspawn-lab-${options.name}`);
    writeKeyPair(keyPath, client);
    const hostKeys = await Promise.all(state.nodes.map((n) => prepareNode(state, n, client.public)));
    writeFileSync(knownHostsPath, knownHostsText(state.nodes.map((n, i) => ({ address: n.address, hostKey: hostKeys[i]! }))));
    writeInventory(inventoryPath, state.nodes, { keyPath, knownHostsPath });
    const tBoot = Date.now();
    for (const n of state.nodes) n.nspawnPid = startNode(state, n);
    saveState(state);
    const timeout = options.bootTimeoutMs ?? 120_000;
    await Promise.all(state.nodes.map(async (n) => {
      timings.set(n.name, await waitBooted(n, tBoot, timeout));
      saveState(state);
    }));
    for (const n of state.nodes) n.veth = await hostVeth(n);
    saveState(state);
    const bootMs = Date.now() - tBoot;
    for (const n of state.nodes) {
      const t = timings.get(n.name)!;
      log(`nspawn lab ${options.name}: ${n.name} ${n.address} pid1 ${t.leaderMs} ms, sshd ${t.sshMs} ms, ${t.state} ${t.runningMs} ms`);
    }
    log(`nspawn lab ${options.name}: ${state.nodes.length} nodes up in ${(bootMs / 1000).toFixed(1)} s ` +
      `(rootfs ready in ${(tRootfs / 1000).toFixed(1)} s)`);
  } catch (e) {
    await downLab(state).catch((d: unknown) => log(`nspawn lab ${options.name}: teardown after failure failed: ${String(d)}`));
    throw e;
  }
  return labHandle(state, { keyPath, knownHostsPath, inventoryPath }, timings);
}

function labHandle(
  state: LabState,
  paths: { keyPath: string; knownHostsPath: string; inventoryPath: string },
  timings: Map<string, BootTimings>,
): SystemdLab {
  const nodes: SystemdLabNode[] = state.nodes.map((n) => ({
    name: n.name, machine: n.machine, groups: n.groups, address: n.address,
    leaderPid: n.leaderPid!, nspawnPid: n.nspawnPid!, root: n.root, cgroups: n.cgroups,
    ...(n.veth ? { veth: n.veth } : {}), boot: timings.get(n.name)!,
  }));
  const find = (node: string | SystemdLabNode): SystemdLabNode => {
    const name = typeof node === 'string' ? node : node.name;
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new FleetError('E_USAGE', `no node '${name}' in nspawn lab ${state.name}`);
    return n;
  };
  let downing: Promise<void> | undefined;
  return {
    name: state.name, dir: state.dir, nodes, ...paths, bridge: state.bridge, hostAddress: state.hostAddress,
    exec: (node, script, options = {}) =>
      run('nsenter', ['-t', String(find(node).leaderPid), '-a', '/bin/sh', '-c', script], {
        timeoutMs: options.timeoutMs ?? 60_000,
        ...(options.input !== undefined ? { input: options.input } : {}),
      }),
    down: () => (downing ??= downLab(state)),
  };
}

/** Create a lab, run fn, always tear the lab down (also when fn or the boot fails). */
export async function withSystemdLab<T>(options: SystemdLabOptions, fn: (lab: SystemdLab) => Promise<T>): Promise<T> {
  const lab = await createSystemdLab(options);
  try {
    return await fn(lab);
  } finally {
    await lab.down();
  }
}

/** Tear down the lab saved in `dir` (default dir for `name`); nothing to do when there is none. */
export async function downSystemdLab(target: { name?: string; dir?: string }): Promise<boolean> {
  if (!target.dir && !target.name) throw new FleetError('E_USAGE', 'nspawn lab: give a name or a dir');
  const dir = resolve(target.dir ?? defaultLabDir(target.name!));
  const state = loadState(dir);
  if (!state) return false;
  await downLab(state);
  return true;
}
