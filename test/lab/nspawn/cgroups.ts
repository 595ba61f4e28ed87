/**
 * One cgroup per node in every hierarchy nspawn and the container's systemd
 * use. PID 1 here is not systemd, so `nspawn --keep-unit` would otherwise put
 * every container into the caller's cgroup, and same-named units of different
 * nodes would share one cgroup (LAB-NOTES: the cgroup pitfall).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { sleep } from './proc.ts';

/** Top directory of the lab's cgroups in each hierarchy. */
export const CGROUP_TOP = 'fleet-nspawn-lab';

/**
 * Mount points of the hierarchies that matter: the cgroup2 one and the v1
 * `name=systemd` one (when mounted). The v1 controllers are left alone: nspawn
 * mounts them read-only into a legacy-mode container.
 */
export function cgroupHierarchies(mountsText = readFileSync('/proc/self/mounts', 'utf8')): string[] {
  const out: string[] = [];
  for (const line of mountsText.split('\n')) {
    const [, mp, type, opts] = line.split(' ');
    if (!mp || !type) continue;
    if (type === 'cgroup2') out.push(mp);
    else if (type === 'cgroup' && (opts ?? '').split(',').includes('name=systemd')) out.push(mp);
  }
  return [...new Set(out)];
}

/** A node's cgroup directory in each hierarchy. */
export function nodeCgroupDirs(lab: string, machine: string): string[] {
  return cgroupHierarchies().map((h) => join(h, CGROUP_TOP, lab, machine));
}

/** The lab's own directory in each hierarchy (parent of the node cgroups). */
export function labCgroupDirs(lab: string): string[] {
  return cgroupHierarchies().map((h) => join(h, CGROUP_TOP, lab));
}

export function createCgroups(dirs: string[]): void {
  for (const d of dirs) mkdirSync(d, { recursive: true });
}

/** Every PID in a cgroup and its descendants. */
export function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      const procs = readFileSync(join(d, 'cgroup.procs'), 'utf8').trim();
      if (procs) out.push(...procs.split('\n').map(Number));
    } catch {
      return;
    }
    for (const e of entries) walk(join(d, e));
  };
  walk(dir);
  return [...new Set(out)];
}

/** Subdirectories first, so rmdir works from the leaves up. */
function cgroupTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let subs: string[] = [];
    try {
      subs = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const s of subs) walk(join(d, s));
    out.push(d);
  };
  walk(dir);
  return out;
}

/**
 * Remove cgroups (and their descendants). Processes still inside belong to the
 * lab (nothing else is ever placed there): they are killed by PID first.
 */
export async function removeCgroups(dirs: string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = dirs.flatMap((d) => cgroupPids(d));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    let left: string[] = [];
    for (const d of dirs) {
      for (const c of cgroupTree(d)) {
        try {
          rmdirSync(c);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') left.push(c);
        }
      }
    }
    left = left.filter((c) => existsSync(c));
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new FleetError('E_INTERNAL', `cannot remove cgroups: ${left.join(', ')}`, {
        hint: `processes left: ${dirs.flatMap((d) => cgroupPids(d)).join(' ') || 'none'}`,
      });
    }
    await sleep(200);
  }
}

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty (another lab, a build) or gone */
  }
}

/** Remove the top directory in each hierarchy if nothing is left in it. */
export function removeEmptyTop(): void {
  for (const h of cgroupHierarchies()) rmdirQuiet(join(h, CGROUP_TOP));
}

/** Remove the lab directories and the top directory when they are empty. */
export function removeEmptyParents(lab: string): void {
  for (const d of labCgroupDirs(lab)) rmdirQuiet(d);
  removeEmptyTop();
}
