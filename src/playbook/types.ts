/** Plain data produced by the playbook loader (playbook/load.ts). Strings are not templated yet. */
import type { SourceLocation } from '../errors/fleet-error.ts';

/** Keywords shared by tasks and blocks (blocks pass them down to their tasks). */
export interface TaskCommon {
  name: string;
  location: SourceLocation;
  /** Conditions, all must hold (`when: a` or `when: [a, b]`). Not templated: expressions. */
  when: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  ignoreErrors: boolean;
  noLog: boolean;
  /** Task-level vars. */
  vars: Record<string, unknown>;
  delegateTo?: string;
  runOnce: boolean;
  /** Run even in check mode (`check_mode: false`), for read-only probes. */
  checkMode?: boolean;
  /** Seconds; the task fails (and its command is killed on the host) after this long. */
  timeout?: number;
}

export interface Task extends TaskCommon {
  kind: 'task';
  module: string;
  /** Module arguments as written (after free-form strings are turned into an object). */
  args: Record<string, unknown>;
  /** Where each argument key is, for errors at run time. */
  argLocations: Record<string, SourceLocation>;
  /** A list, or a template string that renders to a list. */
  loop?: unknown;
  /** Name of the loop variable (loop_control.loop_var), default `item`. */
  loopVar: string;
  register?: string;
  notify: string[];
  changedWhen?: string[];
  failedWhen?: string[];
  /** Retry until this holds (with retries and delay). */
  until?: string;
  retries: number;
  /** Seconds between retries. */
  delay: number;
  /** command/shell: the command that undoes this task. */
  rollback?: string;
  /** handlers: extra names this handler answers to. */
  listen: string[];
}

export interface Block extends TaskCommon {
  kind: 'block';
  block: TaskNode[];
  rescue: TaskNode[];
  always: TaskNode[];
}

export type TaskNode = Task | Block;

export interface Play {
  name: string;
  location: SourceLocation;
  /** Host pattern. */
  hosts: string;
  vars: Record<string, unknown>;
  /** Batch sizes: numbers or percentages ("30%"); the last repeats. Empty: all hosts in one batch. */
  serial: Array<number | string>;
  /** Stop the rollout when more than this percentage of a batch failed. */
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  strategy: 'linear' | 'free';
  become: boolean;
  becomeUser?: string;
  /** Roll failed hosts back automatically (default true). */
  rollback: boolean;
  tags: string[];
  tasks: TaskNode[];
  handlers: Task[];
}

export interface Playbook {
  file: string;
  /** Directory of the playbook file: templates/ and files/ are looked up from here (and its parent). */
  dir: string;
  plays: Play[];
}
