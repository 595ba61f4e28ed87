/** Mount points under a path, unmounting them, and removing a tree safely. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { run } from './proc.ts';

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or below `dir` in this mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  const base = resolve(dir);
  const found = new Set<string>();
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const field = line.split(' ')[1];
    if (!field) continue;
    const mp = unescapeMount(field);
    if (mp === base || mp.startsWith(base + '/')) found.add(mp);
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/** Unmount everything at or below `dir` (lazily as a last resort). Throws if something stays mounted. */
export async function unmountUnder(dir: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const mps = mountsUnder(dir);
    if (mps.length === 0) return;
    for (const mp of mps) {
      const r = await run('umount', [mp], { timeoutMs: 30_000 });
      if (r.code !== 0 && round >= 2) await run('umount', ['-l', mp], { timeoutMs: 30_000 });
    }
  }
  const left = mountsUnder(dir);
  if (left.length > 0) {
    throw new FleetError('E_INTERNAL', `still mounted after unmounting: ${left.join(', ')}`);
  }
}

/**
 * Remove a directory tree that may hold mount points (a half-built rootfs, a
 * node's overlay): unmount first, then `rm --one-file-system` so that a mount
 * that came back can never be descended into.
 */
export async function removeTree(dir: string): Promise<void> {
  const base = resolve(dir);
  if (base === '/' || base.split('/').length < 3) {
    throw new FleetError('E_INTERNAL', `refusing to remove ${base}`);
  }
  if (!existsSync(base)) return;
  await unmountUnder(base);
  const r = await run('rm', ['-rf', '--one-file-system', '--', base], { timeoutMs: 300_000 });
  if (r.code !== 0 || existsSync(base)) {
    throw new FleetError('E_INTERNAL', `cannot remove ${base}`, { hint: r.stderr.trim() });
  }
}
