/**
 * Root-namespace networking: one bridge per lab (its address is how this
 * process reaches the hosts), one network namespace and veth pair per host.
 * Everything is done in one `ip -batch` call; hosts configure their own side
 * (address, lo, eth0 up) from their init.
 */
import { existsSync } from 'node:fs';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { bridgeNameOf, PREFIX, sliceOrder, SLICES } from './addresses.ts';
import { commandFailed, must, run, runSync } from './run.ts';
import type { LabState } from './types.ts';

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** Slices whose addresses are already on some interface of the root namespace. */
async function slicesInUse(): Promise<Set<number>> {
  const r = await must('ip', ['-o', '-4', 'addr', 'show']);
  const used = new Set<number>();
  for (const m of r.stdout.matchAll(/inet (198)\.(18|19)\.(\d+)\.\d+\//g)) {
    used.add((Number(m[2]) - 18) * 64 + Math.floor(Number(m[3]) / 4));
  }
  return used;
}

/** Reserve a free slice for lab `name` by creating its bridge. */
export async function reserveSlice(name: string): Promise<number> {
  const used = await slicesInUse();
  for (const slice of sliceOrder(name)) {
    if (used.has(slice) || linkExists(bridgeNameOf(slice))) continue;
    const r = await run('ip', ['link', 'add', bridgeNameOf(slice), 'type', 'bridge']);
    if (r.code === 0) return slice;
    if (!/exists/i.test(r.stderr)) throw commandFailed('ip', ['link', 'add', bridgeNameOf(slice)], r);
  }
  throw new FleetError('E_USAGE', `lab: all ${SLICES} address slices of 198.18.0.0/15 are in use`, {
    hint: 'tear down labs you no longer need: npm run lab:down -- --all',
  });
}

/** Bridge address and up; per host: netns, veth pair (host end named eth0 inside), on the bridge, up. */
export async function setupNetwork(state: LabState): Promise<void> {
  const lines = [
    `addr replace ${state.bridgeAddress}/${PREFIX} dev ${state.bridge}`,
    `link set ${state.bridge} up`,
  ];
  for (const h of state.hosts) {
    lines.push(`netns add ${h.netns}`);
    lines.push(`link add ${h.veth} type veth peer name eth0 netns ${h.netns}`);
    lines.push(`link set ${h.veth} master ${state.bridge} up`);
  }
  await must('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** Delete namespaces, veths and the bridge that still exist. Never throws; returns what failed. */
export function teardownNetworkSync(state: Pick<LabState, 'bridge' | 'hosts'>): string[] {
  const lines: string[] = [];
  for (const h of state.hosts) {
    if (linkExists(h.veth)) lines.push(`link del ${h.veth}`);
    if (netnsExists(h.netns)) lines.push(`netns del ${h.netns}`);
  }
  if (state.bridge && linkExists(state.bridge)) lines.push(`link del ${state.bridge}`);
  if (lines.length > 0) runSync('ip', ['-force', '-batch', '-'], `${lines.join('\n')}\n`);
  const left: string[] = [];
  for (const h of state.hosts) {
    if (netnsExists(h.netns)) left.push(`netns ${h.netns}`);
    if (linkExists(h.veth)) left.push(`link ${h.veth}`);
  }
  if (state.bridge && linkExists(state.bridge)) left.push(`link ${state.bridge}`);
  return left;
}

export async function setLink(veth: string, up: boolean): Promise<void> {
  await must('ip', ['link', 'set', veth, up ? 'up' : 'down']);
}
