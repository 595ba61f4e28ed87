/**
 * The scale lab (issue 5): N hosts as N addresses of one /22 of 198.18.0.0/15
 * in ONE network namespace, served by K sshd processes (host i: address i,
 * the port of sshd i mod K), each host with its own directory
 * `<lab dir>/hosts/<name>/` (its `host_root`). The hosts share this machine's
 * file system, so a playbook for them works under `{{ host_root }}` only.
 * Root only. Torn down by down(), on exit, SIGINT, SIGTERM and SIGHUP, or
 * later from its state file (`npm run bench:scale -- --down`).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { bridgeAddressOf, bridgeNameOf, hostAddressOf, MAX_HOSTS, NAME_RE, subnetOf } from '../../test/lab/addresses.ts';
import { guardLab } from '../../test/lab/exit-guard.ts';
import { ed25519, writeKeyPair } from '../../test/lab/keys.ts';
import { netnsExists, reserveSlice } from '../../test/lab/netns.ts';
import { pidsInNetns, signal, waitGoneSync } from '../../test/lab/procs.ts';
import type { ProcRef } from '../../test/lab/types.ts';
import { scaleInventoryText, scaleKnownHostsText } from './inventory.ts';
import { addHostAddresses, scaleNetnsName, scaleVethName, setupScaleLinks, teardownScaleNetworkSync } from './lab-net.ts';
import { authorizedKeysPath, hostKeyPath, rootHomePath, SSHD_BIN, sshdConfigPath, sshdConfigText, sshdPort, startSshd, waitSshd } from './lab-sshd.ts';
import { readScaleState, SCALE_LAB_MARKER, SCALE_LAB_ROOT, teardownOwnScaleSync, teardownScaleSync, writeScaleState } from './lab-state.ts';
import type { ScaleHost, ScaleLabOptions, ScaleLabState } from './lab-types.ts';

export { SCALE_LAB_ROOT };
export const MAX_SSHDS = 64;
const PRIVSEP_DIR = '/run/sshd';
const FORBIDDEN = ['/etc', '/usr', '/proc', '/sys', '/dev', '/boot', '/bin', '/sbin', '/lib', '/run'];

export function defaultScaleLabDir(name: string): string {
  return join(SCALE_LAB_ROOT, name);
}

export class ScaleLab {
  readonly name: string;
  readonly dir: string;
  readonly hosts: ScaleHost[];
  readonly netns: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly inventoryPath: string;
  readonly knownHostsPath: string;
  /** The client key (root accepts it); its .pub is next to it. */
  readonly keyPath: string;
  /** The host key every sshd presents (`ssh-ed25519 AAAA... comment`). */
  readonly hostKeyPublic: string;
  private readonly state: ScaleLabState;
  private unguard: (() => void) | null;
  private isDown = false;

  constructor(state: ScaleLabState, hosts: ScaleHost[], hostKeyPublic: string, unguard: (() => void) | null) {
    this.state = state;
    this.name = state.name;
    this.dir = state.dir;
    this.hosts = hosts;
    this.netns = state.netns;
    this.bridge = state.bridge;
    this.subnet = state.subnet;
    this.inventoryPath = join(state.dir, 'inventory.yaml');
    this.knownHostsPath = join(state.dir, 'known_hosts');
    this.keyPath = join(state.dir, 'id_ed25519');
    this.hostKeyPublic = hostKeyPublic;
    this.unguard = unguard;
  }

  /** The sshd processes (PID + start time), for adoptHostProcesses and for checking teardown. */
  get sshds(): ProcRef[] {
    return [...this.state.sshds];
  }

  get isTornDown(): boolean {
    return this.isDown;
  }

  /** Tear the lab down (idempotent); throws naming whatever could not be removed. */
  async down(): Promise<void> {
    if (this.isDown) return;
    teardownOwnScaleSync(this.state);
    this.isDown = true;
    this.unguard?.();
    this.unguard = null;
  }
}

function checkOptions(o: ScaleLabOptions): { dir: string; sshds: number } {
  if (!NAME_RE.test(o.name)) throw new FleetError('E_USAGE', `scale lab: bad name '${o.name}'`, { hint: 'use [a-z][a-z0-9-]{0,28}' });
  if (scaleNetnsName(o.name).length > 32) throw new FleetError('E_USAGE', `scale lab: name '${o.name}' is too long`);
  if (!Number.isInteger(o.hosts) || o.hosts < 1 || o.hosts > MAX_HOSTS) {
    throw new FleetError('E_USAGE', `scale lab: hosts must be a whole number from 1 to ${MAX_HOSTS}, got ${o.hosts}`);
  }
  const sshds = o.sshds ?? 4;
  if (!Number.isInteger(sshds) || sshds < 1 || sshds > MAX_SSHDS) {
    throw new FleetError('E_USAGE', `scale lab: sshds must be a whole number from 1 to ${MAX_SSHDS}, got ${sshds}`);
  }
  if (process.getuid?.() !== 0) throw new FleetError('E_USAGE', 'scale lab: must run as root (network namespaces)');
  for (const bin of [SSHD_BIN, '/usr/bin/nsenter', '/usr/bin/unshare', '/usr/bin/mount', '/usr/bin/mkfifo']) {
    if (!existsSync(bin)) throw new FleetError('E_USAGE', `scale lab: ${bin} is missing`, { hint: 'apt-get install openssh-server util-linux coreutils' });
  }
  const dir = resolve(o.dir ?? defaultScaleLabDir(o.name));
  let anchor = dirname(dir);
  while (!existsSync(anchor)) anchor = dirname(anchor);
  const real = join(realpathSync(anchor), dir.slice(anchor.length));
  if (real === '/' || FORBIDDEN.some((f) => real === f || real.startsWith(`${f}/`))) {
    throw new FleetError('E_USAGE', `scale lab: the lab dir ${dir} cannot be under ${FORBIDDEN.join(', ')}`);
  }
  return { dir, sshds };
}

