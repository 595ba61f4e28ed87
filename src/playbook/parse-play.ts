/** One play: hosts, rollout settings, tasks and handlers. */
import type { Collector, Path } from './context.ts';
import { PLAY_KEYS } from './keywords.ts';
import { readTaskList, readTaskNode, type ModuleTable, type NotifyRef, type TaskScope } from './parse-task.ts';
import {
  checkKeys,
  describeType,
  has,
  isMapping,
  readBool,
  readList,
  readNumber,
  readString,
  readStringList,
  readVars,
  shown,
  type RawMap,
} from './read.ts';
import { didYouMean } from './suggest.ts';
import type { Play, Task } from './types.ts';

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

function serialItem(c: Collector, v: unknown, path: Path): number | string | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string') {
    if (v.includes('{{')) return v; // templated: rendered with play and extra vars when the play starts
    const m = PERCENT.exec(v.trim());
    if (m && Number(m[1]) > 0 && Number(m[1]) <= 100) return `${m[1]}%`;
  }
  c.error(path, `'serial' must be a positive integer or a percentage like '30%' (0-100%), not ${describeType(v)}`);
  return undefined;
}

/** `serial: 2`, `serial: "30%"` or `serial: [1, 2, "50%"]`. */
function readSerial(c: Collector, raw: RawMap, path: Path): Array<number | string> {
  if (!has(raw, 'serial')) return [];
  const v = raw.serial;
  const p = [...path, 'serial'];
  if (!Array.isArray(v)) {
    const one = serialItem(c, v, p);
    return one === undefined ? [] : [one];
  }
  const out: Array<number | string> = [];
  v.forEach((item, i) => {
    const one = serialItem(c, item, [...p, i]);
    if (one !== undefined) out.push(one);
  });
  return out;
}

function readStrategy(c: Collector, raw: RawMap, path: Path): 'linear' | 'free' {
  const s = readString(c, raw, 'strategy', path);
  if (s === undefined || s === 'linear' || s === 'free') return s ?? 'linear';
  c.error([...path, 'strategy'], `'strategy' must be 'linear' or 'free', not '${shown(s)}'${didYouMean(s, ['linear', 'free'])}`);
  return 'linear';
}

/** Every notify must name a handler of the play, by name or by one of its `listen` topics. */
function checkNotifies(
  c: Collector,
  refs: readonly NotifyRef[],
  handlers: readonly Task[],
  topics: Set<string>,
): void {
  for (const h of handlers) {
    topics.add(h.name);
    for (const l of h.listen) topics.add(l);
  }
  for (const ref of refs) {
    if (topics.has(ref.name)) continue;
    c.error(ref.path, `notify: no handler named '${shown(ref.name)}' in this play${didYouMean(ref.name, topics)}`, {
      hint: topics.size ? `handlers: ${[...topics].join(', ')}` : 'this play has no handlers',
    });
  }
}

function rawTopics(h: RawMap): string[] {
  const listen = Array.isArray(h.listen) ? h.listen : [h.listen];
  return [h.name, ...listen].filter((t): t is string => typeof t === 'string');
}

export function readPlay(
  c: Collector,
  raw: unknown,
  path: Path,
  modules: ModuleTable,
): Play | undefined {
  if (!isMapping(raw)) {
    c.error(path, `a play must be a mapping, not ${describeType(raw)}`);
    return undefined;
  }
  checkKeys(c, raw, path, PLAY_KEYS, 'play');
  let hosts = readString(c, raw, 'hosts', path);
  if (!has(raw, 'hosts')) {
    c.error(path, "play has no 'hosts'", { hint: "say which hosts it runs on, e.g. 'hosts: all' or 'hosts: web:&prod'" });
  } else if (hosts !== undefined && hosts.trim() === '') {
    c.error([...path, 'hosts'], "'hosts' must not be empty");
    hosts = undefined;
  }

  const tags = readStringList(c, raw, 'tags', path) ?? [];
  const play: Play = {
    name: readString(c, raw, 'name', path) ?? hosts ?? 'play',
    location: c.at(path),
    hosts: hosts ?? '',
    vars: readVars(c, raw, path),
    serial: readSerial(c, raw, path),
    anyErrorsFatal: readBool(c, raw, 'any_errors_fatal', path) ?? false,
    strategy: readStrategy(c, raw, path),
    become: readBool(c, raw, 'become', path) ?? false,
    rollback: readBool(c, raw, 'rollback', path) ?? true,
    tags,
    tasks: [],
    handlers: [],
  };
  const maxFail = readNumber(c, raw, 'max_fail_percentage', path, { min: 0, max: 100 });
  if (maxFail !== undefined) play.maxFailPercentage = maxFail;
  const becomeUser = readString(c, raw, 'become_user', path);
  if (becomeUser !== undefined) play.becomeUser = becomeUser;

  const notifies: NotifyRef[] = [];
  // names of handlers that have errors of their own, so that notify does not report them again
  const topics = new Set<string>();
  const tasks = readList(c, raw, 'tasks', path);
  if (tasks) play.tasks = readTaskList(c, tasks, [...path, 'tasks'], { modules, tags, handler: false, notifies });
  const handlers = readList(c, raw, 'handlers', path);
  if (handlers) {
    const scope: TaskScope = { modules, tags, handler: true, notifies };
    handlers.forEach((h, i) => {
      const node = readTaskNode(c, h, [...path, 'handlers', i], scope);
      if (node?.kind === 'task') play.handlers.push(node);
      else if (isMapping(h)) rawTopics(h).forEach((t) => topics.add(t));
    });
  }
  checkNotifies(c, notifies, play.handlers, topics);
  return play;
}
