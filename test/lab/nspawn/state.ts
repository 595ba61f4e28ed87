/** state.json: everything down() needs to clean a lab up, even after a crash. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../../../src/errors/fleet-error.ts';

export interface NodeState {
  name: string;
  /** systemd-nspawn machine name: `<lab>-<node>`. */
  machine: string;
  groups: string[];
  address: string;
  /** The node's directory: upper/, work/, root/ (the overlay mount), console.log. */
  dir: string;
  /** The overlay mount point nspawn boots (-D). */
  root: string;
  /** The node's own cgroups (cgroup2 and v1 name=systemd). */
  cgroups: string[];
  nspawnPid?: number;
  leaderPid?: number;
  /** Host-side veth (on the lab bridge) once known. */
  veth?: string;
}

export interface LabState {
  version: 1;
  name: string;
  /** The process that created the lab (a live owner's lab is never replaced). */
  ownerPid: number;
  dir: string;
  rootfs: string;
  bridge: string;
  hostAddress: string;
  subnet: string;
  nodes: NodeState[];
}

export const DEFAULT_LABS_DIR = '/var/tmp/fleet-nspawn-lab';

export function defaultLabDir(name: string): string {
  return join(DEFAULT_LABS_DIR, name);
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

/** Written atomically (temp file + rename) so a crash never leaves half a state. */
export function saveState(state: LabState): void {
  const path = statePath(state.dir);
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

/** The saved state, or undefined when the dir has none. */
export function loadState(dir: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(statePath(dir), 'utf8');
  } catch {
    return undefined;
  }
  const s = JSON.parse(text) as LabState;
  if (s.version !== 1 || typeof s.name !== 'string' || !Array.isArray(s.nodes)) {
    throw new FleetError('E_INTERNAL', `${statePath(dir)} is not an nspawn lab state`);
  }
  return s;
}
