/**
 * The scale lab's network: the slice's bridge in the root namespace (reserved
 * by test/lab's reserveSlice, with the slice's .1), ONE network namespace with
 * one veth pair into that bridge, and every host address on the namespace's
 * eth0. Two `ip -batch` calls: the links, then all the addresses.
 */
import { PREFIX } from '../../test/lab/addresses.ts';
import { teardownNetworkSync } from '../../test/lab/netns.ts';
import { must } from '../../test/lab/run.ts';
import type { ScaleLabState } from './lab-types.ts';

/** Root-namespace end of the veth pair: fl<slice>scale (at most 10 characters). */
export function scaleVethName(slice: number): string {
  return `fl${slice}scale`;
}

export function scaleNetnsName(lab: string): string {
  return `${lab}-ns`;
}

/** Bridge address and up, the namespace, the veth pair (eth0 inside) on the bridge. */
export async function setupScaleLinks(state: ScaleLabState): Promise<void> {
  const lines = [
    `addr replace ${state.bridgeAddress}/${PREFIX} dev ${state.bridge}`,
    `link set ${state.bridge} up`,
    `netns add ${state.netns}`,
    `link add ${state.veth} type veth peer name eth0 netns ${state.netns}`,
    `link set ${state.veth} master ${state.bridge} up`,
  ];
  await must('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** lo and eth0 up in the namespace, and every host address on eth0 (one call). */
export async function addHostAddresses(netns: string, addresses: readonly string[]): Promise<void> {
  const lines = ['link set lo up', 'link set eth0 up', ...addresses.map((a) => `addr add ${a}/${PREFIX} dev eth0`)];
  await must('ip', ['-n', netns, '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 120_000 });
}

/** Delete the veth, namespace and bridge that still exist. Never throws; returns what is left. */
export function teardownScaleNetworkSync(state: Pick<ScaleLabState, 'bridge' | 'netns' | 'veth'>): string[] {
  return teardownNetworkSync({
    bridge: state.bridge,
    hosts: [{ name: state.netns, address: '', netns: state.netns, veth: state.veth, procs: [] }],
  });
}
