/**
 * Seeding the scale lab's hosts: every host directory gets the state
 * bench/scenario.ts's seedScript gives a light lab host, under its own root,
 * written straight to the local file system (all hosts share it): fast for
 * 500 hosts, and outside the timed region. The contents come from
 * scenario.ts; checkSeeded (end-state.ts) compares every host with
 * scenario.ts's seededFingerprint after each seeding.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLANNEL_CONF, FLANNELD_BYTES, KUBELET_ENV, SUBNET_ENV } from '../scenario.ts';

let flanneld: Buffer | undefined;
/** `yes flanneld | head -c FLANNELD_BYTES`. */
function flanneldBytes(): Buffer {
  flanneld ??= Buffer.from('flanneld\n'.repeat(Math.ceil(FLANNELD_BYTES / 9))).subarray(0, FLANNELD_BYTES);
  return flanneld;
}

function dir(path: string): void {
  mkdirSync(path, { recursive: true });
  chmodSync(path, 0o755);
}

function file(path: string, content: string | Buffer, mode: number): void {
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/** Put one host directory in the seeded state; whatever an earlier run left there is removed. */
export function seedHostRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
  dir(root);
  for (const d of ['opt/flannel/bin', 'etc/cni/net.d', 'etc/kubernetes']) {
    const parts = d.split('/');
    for (let i = 1; i <= parts.length; i++) dir(join(root, ...parts.slice(0, i)));
  }
  file(join(root, 'opt/flannel/subnet.env'), SUBNET_ENV, 0o644);
  file(join(root, 'opt/flannel/bin/flanneld'), flanneldBytes(), 0o755);
  file(join(root, 'etc/cni/net.d/10-flannel.conflist'), FLANNEL_CONF, 0o644);
  file(join(root, 'etc/kubernetes/kubelet.env'), KUBELET_ENV, 0o644);
}

/** Seed every host directory. */
export function seedScaleHosts(roots: readonly string[]): void {
  for (const r of roots) seedHostRoot(r);
}
