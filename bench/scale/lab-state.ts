/**
 * The scale lab's state.json and teardown. Teardown is synchronous, so the same
 * code serves `lab.down()`, `npm run bench:scale -- --down`, a stale lab found
 * at bring-up and the process 'exit' safety net.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { isGone, pidsInNetns, signal, waitGoneSync } from '../../test/lab/procs.ts';
import type { ProcRef } from '../../test/lab/types.ts';
import { teardownScaleNetworkSync } from './lab-net.ts';
import type { ScaleLabState } from './lab-types.ts';

/** Where scale labs live by default: <SCALE_LAB_ROOT>/<name>. */
export const SCALE_LAB_ROOT = '/var/tmp/fleet-scale-lab';

/** File marking a directory as a scale lab dir (teardown removes only such dirs). */
export const SCALE_LAB_MARKER = '.fleet-scale-lab';

export function scaleStatePath(dir: string): string {
  return join(dir, 'state.json');
}

export function writeScaleState(state: ScaleLabState): void {
  const file = scaleStatePath(state.dir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function readScaleState(dir: string): ScaleLabState | null {
  const file = scaleStatePath(dir);
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as ScaleLabState;
    if (s.version !== 1 || s.kind !== 'fleet-scale-lab' || !Array.isArray(s.sshds)) throw new Error('not a scale lab state');
    return s;
  } catch (e) {
    throw new FleetError('E_INTERNAL', `scale lab: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** The recorded sshds still running, plus whatever else runs in the namespace (sshd's session processes). */
export function scaleLabProcesses(state: Pick<ScaleLabState, 'netns' | 'sshds'>): ProcRef[] {
  const found = new Map<number, ProcRef>();
  for (const r of state.sshds) if (!isGone(r)) found.set(r.pid, r);
  for (const r of pidsInNetns(state.netns)) found.set(r.pid, r);
  return [...found.values()];
}

/**
 * Kill the sshds by PID (and anything left in the namespace), check they are
 * gone, delete the veth, namespace and bridge, remove the lab dir. Idempotent.
 * Throws E_INTERNAL naming whatever is left.
 */
export function teardownScaleSync(state: ScaleLabState): void {
  const procs = scaleLabProcesses(state);
  signal(procs, 'SIGKILL');
  const alive = waitGoneSync(procs, 10_000);
  const left = teardownScaleNetworkSync(state);
  left.push(...alive.map((r) => `process ${r.pid}`));
  if (alive.length === 0 && existsSync(join(state.dir, SCALE_LAB_MARKER))) {
    rmSync(state.dir, { recursive: true, force: true });
    removeRootIfEmpty(state.dir);
  }
  if (left.length > 0) throw new FleetError('E_INTERNAL', `scale lab ${state.name}: teardown left ${left.join(', ')}`);
}

/** The default parent of lab dirs goes when its last lab does. */
function removeRootIfEmpty(dir: string): void {
  const parent = dirname(dir);
  try {
    if (parent === SCALE_LAB_ROOT && readdirSync(parent).length === 0) rmdirSync(parent);
  } catch {
    // another lab came meanwhile, or it is gone already
  }
}

/** Tear down this bring-up, unless its dir now belongs to a newer lab (which already tore this one down). */
export function teardownOwnScaleSync(state: ScaleLabState): void {
  let current: ScaleLabState | null = null;
  try {
    current = readScaleState(state.dir);
  } catch {
    // unreadable: tear down what we know
  }
  if (current && current.id !== state.id) return;
  teardownScaleSync(state);
}

/** Tear down the scale lab whose state is in `dir`, if any (`--down`). Returns whether there was one. */
export function teardownScaleDirSync(dir: string): boolean {
  const state = readScaleState(dir);
  if (state) teardownScaleSync(state);
  else if (existsSync(join(dir, SCALE_LAB_MARKER))) {
    rmSync(dir, { recursive: true, force: true });
    removeRootIfEmpty(dir);
  }
  return state !== null;
}
