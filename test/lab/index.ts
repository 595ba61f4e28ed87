/**
 * The light test lab: N real OpenSSH servers on this machine, each in its own
 * network, mount, UTS and PID namespaces (root only). See create.ts and lab.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultLabDir, REPO_ROOT } from './create.ts';
import { readState, statePath, teardownDirSync } from './state.ts';
import type { LabState } from './types.ts';

export { createLab, defaultLabDir, REPO_ROOT } from './create.ts';
export { Lab, type HostRef, type LabPaths } from './lab.ts';
export { withLab, useLab, type LabHandle } from './with-lab.ts';
export { LAB_USERS, type LabUser } from './users.ts';
export { DEFAULT_SNAPSHOT_DIRS, SNAPSHOT_EXCLUDES, snapshotDiff, type SnapshotOptions } from './snapshot.ts';
export { tcpAccepts } from './boot.ts';
export type { ExecResult, LabExecOptions, LabHost, LabOptions, LabState, ProcRef } from './types.ts';

/** Tear down a lab from its state.json (e.g. after a crash). Returns false when there was none. */
export function destroyLab(nameOrDir: { name: string } | { dir: string }): boolean {
  const dir = 'dir' in nameOrDir ? nameOrDir.dir : defaultLabDir(nameOrDir.name);
  return teardownDirSync(dir);
}

/** Labs with a state.json under `<repo>/.lab` (or `root`). */
export function listLabs(root = join(REPO_ROOT, '.lab')): LabState[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => existsSync(statePath(join(root, n))))
    .map((n) => readState(join(root, n)))
    .filter((s): s is LabState => s !== null);
}
