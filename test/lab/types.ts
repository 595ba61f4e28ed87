/** Types of the light test lab: sshd hosts in network + mount + UTS + PID namespaces. */

export interface LabOptions {
  /** Lab name: [a-z][a-z0-9-]{0,31}. Network namespaces are `<name>-h<N>`. */
  name: string;
  /** Number of hosts, 1..1021 (one /22 per lab). */
  hosts: number;
  /** Lab directory (mode 0700); default `<repo>/.lab/<name>`. Must not lie under /etc, /usr or /var (hosts overlay them). */
  dir?: string;
  /**
   * Inventory groups: group name -> host names (h1, h2, ...). Replaces the
   * default `masters` (first ceil(N/5) hosts) / `workers` (the rest) split.
   * Hosts in no group are listed under `ungrouped`.
   */
  groups?: Record<string, string[]>;
  /** Extra variables under `all.vars` of the inventory. */
  vars?: Record<string, unknown>;
  /** Total time allowed for every sshd to accept TCP connections (default 60000). */
  timeoutMs?: number;
  /** Tear the lab down on process exit / SIGINT / SIGTERM (set by withLab and useLab). */
  teardownOnExit?: boolean;
}

/** A process identified across PID reuse: PID plus start time (clock ticks since boot). */
export interface ProcRef {
  pid: number;
  start: number;
}

export interface LabHost {
  /** Inventory name and hostname: h1, h2, ... */
  name: string;
  /** IPv4 address in 198.18.0.0/15. */
  address: string;
  /** Network namespace name, `<lab>-h<N>`. */
  netns: string;
  /** Root-namespace end of the host's veth pair (the host side is `eth0`). */
  veth: string;
  /** PID (root PID namespace) of the listening sshd; 0 while it is stopped. */
  pid: number;
  /** PID (root PID namespace) of the host's init (PID 1 of its PID namespace); 0 when the host is killed. */
  initPid: number;
  /** PID of the `unshare` process holding the host's namespaces; 0 when the host is killed. */
  holderPid: number;
  /** Per-host directory under the lab dir. */
  dir: string;
  /** Overlay upper dirs `<upperDir>/{etc,usr,var}`: every change the host made under /etc, /usr and /var. */
  upperDir: string;
  /** The host's private /root, /home, /opt, /srv and /var/tmp: `<fsDir>/root`, `<fsDir>/home`, ... */
  fsDir: string;
  /** Log of the host's init (sshd's own log is /var/log/lab-sshd.log inside the host). */
  logPath: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LabExecOptions {
  /** Written to the script's standard input. */
  input?: string;
  /** Kill the command after this long (default 60000). */
  timeoutMs?: number;
}

/** Everything teardown needs, written to `<dir>/state.json` before anything is created. */
export interface LabState {
  version: 1;
  /** Random id of this bring-up: a newer lab of the same name has another. */
  id: string;
  name: string;
  dir: string;
  slice: number;
  subnet: string;
  bridge: string;
  bridgeAddress: string;
  prefix: number;
  hosts: Array<{
    name: string;
    address: string;
    netns: string;
    veth: string;
    procs: ProcRef[];
  }>;
  createdAt: string;
}
