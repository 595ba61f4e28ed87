/**
 * The transport: how fleet reaches one host. `ssh.ts` implements it over one
 * persistent SSH connection; `memory.ts` implements it in memory for fast unit
 * tests. Everything above the transport speaks only this interface.
 */
import type { FileMeta, PathState } from '../modules/types.ts';

export interface ExecOptions {
  /** Bytes written to the command's standard input, then closed. */
  stdin?: string | Buffer;
  /** Kill the command (on the host) after this long. */
  timeoutMs?: number;
  /** Run through sudo. */
  become?: boolean;
  becomeUser?: string;
  /** Keep at most this many bytes of stdout and of stderr (the rest is counted, not kept). */
  maxOutputBytes?: number;
  /**
   * The script is `exec` and shell-quoted words (one simple command, e.g. the
   * command module's): the login shell runs it itself, with no /bin/sh started
   * in between. Without effect under become or a timeout.
   */
  simple?: boolean;
  /** Hold the command half-way for the controller (one round trip instead of two); stdin must be unset. */
  pause?: PauseSpec;
  /** Hand stdout to this function as it arrives instead of keeping it (the result's stdout is then empty; no cap). */
  onStdout?: (chunk: Buffer) => void;
  /**
   * Run in this held session (from readHeld) instead of a new one. When it
   * cannot be (already used, another transport or become user, a timeout),
   * it is released and a new session runs the command.
   */
  held?: HeldSession;
}

/**
 * A command that stops half-way: it prints a line `\n<marker> <status>\n` on
 * stdout and waits for one line on stdin. The controller then runs `resume`
 * (e.g. journals the backup the command printed before that line, handed out
 * through `onStdout` without the pause line) and writes its answer (e.g. `go`
 * or `stop`) to stdin.
 */
export interface PauseSpec {
  /** Random token the script prints (letters, digits, dashes; never part of ordinary output). */
  marker: string;
  /**
   * The answer: a string is sent as one line; a Buffer is sent as it is;
   * stdin is closed after it. null: the resumer writes (and closes) stdin
   * itself, through `stdin`.
   */
  resume: (status: string, stdin: PauseStdin) => Promise<string | Buffer | null>;
}

/** The command's stdin, handed to a PauseSpec's resume. */
export interface PauseStdin {
  write(data: Buffer): void;
  end(data?: Buffer | string): void;
}

/**
 * The session of a read that stays open: after sending the path's state the
 * host's shell waits, and the next fleet script (the write, mkdir or remove
 * the read was for) runs in it instead of in a new session. Read and change
 * then cost one SSH session. Pass it as `held` to exec or write.
 */
export interface HeldSession {
  /** End the session without running anything in it (idempotent; nothing once a command ran in it). */
  release(): void;
}

export interface HeldReadResult extends ReadResult {
  held: HeldSession;
}

export interface ExecResult {
  /** Exit code, or null when killed by a signal or timed out. */
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  /** stdout or stderr was longer than maxOutputBytes. */
  truncated: boolean;
}

export interface WriteOptions {
  /** Mode for the file; default: keep the existing file's, else 0644. */
  mode?: number;
  owner?: string;
  group?: string;
  become?: boolean;
  becomeUser?: string;
  /** As ExecOptions.held. */
  held?: HeldSession;
}

export interface ReadOptions {
  become?: boolean;
  becomeUser?: string;
}

/**
 * What a read learned about an ancestor of an absent path: absent, or an
 * existing directory (its kind only: its metadata is not read, which would
 * cost a process on the host).
 */
export interface AboveState {
  path: string;
  kind: 'absent' | 'directory';
}

export interface ReadResult {
  state: PathState;
  /**
   * When the path is absent: its ancestors known to be absent, nearest first,
   * then the nearest existing ancestor when it is a directory. Empty otherwise.
   */
  above: AboveState[];
}

export interface Transport {
  /** Inventory name of the host. */
  readonly name: string;
  /** Run a /bin/sh script on the host. */
  exec(script: string, options?: ExecOptions): Promise<ExecResult>;
  /** What is at a path, with its content when it is a regular file; absent is not an error. One round trip. */
  read(path: string, options?: ReadOptions): Promise<PathState>;
  /** read, plus (when the path is absent) where its existing ancestors end. Same single round trip. */
  readWithAncestors(path: string, options?: ReadOptions): Promise<ReadResult>;
  /**
   * readWithAncestors whose session stays open for one more command (see
   * HeldSession). The caller must release it or run a command in it.
   * Optional: a transport without it reads with readWithAncestors.
   */
  readHeld?(path: string, options?: ReadOptions): Promise<HeldReadResult>;
  /**
   * Write a whole file atomically: a temporary file in the same directory,
   * checked for length, then renamed over the destination. A dropped
   * connection leaves the old bytes or the new ones, never a mix. Returns the
   * file's metadata after the write. One round trip.
   */
  write(path: string, content: Buffer, options?: WriteOptions): Promise<FileMeta>;
  /** Round trips (SSH sessions started; a command run in a held session is not one) on this host so far. */
  readonly roundTrips: number;
  close(): Promise<void>;
}

/** How to reach a host: resolved from the inventory. */
export interface ConnectionSpec {
  name: string;
  address: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  password?: string;
  passphrase?: string;
  /** Another host to connect through (ProxyJump). */
  jump?: ConnectionSpec;
  connectTimeoutMs: number;
  becomePassword?: string;
}

export interface HostKeyPolicy {
  /** known_hosts file to check against. */
  knownHostsFile: string;
  /** Record unknown hosts' keys instead of failing. A changed key always fails. */
  acceptNew: boolean;
}
