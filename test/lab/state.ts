/**
 * state.json and teardown. Teardown is synchronous on purpose: the same code
 * serves `lab.down()`, `npm run lab:down`, a stale lab found by createLab and
 * the process 'exit' safety net (where nothing asynchronous runs).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { teardownNetworkSync } from './netns.ts';
import { isGone, netnsInode, pidsByNetns, signal, waitGoneSync } from './procs.ts';
import { runSync } from './run.ts';
import type { LabState, ProcRef } from './types.ts';

/** File marking a directory as a lab dir (teardown removes only such dirs). */
export const LAB_MARKER = '.fleet-lab';

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export function writeState(state: LabState): void {
  const file = statePath(state.dir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function readState(dir: string): LabState | null {
  const file = statePath(dir);
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as LabState;
    if (s.version !== 1 || !Array.isArray(s.hosts)) throw new Error('unknown format');
    return s;
  } catch (e) {
    throw new FleetError('E_INTERNAL', `lab: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Every live process of the lab: whatever is in its namespaces, plus recorded ones still alive. */
export function labProcesses(state: Pick<LabState, 'hosts'>): ProcRef[] {
  const inodes = state.hosts.map((h) => netnsInode(h.netns)).filter((i): i is number => i !== null);
  const found = new Map<number, ProcRef>();
  for (const list of pidsByNetns(inodes).values()) for (const r of list) found.set(r.pid, r);
  for (const h of state.hosts) for (const r of h.procs) if (!isGone(r)) found.set(r.pid, r);
  return [...found.values()];
}

function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  return points.filter((p) => p === dir || p.startsWith(`${dir}/`)).sort().reverse();
}

/**
 * Kill every process of the lab (SIGKILL, zombies count as gone), delete its
 * namespaces, veths and bridge, and remove its directory. Idempotent. Throws
 * E_INTERNAL naming whatever could not be removed.
 */
export function teardownSync(state: LabState): void {
  const procs = labProcesses(state);
  signal(procs, 'SIGKILL');
  const alive = waitGoneSync(procs, 10_000);
  const left = teardownNetworkSync(state);
  left.push(...alive.map((r) => `process ${r.pid}`));
  // Host mounts live only in the hosts' private mount namespaces, gone with
  // their processes; nothing should be mounted under the lab dir here.
  for (const m of mountsUnder(state.dir)) runSync('umount', ['-l', m]);
  const stillMounted = mountsUnder(state.dir);
  left.push(...stillMounted.map((m) => `mount ${m}`));
  if (stillMounted.length === 0 && alive.length === 0) rmSync(state.dir, { recursive: true, force: true });
  if (left.length > 0) {
    throw new FleetError('E_INTERNAL', `lab ${state.name}: teardown left ${left.join(', ')}`);
  }
}

/**
 * Tear down this bring-up of a lab, unless its dir now belongs to a newer lab
 * of the same name (which already tore this one down when it started).
 */
export function teardownOwnSync(state: LabState): void {
  let current: LabState | null = null;
  try {
    current = readState(state.dir);
  } catch {
    // unreadable: tear down what we know
  }
  if (current && current.id !== state.id) return;
  teardownSync(state);
}

/** Tear down the lab whose state is in `dir`, if any. Returns whether there was one. */
export function teardownDirSync(dir: string): boolean {
  const state = readState(dir);
  if (state) teardownSync(state);
  else if (existsSync(join(dir, LAB_MARKER))) rmSync(dir, { recursive: true, force: true });
  return state !== null;
}
