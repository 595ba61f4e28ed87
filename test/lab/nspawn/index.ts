/** The systemd-nspawn lab: nodes that boot real systemd (see README.md beside this file). */
export {
  createSystemdLab,
  downSystemdLab,
  withSystemdLab,
  type SystemdLab,
  type SystemdLabNode,
  type SystemdLabOptions,
} from './lab.ts';
export { ensureRootfs, hostMirror, rootfsRecipeHash, type RootfsOptions } from './rootfs.ts';
export { ensureHostPackages, labAptPackages } from './host-packages.ts';
export { defaultLabDir, DEFAULT_LABS_DIR } from './state.ts';
export type { BootTimings } from './node.ts';
export type { RunResult } from './proc.ts';
