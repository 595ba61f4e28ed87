/**
 * Checks `fleet run` and `fleet validate` make after loading the playbook and
 * the inventory and before anything connects, so bad input is exit 4 with
 * file:line:col and no host is contacted:
 * - each play's `hosts:` pattern against the inventory (placed at the play);
 * - every templated string the executor would render (module arguments except
 *   raw ones, loop, delegate_to, rollback): syntax, helpers, names that are
 *   never accessible;
 * - `assert` conditions: syntax (as `when` is checked when loading);
 * - template files of `template` tasks and local files of `copy` tasks whose
 *   `src` is literal: found, readable UTF-8, and (templates) valid;
 * - with an inventory: variables no source can ever define (not in any host's
 *   inventory vars, any play/block/task vars, register, set_fact, loop_var,
 *   -e, or fleet's magic variables). A read guarded by a `when` that names the
 *   variable, or in a task whose failure is handled (ignore_errors, a block
 *   with rescue), is left to run time.
 */
import { readFileSync } from 'node:fs';
import { FleetError, isFleetError, type SourceLocation } from '../errors/fleet-error.ts';
import type { Inventory } from '../inventory/types.ts';
import { selectHosts } from '../inventory/index.ts';
import type { Block, Playbook, Task, TaskNode } from '../playbook/types.ts';
import { taskSelected } from '../playbook/index.ts';
import { getModule } from '../modules/index.ts';
import { checkTemplate, rootVariables, type RootUse } from '../template/index.ts';
import { placeOf } from '../template/errors.ts';
import { compileExpression } from '../expr/index.ts';
import { localResolver } from '../executor/play-context.ts';

/** Variables the executor sets for every task (executor/run.ts and host-run.ts). */
export const MAGIC_VARS: readonly string[] = [
  'groups', 'hostvars', 'play_hosts', 'ansible_play_hosts', 'ansible_play_hosts_all',
  'inventory_hostname', 'inventory_hostname_short', 'group_names', 'ansible_check_mode', 'fleet_check_mode',
];

export interface PreflightInput {
  playbook: Playbook;
  /** Without one, patterns and variables are not checked. */
  inventory?: Inventory;
  extraVars?: Record<string, unknown>;
  onlyTags?: readonly string[];
  skipTags?: readonly string[];
}

/** A templated string and what a run would do if it failed. */
interface Site {
  text: string;
  /** Where the string's text starts, or the argument holding it. */
  location: SourceLocation;
  /** The first line of the text is on the location's line, from its column (a flow scalar). */
  inline: boolean;
  task: Task;
  /** Conditions guarding it (the task's and its blocks'), and whether its failure is handled. */
  guards: string;
  handled: boolean;
  file?: string;
}

