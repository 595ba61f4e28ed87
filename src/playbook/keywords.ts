/** The YAML keys the playbook loader knows, per kind of node. */

export const PLAY_KEYS = [
  'name', 'hosts', 'vars', 'serial', 'max_fail_percentage', 'any_errors_fatal',
  'strategy', 'become', 'become_user', 'rollback', 'tags', 'tasks', 'handlers',
] as const;

/** Keywords a block accepts (besides `block` itself). */
export const BLOCK_KEYS = [
  'name', 'block', 'rescue', 'always', 'when', 'tags', 'become', 'become_user',
  'ignore_errors', 'no_log', 'vars', 'delegate_to', 'run_once', 'check_mode', 'timeout',
] as const;

/** Keywords a task accepts besides its module key (`listen` only on handlers). */
export const TASK_KEYS = [
  'name', 'when', 'loop', 'loop_control', 'register', 'notify', 'tags', 'ignore_errors',
  'changed_when', 'failed_when', 'retries', 'until', 'delay', 'run_once', 'delegate_to',
  'become', 'become_user', 'no_log', 'timeout', 'check_mode', 'rollback', 'vars', 'args',
] as const;

export const HANDLER_KEYS = [...TASK_KEYS, 'listen'] as const;

export const LOOP_CONTROL_KEYS = ['loop_var'] as const;

/** Modules whose tasks may carry a `rollback` command. */
export const ROLLBACK_MODULES: ReadonlySet<string> = new Set(['command', 'shell']);

/** Retries when `until` is given without `retries` (as Ansible). */
export const DEFAULT_RETRIES = 3;
/** Seconds between retries when `delay` is not given (as Ansible). */
export const DEFAULT_DELAY = 5;

/** Longest generated task name. */
export const MAX_GENERATED_NAME = 60;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names that would reach into prototypes if used as object keys. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** A variable name usable in expressions and templates (register, loop_var, vars keys). */
export function isIdentifier(s: string): boolean {
  return IDENT.test(s) && !FORBIDDEN.has(s);
}