/** A lab of the same name left without a state file: kill what runs in its namespace, delete its links. */
function removeStray(netns: string): void {
  if (!netnsExists(netns)) return;
  const procs = pidsInNetns(netns);
  signal(procs, 'SIGKILL');
  waitGoneSync(procs, 5000);
  teardownScaleNetworkSync({ bridge: '', netns, veth: '' });
}

export function planScaleHosts(dir: string, slice: number, n: number, k: number): ScaleHost[] {
  return Array.from({ length: n }, (_, i) => {
    const index = i + 1;
    const sshd = index % k;
    return { name: `h${index}`, index, address: hostAddressOf(slice, index), port: sshdPort(sshd), sshd, root: join(dir, 'hosts', `h${index}`) };
  });
}

/** Bring a scale lab up; a lab left in the same dir is torn down first. On failure everything is torn down. */
export async function createScaleLab(options: ScaleLabOptions): Promise<ScaleLab> {
  const { dir, sshds } = checkOptions(options);
  const stale = readScaleState(dir);
  if (stale) teardownScaleSync(stale);
  removeStray(scaleNetnsName(options.name));
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, SCALE_LAB_MARKER))) {
    throw new FleetError('E_USAGE', `scale lab: ${dir} exists and is not a scale lab directory`);
  }
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'hosts'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, SCALE_LAB_MARKER), `${options.name}\n`);
  const slice = await reserveSlice(options.name);
  const state: ScaleLabState = {
    version: 1,
    kind: 'fleet-scale-lab',
    id: randomUUID(),
    name: options.name,
    dir,
    slice,
    subnet: subnetOf(slice),
    bridge: bridgeNameOf(slice),
    bridgeAddress: bridgeAddressOf(slice),
    netns: scaleNetnsName(options.name),
    veth: scaleVethName(slice),
    hosts: options.hosts,
    sshds: [],
    createdAt: new Date().toISOString(),
  };
  writeScaleState(state);
  const unguard = options.teardownOnExit === false ? null : guardLab({ name: state.name, downSync: () => teardownOwnScaleSync(state) });
  try {
    return await bringUp(state, sshds, options.timeoutMs ?? 20_000, unguard);
  } catch (e) {
    unguard?.();
    try {
      teardownScaleSync(state);
    } catch (t) {
      process.stderr.write(`${(t as Error).message}\n`);
    }
    throw e;
  }
}

async function bringUp(state: ScaleLabState, k: number, timeoutMs: number, unguard: (() => void) | null): Promise<ScaleLab> {
  const { dir } = state;
  const hosts = planScaleHosts(dir, state.slice, state.hosts, k);
  const hostKey = ed25519(`root@${state.name}`);
  writeKeyPair(hostKeyPath(dir), hostKey);
  const client = ed25519(`fleet-scale-lab-${state.name}`);
  writeKeyPair(join(dir, 'id_ed25519'), client);
  writeFileSync(authorizedKeysPath(dir), `${client.public}\n`, { mode: 0o644 });
  for (let j = 0; j < k; j++) writeFileSync(sshdConfigPath(dir, j), sshdConfigText(dir, j), { mode: 0o644 });
  mkdirSync(rootHomePath(dir), { mode: 0o700 });
  // sshd's privilege separation directory (ssh.service creates it; it may not have run here).
  if (!existsSync(PRIVSEP_DIR)) mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
  for (const h of hosts) mkdirSync(h.root, { recursive: true, mode: 0o755 });

  await setupScaleLinks(state);
  await addHostAddresses(state.netns, hosts.map((h) => h.address));
  const deadline = Date.now() + timeoutMs;
  const started = [];
  for (let j = 0; j < k; j++) {
    const s = startSshd(state.netns, dir, j);
    started.push(s);
    state.sshds.push(s.ref);
    writeScaleState(state);
  }
  // Each sshd answers on every address; wait on the address of its first host (or the first host).
  await Promise.all(started.map((s, j) => waitSshd(s, dir, j, (hosts.find((h) => h.sshd === j) ?? hosts[0]!).address, deadline)));
  writeFileSync(join(dir, 'known_hosts'), scaleKnownHostsText(hosts, hostKey.public), { mode: 0o644 });
  writeFileSync(join(dir, 'inventory.yaml'), scaleInventoryText(hosts, join(dir, 'id_ed25519')), { mode: 0o644 });
  return new ScaleLab(state, hosts, hostKey.public, unguard);
}