/** Every problem found, in the order found (empty when all is well). */
export async function preflight(input: PreflightInput): Promise<FleetError[]> {
  const { playbook, inventory } = input;
  const errors: FleetError[] = [];
  const keep = (e: unknown): void => {
    if (!isFleetError(e)) throw e;
    errors.push(e);
  };
  if (inventory) {
    for (const play of playbook.plays) {
      try {
        selectHosts(inventory, play.hosts, { location: play.location });
      } catch (e) {
        keep(e);
      }
    }
  }
  const sites: Site[] = [];
  const defined = new Set<string>([...MAGIC_VARS, ...Object.keys(input.extraVars ?? {})]);
  for (const h of inventory?.hosts ?? []) for (const k of Object.keys(h.vars)) defined.add(k);
  const resolver = localResolver(playbook.dir);
  const text = contentLocator(playbook.file);

  const visitTask = async (task: Task, guards: string, handled: boolean, handler: boolean): Promise<void> => {
    if (task.register) defined.add(task.register);
    if (task.loop !== undefined) defined.add(task.loopVar);
    for (const k of Object.keys(task.vars)) defined.add(k);
    if (task.module === 'set_fact') for (const k of Object.keys(task.args)) defined.add(k);
    const selected = handler || taskSelected(task.tags, input.onlyTags ?? [], input.skipTags ?? []);
    if (!selected) return;
    const g = [guards, ...task.when].join('\n');
    const h = handled || task.ignoreErrors;
    const add = (value: unknown, location: SourceLocation, ofValue = true): void => {
      strings(value, (s, top) => {
        const at = top && ofValue ? text(location) : { location, inline: false };
        sites.push({ text: s, ...at, task, guards: g, handled: h });
      });
    };
    const raw = new Set(getModule(task.module)?.rawArgs ?? []);
    for (const [k, v] of Object.entries(task.args)) if (!raw.has(k)) add(v, task.argLocations[k] ?? task.location);
    // these are placed at the task (the loader keeps no location for them)
    if (task.loop !== undefined) add(task.loop, task.location, false);
    if (task.delegateTo !== undefined) add(task.delegateTo, task.location, false);
    if (task.rollback !== undefined) add(task.rollback, task.location, false);
    if (task.module === 'assert') {
      const that = task.args.that;
      const at = task.argLocations.that ?? task.location;
      for (const cond of typeof that === 'string' ? [that] : Array.isArray(that) ? that : []) {
        if (typeof cond !== 'string') continue;
        try {
          compileExpression(cond, typeof that === 'string' ? text(at).location : undefined);
        } catch (e) {
          keep(isFleetError(e) && !e.location ? relocate(e, at) : e);
        }
      }
    }
    const src = task.args.src;
    if ((task.module === 'template' || task.module === 'copy') && typeof src === 'string' && !src.includes('{{')) {
      const at = task.argLocations.src ?? task.location;
      try {
        if (task.module === 'copy') await resolver.file(src);
        else {
          const t = await resolver.templateText(src);
          sites.push({ text: t.text, location: { file: t.path, line: 1, col: 1 }, inline: false, task, guards: g, handled: h, file: t.path });
        }
      } catch (e) {
        if (!isFleetError(e)) {
          const code = e && typeof e === 'object' && 'code' in e ? String(e.code) : String(e);
          keep(new FleetError('E_USAGE', `cannot read file '${src}': ${code}`, { location: at, cause: e }));
        } else keep(e.location ? e : relocate(e, at));
      }
    }
  };
  const visit = async (nodes: readonly TaskNode[], guards: string, handled: boolean, handler: boolean): Promise<void> => {
    for (const n of nodes) {
      if (n.kind === 'task') await visitTask(n, guards, handled, handler);
      else await visitBlock(n, guards, handled, handler);
    }
  };
  const visitBlock = async (b: Block, guards: string, handled: boolean, handler: boolean): Promise<void> => {
    for (const k of Object.keys(b.vars)) defined.add(k);
    const g = [guards, ...b.when].join('\n');
    const h = handled || b.ignoreErrors;
    await visit(b.block, g, h || b.rescue.length > 0, handler);
    await visit(b.rescue, g, h, handler);
    await visit(b.always, g, h, handler);
  };
  for (const play of playbook.plays) {
    for (const k of Object.keys(play.vars)) defined.add(k);
    await visit(play.tasks, '', false, false);
    await visit(play.handlers, '', false, true);
  }

  for (const site of sites) {
    const where = site.file !== undefined ? { file: site.file, task: site.task.name } : { location: site.location, task: site.task.name };
    let uses: RootUse[];
    try {
      checkTemplate(site.text, where);
      uses = rootVariables(site.text);
    } catch (e) {
      const placed = site.file !== undefined || (site.inline && isFleetError(e) && e.location?.line === site.location.line);
      keep(isFleetError(e) && !placed ? relocate(e, site.location) : e);
      continue;
    }
    for (const use of uses) {
      const denied = use.denied === true;
      if (!denied && (!inventory || defined.has(use.name))) continue;
      if (!denied && (site.handled || mentions(site.guards, use.name))) continue;
      const pos = { line: use.line, column: use.column };
      const location = site.file !== undefined || (site.inline && use.line === 1) ? placeOf(where, pos) ?? site.location : site.location;
      errors.push(new FleetError('E_UNDEFINED_VAR', denied
        ? `undefined variable '${use.name}' ('${use.name}' is never accessible) in task "${site.task.name}"`
        : `undefined variable '${use.name}' in task "${site.task.name}"`, {
        location,
        hint: denied ? 'templates cannot reach object internals'
          : `no host, play, block, task, register, set_fact or -e defines it; define it, or give a fallback: {{default ${use.name} "..."}}`,
      }));
    }
  }
  // document order: the playbook's own errors by place, then those in template files
  const rank = (e: FleetError): [number, number, number] =>
    e.location ? [e.location.file === playbook.file ? 0 : 1, e.location.line, e.location.col] : [2, 0, 0];
  return errors
    .map((e, i) => ({ e, i, r: rank(e) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || a.i - b.i)
    .map((x) => x.e);
}

/** Call `fn` on every string with `{{` inside a value; `top` when the value itself is the string. */
function strings(value: unknown, fn: (s: string, top: boolean) => void, depth = 0, top = true): void {
  if (typeof value === 'string') {
    if (value.includes('{{')) fn(value, top);
  } else if (Array.isArray(value) && depth < 100) {
    for (const v of value) strings(v, fn, depth + 1, false);
  } else if (value !== null && typeof value === 'object' && depth < 100) {
    for (const v of Object.values(value)) strings(v, fn, depth + 1, false);
  }
}

/** Whether conditions name a variable (as a whole word). */
function mentions(conditions: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w])${escaped}($|[^\\w])`).test(conditions);
}

/** The same error, placed at `location`. */
function relocate(e: FleetError, location: SourceLocation): FleetError {
  return new FleetError(e.code, e.message, { location, cause: e, ...(e.hint ? { hint: e.hint } : {}) });
}

/** Maps a string value's location to where its text starts (after an opening quote); block scalars are not inline. */
function contentLocator(file: string): (at: SourceLocation) => { location: SourceLocation; inline: boolean } {
  let lines: string[] | undefined;
  return (at) => {
    try {
      lines ??= readFileSync(file, 'utf8').split('\n');
    } catch {
      return { location: at, inline: false };
    }
    if (at.file !== file) return { location: at, inline: false };
    const ch = lines[at.line - 1]?.[at.col - 1];
    if (ch === '|' || ch === '>') return { location: at, inline: false };
    return { location: ch === '"' || ch === "'" ? { ...at, col: at.col + 1 } : at, inline: true };
  };
}
