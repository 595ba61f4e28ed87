/** Tasks, blocks and handlers: one YAML mapping each. */
import type { ModuleDef } from '../modules/types.ts';
import { readCondition, readConditions } from './conditions.ts';
import type { Collector, Path } from './context.ts';
import {
  BLOCK_KEYS,
  DEFAULT_DELAY,
  DEFAULT_RETRIES,
  HANDLER_KEYS,
  isIdentifier,
  LOOP_CONTROL_KEYS,
  ROLLBACK_MODULES,
  TASK_KEYS,
} from './keywords.ts';
import { generatedName, readModuleArgs } from './module-args.ts';
import {
  checkKeys,
  describeType,
  has,
  isMapping,
  mergeTags,
  readBool,
  readList,
  readNumber,
  readString,
  readStringList,
  readVars,
  shown,
  type RawMap,
} from './read.ts';
import { closest } from './suggest.ts';
import type { Block, Task, TaskCommon, TaskNode } from './types.ts';

/** A `notify` entry, checked against the play's handlers once they are all read. */
export interface NotifyRef {
  name: string;
  path: Path;
}

/** The modules tasks may use. */
export interface ModuleTable {
  /** Canonical names, for suggestions. */
  names: readonly string[];
  /** The module a task key names (also accepting aliases the registry knows), or undefined. */
  get(key: string): ModuleDef | undefined;
}

export interface TaskScope {
  modules: ModuleTable;
  /** Tags inherited from the play and enclosing blocks. */
  tags: readonly string[];
  handler: boolean;
  notifies: NotifyRef[];
  /** Keywords set on enclosing blocks, passed down to their tasks (a task's own setting wins). */
  inherited?: Inherited;
}

type Inherited = Partial<Pick<TaskCommon, 'ignoreErrors' | 'noLog' | 'become' | 'becomeUser' | 'delegateTo' | 'runOnce' | 'checkMode' | 'timeout'>>;

function inheritable(common: TaskCommon): Inherited {
  const out: Inherited = { ignoreErrors: common.ignoreErrors, noLog: common.noLog, runOnce: common.runOnce };
  for (const k of ['become', 'becomeUser', 'delegateTo', 'checkMode', 'timeout'] as const) {
    if (common[k] !== undefined) (out as Record<string, unknown>)[k] = common[k];
  }
  return out;
}

/** Keywords shared by tasks and blocks. */
function readCommon(c: Collector, raw: RawMap, path: Path, scope: TaskScope, name: string): TaskCommon {
  const up = scope.inherited ?? {};
  const common: TaskCommon = {
    name: readString(c, raw, 'name', path) ?? name,
    location: c.at(path),
    when: readConditions(c, raw, 'when', path) ?? [],
    tags: mergeTags(scope.tags, readStringList(c, raw, 'tags', path) ?? []),
    ignoreErrors: readBool(c, raw, 'ignore_errors', path) ?? up.ignoreErrors ?? false,
    noLog: readBool(c, raw, 'no_log', path) ?? up.noLog ?? false,
    vars: readVars(c, raw, path),
    runOnce: readBool(c, raw, 'run_once', path) ?? up.runOnce ?? false,
  };
  const become = readBool(c, raw, 'become', path) ?? up.become;
  if (become !== undefined) common.become = become;
  const becomeUser = readString(c, raw, 'become_user', path) ?? up.becomeUser;
  if (becomeUser !== undefined) common.becomeUser = becomeUser;
  const delegateTo = readString(c, raw, 'delegate_to', path) ?? up.delegateTo;
  if (delegateTo !== undefined) common.delegateTo = delegateTo;
  const checkMode = readBool(c, raw, 'check_mode', path) ?? up.checkMode;
  if (checkMode !== undefined) common.checkMode = checkMode;
  const timeout = readNumber(c, raw, 'timeout', path, { positive: true }) ?? up.timeout;
  if (timeout !== undefined) common.timeout = timeout;
  return common;
}

/** A list of tasks (or blocks) under `path`. */
export function readTaskList(c: Collector, list: readonly unknown[], path: Path, scope: TaskScope): TaskNode[] {
  const out: TaskNode[] = [];
  list.forEach((raw, i) => {
    const node = readTaskNode(c, raw, [...path, i], scope);
    if (node) out.push(node);
  });
  return out;
}

export function readTaskNode(c: Collector, raw: unknown, path: Path, scope: TaskScope): TaskNode | undefined {
  const what = scope.handler ? 'handler' : 'task';
  if (!isMapping(raw)) {
    c.error(path, `a ${what} must be a mapping, not ${describeType(raw)}`);
    return undefined;
  }
  if (has(raw, 'block')) {
    if (scope.handler) {
      c.error([...path, 'block'], 'handlers cannot be blocks', { key: true });
      return undefined;
    }
    return readBlock(c, raw, path, scope);
  }
  for (const k of ['rescue', 'always']) {
    if (has(raw, k)) c.error([...path, k], `'${k}' is only allowed in a block (next to 'block:')`, { key: true });
  }
  return readTask(c, raw, path, scope);
}

function readBlock(c: Collector, raw: RawMap, path: Path, scope: TaskScope): Block {
  const modules = Object.keys(raw).filter((k) => !BLOCK_KEYS.includes(k as never) && scope.modules.get(k));
  for (const k of modules) {
    c.error([...path, k], `a block cannot have a module ('${k}'): put the task inside 'block:'`, { key: true });
  }
  const rest = Object.fromEntries(Object.entries(raw).filter(([k]) => !modules.includes(k)));
  checkKeys(c, rest, path, BLOCK_KEYS, 'block');
  const common = readCommon(c, raw, path, scope, 'block');
  const inner: TaskScope = { ...scope, tags: common.tags, inherited: inheritable(common) };
  const list = (key: string): TaskNode[] => {
    const items = readList(c, raw, key, path);
    return items ? readTaskList(c, items, [...path, key], inner) : [];
  };
  return { kind: 'block', ...common, block: list('block'), rescue: list('rescue'), always: list('always') };
}

