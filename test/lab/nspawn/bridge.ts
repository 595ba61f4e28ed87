/** The lab's host bridge: nspawn attaches each node's veth (vb-*) to it. */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { run, runOk } from './proc.ts';

/**
 * Node subnets come from 198.19.128.0/17, one /24 per lab, never one already
 * on a host interface (the light lab's network-namespace hosts live lower in
 * 198.18.0.0/15).
 */
export const SUBNET_FIRST = 128;
export const SUBNET_LAST = 254;

export interface BridgePlan {
  bridge: string;
  /** Third octet: the lab is 198.19.<octet>.0/24. */
  octet: number;
  /** The host's address on the bridge, 198.19.<octet>.1. */
  hostAddress: string;
}

/** A bridge name (IFNAMSIZ 15) derived from the lab name. */
export function bridgeName(lab: string): string {
  const plain = `fnb-${lab}`;
  if (plain.length <= 15 && /^[a-z0-9-]+$/.test(plain)) return plain;
  return `fnb-${createHash('sha256').update(lab).digest('hex').slice(0, 8)}`;
}

/**
 * 198.19.x.0/24 octets that overlap a network already on a host interface
 * (the light lab's /22 slices cover four of them; a /15 covers all).
 */
export function usedOctets(ipAddrText: string): Set<number> {
  const used = new Set<number>();
  for (const m of ipAddrText.matchAll(/inet (\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)/g)) {
    const addr = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
    const len = Number(m[5]);
    const size = 2 ** (32 - len);
    const first = Math.floor(addr / size) * size;
    for (let octet = 0; octet < 256; octet++) {
      const lo = ((198 << 24) | (19 << 16) | (octet << 8)) >>> 0;
      if (lo + 255 >= first && lo <= first + size - 1) used.add(octet);
    }
  }
  return used;
}

/** Choose a free /24 (a stable first choice per lab name) and the bridge's name. */
export async function planBridge(lab: string): Promise<BridgePlan> {
  const used = usedOctets(await runOk('ip', ['-4', '-o', 'addr', 'show']));
  const span = SUBNET_LAST - SUBNET_FIRST + 1;
  const start = createHash('sha256').update(lab).digest().readUInt32BE(0) % span;
  for (let i = 0; i < span; i++) {
    const octet = SUBNET_FIRST + ((start + i) % span);
    if (!used.has(octet)) return { bridge: bridgeName(lab), octet, hostAddress: `198.19.${octet}.1` };
  }
  throw new FleetError('E_INTERNAL', 'no free 198.19.x.0/24 for another nspawn lab');
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export async function createBridge(plan: BridgePlan): Promise<void> {
  if (linkExists(plan.bridge)) await deleteLink(plan.bridge);
  await runOk('ip', ['link', 'add', plan.bridge, 'type', 'bridge']);
  const v6 = `/proc/sys/net/ipv6/conf/${plan.bridge}/disable_ipv6`;
  if (existsSync(v6)) writeFileSync(v6, '1');
  await runOk('ip', ['addr', 'add', `${plan.hostAddress}/24`, 'dev', plan.bridge]);
  await runOk('ip', ['link', 'set', plan.bridge, 'up']);
}

/** Interfaces enslaved to the bridge (the nodes' host-side veths). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  if (!linkExists(bridge)) return [];
  const r = await run('ip', ['-o', 'link', 'show', 'master', bridge]);
  return [...r.stdout.matchAll(/^\d+:\s+([^:@\s]+)/gm)].map((m) => m[1]!);
}

export async function deleteLink(name: string): Promise<void> {
  if (!linkExists(name)) return;
  const r = await run('ip', ['link', 'del', name]);
  if (r.code !== 0 && linkExists(name)) {
    throw new FleetError('E_INTERNAL', `cannot delete link ${name}`, { hint: r.stderr.trim() });
  }
}
