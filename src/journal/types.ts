/**
 * The run journal's records: plain JSON, one per line, per host. An `intent`
 * is written (and fsynced) BEFORE its op touches the host and carries the
 * undo; `done` follows when the op finished. Rollback reads intents newest
 * first and skips the ones already undone or known to have changed nothing.
 */

/** What was at a path, as stored in the journal (contents live in blobs). */
export type StoredPath =
  | { kind: 'absent' }
  | { kind: 'file'; blob: string; size: number; mode: number; owner: string; group: string }
  /** A directory; `tree` is a tar blob of its whole content when it was removed. */
  | { kind: 'directory'; mode: number; owner: string; group: string; tree?: string }
  /** A symlink or other special file, restored from a tar blob. */
  | { kind: 'other'; type: string; mode: number; owner: string; group: string; tree?: string };

/** What fleet left at a path (to detect drift before restoring it). */
export type PathFingerprint =
  | { kind: 'absent' }
  | { kind: 'file'; sha256: string; mode?: number; owner?: string; group?: string }
  | { kind: 'directory'; mode?: number; owner?: string; group?: string };

export type Undo =
  | { kind: 'path'; path: string; before: StoredPath; after: PathFingerprint }
  | { kind: 'service'; unit: string; before: { load: string; active: string; enabled: string } }
  | { kind: 'daemon-reload' }
  /** A command: `cmd` undoes it; without one the host cannot be rolled back past it. */
  | { kind: 'command'; cmd?: string; ran: string }
  | { kind: 'none' };

export interface IntentRecord {
  t: 'intent';
  seq: number;
  time: string;
  play: string;
  task: string;
  /** Short description of the op ("write /etc/x", "systemctl stop flanneld"). */
  op: string;
  undo: Undo;
  become?: boolean;
  becomeUser?: string;
  /** The task had no_log: rollback shows no contents or commands of this step either. */
  noLog?: boolean;
}

export interface DoneRecord {
  t: 'done';
  seq: number;
  ok: boolean;
  /** False when the op turned out to change nothing (e.g. changed_when: false). */
  changed: boolean;
  error?: string;
}

export interface UndoneRecord {
  t: 'undone';
  seq: number;
  ok: boolean;
  msg?: string;
  time: string;
}

export interface StatusRecord {
  t: 'status';
  state: 'ok' | 'failed' | 'unreachable' | 'rolled-back' | 'failed-to-rollback';
  msg?: string;
  time: string;
}

export type JournalRecord = IntentRecord | DoneRecord | UndoneRecord | StatusRecord;

export interface RunMeta {
  id: string;
  playbook: string;
  inventory: string;
  knownHosts?: string;
  check: boolean;
  started: string;
  ended?: string;
  hosts: string[];
  result?: 'ok' | 'failed' | 'unreachable' | 'interrupted' | 'running';
  argv: string[];
  pid: number;
  /** Per-host final state, filled at the end of the run. */
  hostStates?: Record<string, string>;
}