/** Sort a task's keys into its module key(s), reporting keys that are neither keyword nor module. */
function findModule(c: Collector, raw: RawMap, path: Path, scope: TaskScope): string | undefined {
  const keywords: readonly string[] = scope.handler ? HANDLER_KEYS : TASK_KEYS;
  const moduleNames = scope.modules.names;
  const keys = Object.keys(raw).filter((k) => !keywords.includes(k) && k !== 'rescue' && k !== 'always');
  const found = keys.filter((k) => scope.modules.get(k));
  const unknown = keys.filter((k) => !scope.modules.get(k));
  for (const k of unknown) {
    const p = [...path, k];
    if (k === 'listen') {
      c.error(p, "'listen' is only allowed on handlers", { key: true });
      continue;
    }
    const near = closest(k, [...keywords, ...moduleNames]);
    const asModule = near !== undefined ? moduleNames.includes(near) && !keywords.includes(near)
      : found.length === 0 && unknown.length === 1;
    const hint = k.startsWith('with_') ? "fleet uses 'loop:' instead of 'with_*' keywords"
      : asModule ? `modules: ${moduleNames.join(', ')}` : `allowed keys: ${keywords.join(', ')} and one module`;
    const mean = near === undefined ? '' : ` (did you mean '${near}'?)`;
    c.error(p, `unknown ${asModule ? 'module' : 'key'} '${shown(k)}'${mean}`, { key: true, hint });
  }
  if (found.length > 1) {
    c.error([...path, found[1]], `a task has exactly one module, this one has '${found[0]}' and '${found[1]}'`, {
      key: true,
    });
    return undefined;
  }
  if (found.length === 0 && unknown.length === 0) {
    c.error(path, `${scope.handler ? 'handler' : 'task'} has no module`, { hint: `modules: ${moduleNames.join(', ')}` });
  }
  return found[0];
}

function readIdentifier(c: Collector, raw: RawMap, key: string, path: Path): string | undefined {
  const v = readString(c, raw, key, path);
  if (v !== undefined && !isIdentifier(v)) {
    c.error([...path, key], `'${key}' must be a variable name, not '${shown(v)}'`, {
      hint: 'variable names are letters, digits and _, not starting with a digit',
    });
    return undefined;
  }
  return v;
}

function readTask(c: Collector, raw: RawMap, path: Path, scope: TaskScope): Task | undefined {
  const key = findModule(c, raw, path, scope);
  const def = key === undefined ? undefined : scope.modules.get(key);
  const module = def?.name;
  const margs = key === undefined || !def ? undefined : readModuleArgs(c, def, raw, key, path);
  const args = margs?.args ?? {};
  const name = key === undefined || module === undefined ? 'task' : generatedName(module, raw[key], args);
  const common = readCommon(c, raw, path, scope, name);

  const task: Task = {
    kind: 'task',
    ...common,
    module: module ?? '',
    args,
    argLocations: margs?.argLocations ?? {},
    loopVar: 'item',
    notify: [],
    retries: 0,
    delay: readNumber(c, raw, 'delay', path, { min: 0 }) ?? DEFAULT_DELAY,
    listen: scope.handler ? (readStringList(c, raw, 'listen', path) ?? []) : [],
  };

  if (has(raw, 'loop')) {
    const loop = raw.loop;
    if (Array.isArray(loop) || (typeof loop === 'string' && loop.includes('{{'))) task.loop = loop;
    else c.error([...path, 'loop'], `'loop' must be a list or a template string like '{{ items }}', not ${describeType(loop)}`);
  }
  if (has(raw, 'loop_control')) {
    const lc = raw.loop_control;
    const lcPath = [...path, 'loop_control'];
    if (!isMapping(lc)) c.error(lcPath, `'loop_control' must be a mapping, not ${describeType(lc)}`);
    else {
      checkKeys(c, lc, lcPath, LOOP_CONTROL_KEYS, 'loop_control');
      task.loopVar = readIdentifier(c, lc, 'loop_var', lcPath) ?? 'item';
    }
  }
  const register = readIdentifier(c, raw, 'register', path);
  if (register !== undefined) task.register = register;

  const notify = readStringList(c, raw, 'notify', path) ?? [];
  task.notify = notify;
  const single = typeof raw.notify === 'string';
  notify.forEach((n, i) => scope.notifies.push({ name: n, path: single ? [...path, 'notify'] : [...path, 'notify', i] }));

  const changedWhen = readConditions(c, raw, 'changed_when', path);
  if (changedWhen) task.changedWhen = changedWhen;
  const failedWhen = readConditions(c, raw, 'failed_when', path);
  if (failedWhen) task.failedWhen = failedWhen;
  const until = readCondition(c, raw, 'until', path);
  if (until !== undefined) task.until = until;
  task.retries = readNumber(c, raw, 'retries', path, { integer: true, min: 0 }) ?? (until !== undefined ? DEFAULT_RETRIES : 0);

  const rollback = readString(c, raw, 'rollback', path);
  if (rollback !== undefined) {
    if (module !== undefined && !ROLLBACK_MODULES.has(module)) {
      c.error([...path, 'rollback'], `'rollback' is only allowed on command and shell tasks, not on '${module}'`, {
        key: true,
        hint: `fleet undoes '${module}' tasks by itself`,
      });
    } else task.rollback = rollback;
  }
  return module === undefined ? undefined : task;
}
