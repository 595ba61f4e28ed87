/** createLab: bring N light hosts up, in parallel. */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FleetError } from '../../src/errors/fleet-error.ts';
import {
  bridgeAddressOf, bridgeNameOf, hostAddressOf, MAX_HOSTS, NAME_RE, netnsNameOf, PREFIX, subnetOf, vethNameOf,
} from './addresses.ts';
import { bootHost } from './boot.ts';
import { guardLab } from './exit-guard.ts';
import { hostsFileText, prepareHostFs } from './host-fs.ts';
import { inventoryText, defaultGroups } from './inventory.ts';
import { ed25519, knownHostsText, writeKeyPair, type KeyPair } from './keys.ts';
import { Lab } from './lab.ts';
import { reserveSlice, setupNetwork, teardownNetworkSync } from './netns.ts';
import { pidsInNetns, signal, waitGoneSync } from './procs.ts';
import { readState, teardownOwnSync, teardownSync, writeState, LAB_MARKER } from './state.ts';
import { writeBaseEtc } from './users.ts';
import type { LabHost, LabOptions, LabState, ProcRef } from './types.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

export function defaultLabDir(name: string): string {
  return join(REPO_ROOT, '.lab', name);
}

const FORBIDDEN = ['/etc', '/usr', '/var', '/proc', '/sys', '/dev'];

function checkOptions(options: LabOptions): string {
  if (!NAME_RE.test(options.name)) {
    throw new FleetError('E_USAGE', `lab: bad name '${options.name}'`, { hint: 'use [a-z][a-z0-9-]{0,31}' });
  }
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_HOSTS) {
    throw new FleetError('E_USAGE', `lab: hosts must be an integer from 1 to ${MAX_HOSTS}, got ${options.hosts}`);
  }
  if (process.getuid?.() !== 0) throw new FleetError('E_USAGE', 'lab: must run as root (network and mount namespaces)');
  for (const bin of ['/usr/sbin/sshd', '/usr/bin/nsenter', '/usr/bin/unshare', '/usr/bin/openssl']) {
    if (!existsSync(bin)) {
      throw new FleetError('E_USAGE', `lab: ${bin} is missing`, { hint: 'run .ci/run, or apt-get install openssh-server util-linux openssl' });
    }
  }
  const dir = resolve(options.dir ?? defaultLabDir(options.name));
  let anchor = dirname(dir);
  while (!existsSync(anchor)) anchor = dirname(anchor);
  const real = join(realpathSync(anchor), dir.slice(anchor.length));
  if (FORBIDDEN.some((f) => real === f || real.startsWith(`${f}/`)) || real === '/') {
    throw new FleetError('E_USAGE', `lab: the lab dir ${dir} cannot be under ${FORBIDDEN.join(', ')} (hosts overlay them)`);
  }
  return dir;
}

/** Kill and delete network namespaces `<name>-hN` left without a state file. */
function removeStrayNamespaces(name: string): void {
  const re = new RegExp(`^${name}-h\\d+$`);
  const stray = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => re.test(n)) : [];
  for (const ns of stray) {
    const procs = pidsInNetns(ns);
    signal(procs, 'SIGKILL');
    waitGoneSync(procs, 5000);
  }
  if (stray.length > 0) teardownNetworkSync({ bridge: '', hosts: stray.map((netns) => ({ name: netns, address: '', netns, veth: '', procs: [] })) });
}

function planHosts(dir: string, name: string, slice: number, n: number): LabHost[] {
  return Array.from({ length: n }, (_, i) => {
    const hostDir = join(dir, 'hosts', `h${i + 1}`);
    return {
      name: `h${i + 1}`,
      address: hostAddressOf(slice, i + 1),
      netns: netnsNameOf(name, i + 1),
      veth: vethNameOf(slice, i + 1),
      pid: 0,
      initPid: 0,
      holderPid: 0,
      dir: hostDir,
      upperDir: join(hostDir, 'upper'),
      fsDir: join(hostDir, 'fs'),
      logPath: join(hostDir, 'init.log'),
    };
  });
}

