/** Types of the scale lab: many addresses of one /22 in one network namespace, served by a few sshd processes. */
import type { ProcRef } from '../../test/lab/types.ts';

export interface ScaleLabOptions {
  /** Lab name, [a-z][a-z0-9-]{0,31} (the network namespace is `<name>-ns`). */
  name: string;
  /** Hosts (addresses), 1..1021. */
  hosts: number;
  /** sshd processes (default 4), each on its own port: 22, 2201, 2202, ... */
  sshds?: number;
  /** Lab directory; default /var/tmp/fleet-scale-lab/<name>. */
  dir?: string;
  /** Time allowed for every sshd to accept connections (default 20000 ms). */
  timeoutMs?: number;
  /** Tear the lab down on process exit / SIGINT / SIGTERM / SIGHUP (default true). */
  teardownOnExit?: boolean;
}

export interface ScaleHost {
  /** Inventory name: h1, h2, ... */
  name: string;
  /** 1-based host number. */
  index: number;
  /** Address in the lab's /22 of 198.18.0.0/15. */
  address: string;
  /** Port of the sshd serving this host (sshd number index mod K). */
  port: number;
  /** Which sshd (0..K-1) serves this host. */
  sshd: number;
  /** The host's own directory (its `host_root`): `<lab dir>/hosts/<name>`. */
  root: string;
}

/** Everything teardown needs; written to `<dir>/state.json` before anything is created. */
export interface ScaleLabState {
  version: 1;
  kind: 'fleet-scale-lab';
  /** Random id of this bring-up (a newer lab in the same dir has another). */
  id: string;
  name: string;
  dir: string;
  slice: number;
  subnet: string;
  bridge: string;
  bridgeAddress: string;
  netns: string;
  /** Root-namespace end of the veth pair (the namespace end is `eth0`). */
  veth: string;
  hosts: number;
  /** The sshd processes, as started (PID + start time). */
  sshds: ProcRef[];
  createdAt: string;
}
