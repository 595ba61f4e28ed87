/**
 * The module contract. A module never touches a host: `plan()` reads the
 * host's state through `Facts` (real state, or the state predicted by earlier
 * tasks in check mode) and returns the primitive operations (`Op`) that would
 * bring the host to the wanted state. The executor turns ops into diffs,
 * applies them, and journals their inverses.
 */
import type { z } from 'zod';

/** Ownership and permissions of a path. */
export interface FileMeta {
  /** Permission bits, e.g. 0o644 (no file-type bits). */
  mode: number;
  owner: string;
  group: string;
  uid: number;
  gid: number;
}

/** What is at a path on a host. */
export type PathState =
  | { kind: 'absent' }
  | { kind: 'file'; content: Buffer; meta: FileMeta }
  | { kind: 'directory'; meta: FileMeta }
  /** A symlink, socket, device...: fleet reports it but does not edit it. */
  | { kind: 'other'; type: string; meta: FileMeta };

/** A systemd unit as `systemctl show` reports it. */
export interface ServiceState {
  name: string;
  /** LoadState: loaded, not-found, masked, ... */
  load: string;
  /** ActiveState: active, inactive, failed, activating, ... */
  active: string;
  /** UnitFileState: enabled, disabled, static, masked, '' when not-found ... */
  enabled: string;
}

/** Read-only view of a host. */
export interface Facts {
  path(path: string): Promise<PathState>;
  /** The kind of thing at a path; cheaper than `path` when it is known without its metadata. */
  kind(path: string): Promise<PathState['kind']>;
  service(name: string): Promise<ServiceState>;
}

export type SystemctlAction =
  | 'start' | 'stop' | 'restart' | 'reload'
  | 'enable' | 'disable' | 'mask' | 'unmask' | 'reset-failed';

/** Primitive operations: the only things fleet ever does to a host. */
export type Op =
  /** Write a whole file atomically (temp file + rename). Keeps mode/owner of an existing file unless given. */
  | { op: 'write'; path: string; content: Buffer; mode?: number; owner?: string; group?: string }
  /** Create a directory, and its missing parents when `parents` (the inverse removes the topmost one created). */
  | { op: 'mkdir'; path: string; parents?: boolean; mode?: number; owner?: string; group?: string }
  /** Remove a file or a whole directory tree. */
  | { op: 'remove'; path: string }
  /** Change mode / owner / group of an existing path. */
  | { op: 'attrs'; path: string; mode?: number; owner?: string; group?: string }
  | { op: 'systemctl'; unit: string; action: SystemctlAction }
  | { op: 'daemon-reload' }
  /** Run a command (command/shell modules). `rollback` is the command that undoes it. */
  | {
      op: 'exec';
      cmd: string;
      stdin?: string;
      chdir?: string;
      rollback?: string;
      /** `cmd` is one simple command of quoted words (command module): the shell execs it instead of forking. */
      simple?: boolean;
    }
  /** Poll a TCP port on the host until a condition holds (wait_for). */
  | {
      op: 'wait_for';
      host: string;
      port: number;
      state: 'started' | 'stopped' | 'established' | 'drained';
      minCount: number;
      timeoutSec: number;
      delaySec: number;
      sleepSec: number;
    };

/** What a module wants done. No ops and no fail: the host is already as wanted. */
export interface Plan {
  ops: Op[];
  /** The task fails at plan time with this message (e.g. a replace that matches nothing). */
  fail?: string;
  /** Message for the task's output (debug, assert, fail). */
  msg?: string;
  /** Extra values for `register` (e.g. set_fact's facts, assert's evaluated conditions). */
  result?: Record<string, unknown>;
  /** set_fact: variables to set on the host for the rest of the run. */
  setFacts?: Record<string, unknown>;
}

/** How a module behaves in check mode. */
export type ModuleKind =
  /** Converges state (files, services): fully predicted in check mode. */
  | 'state'
  /** Runs commands (command, shell): not run in check mode unless check_mode: false. */
  | 'action'
  /** Waits on or probes the host (wait_for): not run in check mode unless check_mode: false. */
  | 'probe'
  /** Evaluated on the controller (assert, set_fact, fail, debug). */
  | 'control';

export interface PlanContext {
  facts: Facts;
  /** The host's variables, including registered results and set facts. */
  vars: Readonly<Record<string, unknown>>;
  /** Inventory name of the host. */
  host: string;
  check: boolean;
  /** Render a handlebars template file (path relative to the playbook's templates/) with the host's vars. */
  renderTemplateFile(src: string): Promise<string>;
  /** Read a local file (path relative to the playbook's files/ or directory). */
  readLocalFile(src: string): Promise<Buffer>;
  /** Evaluate a condition (assert's `that`) over the host's vars. */
  evaluate(expression: string): boolean;
}

export interface ModuleDef<A = any> {
  name: string;
  kind: ModuleKind;
  /** Validates and normalises the (already templated) arguments. */
  schema: z.ZodType<A>;
  /** For modules that accept a plain string (`shell: echo hi`): the argument key it becomes. */
  freeForm?: string;
  /** Argument keys that must not be templated before planning (e.g. assert's `that`). */
  rawArgs?: readonly string[];
  plan(args: A, ctx: PlanContext): Promise<Plan>;
}