/**
 * Bring a lab up. A lab of the same name (same dir) left running is torn down
 * first. On failure everything created so far is torn down and the error is thrown.
 */
export async function createLab(options: LabOptions): Promise<Lab> {
  const dir = checkOptions(options);
  const stale = readState(dir);
  if (stale) teardownSync(stale);
  removeStrayNamespaces(options.name);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, LAB_MARKER))) {
    throw new FleetError('E_USAGE', `lab: ${dir} exists and is not a lab directory`);
  }
  mkdirSync(join(dir, 'hosts'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, LAB_MARKER), `${options.name}\n`);
  const slice = await reserveSlice(options.name);
  const hosts = planHosts(dir, options.name, slice, options.hosts);
  const state: LabState = {
    version: 1,
    id: randomUUID(),
    name: options.name,
    dir,
    slice,
    subnet: subnetOf(slice),
    bridge: bridgeNameOf(slice),
    bridgeAddress: bridgeAddressOf(slice),
    prefix: PREFIX,
    hosts: hosts.map((h) => ({ name: h.name, address: h.address, netns: h.netns, veth: h.veth, procs: [] })),
    createdAt: new Date().toISOString(),
  };
  writeState(state);
  const unguard = options.teardownOnExit ? guardLab({ name: state.name, downSync: () => teardownOwnSync(state) }) : null;
  try {
    const lab = await bringUp(options, state, hosts);
    lab.onDown = unguard;
    return lab;
  } catch (e) {
    unguard?.();
    try {
      teardownSync(state);
    } catch (t) {
      process.stderr.write(`${(t as Error).message}\n`);
    }
    throw e;
  }
}

/** Boot every host in parallel; the first failure stops the others waiting and is thrown. */
async function bootAll(hosts: LabHost[], deadline: number): Promise<ProcRef[][]> {
  const abort = new AbortController();
  const results = await Promise.allSettled(hosts.map((h) => bootHost(h, PREFIX, deadline, abort.signal).catch((e: unknown) => {
    if (!abort.signal.aborted) abort.abort(e);
    throw e;
  })));
  if (abort.signal.aborted) throw abort.signal.reason;
  return results.map((r) => (r as PromiseFulfilledResult<ProcRef[]>).value);
}

async function bringUp(options: LabOptions, state: LabState, hosts: LabHost[]): Promise<Lab> {
  const { dir } = state;
  const keyPath = join(dir, 'id_ed25519');
  const inventory = inventoryText(hosts, keyPath, options.groups ?? defaultGroups(hosts), options.vars);
  const client = ed25519(`fleet-lab-${state.name}`);
  writeKeyPair(keyPath, client);
  const users = await writeBaseEtc(join(dir, 'base'), `${client.public}\n`);
  const hostKeys = new Map<string, KeyPair>(hosts.map((h) => [h.name, ed25519(`root@${h.name}`)]));
  const hostsFile = hostsFileText(hosts);
  for (const h of hosts) {
    prepareHostFs({ dir: h.dir, name: h.name, address: h.address, hostKey: hostKeys.get(h.name) as KeyPair, hostsFile, users });
  }
  await setupNetwork(state);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const procs = await bootAll(hosts, deadline);
  hosts.forEach((h, i) => {
    state.hosts[i].procs = procs[i];
  });
  writeState(state);
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, knownHostsText(hosts.map((h) => ({ address: h.address, hostKey: hostKeys.get(h.name) as KeyPair }))), { mode: 0o644 });
  const inventoryPath = join(dir, 'inventory.yaml');
  writeFileSync(inventoryPath, inventory, { mode: 0o644 });
  return new Lab(state, hosts, { dir, inventoryPath, knownHostsPath, keyPath }, users);
}
