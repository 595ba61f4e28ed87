/**
 * Shared planning for modules that own a file's whole content (copy, template,
 * lineinfile, replace) and for attribute changes (file).
 */
import { posix } from 'node:path';
import type { FileMeta, Op, PathState, Plan, PlanContext } from './types.ts';
import { resolveMode, type ModeSpec } from './mode.ts';

/** Wanted attributes as the user wrote them. */
export interface AttrSpec {
  mode?: ModeSpec;
  owner?: string;
  group?: string;
}

/** Concrete attribute values for an op (only the ones that must change). */
export interface AttrChanges {
  mode?: number;
  owner?: string;
  group?: string;
}

function sameId(wanted: string, name: string, id: number): boolean {
  return /^\d+$/.test(wanted) ? Number(wanted) === id : wanted === name;
}

/**
 * The attributes that differ from `meta` (all given ones when the path does not
 * exist yet, `meta` undefined). Empty object: nothing to change.
 */
export function attrChanges(meta: FileMeta | undefined, spec: AttrSpec, isDir: boolean): AttrChanges {
  const out: AttrChanges = {};
  if (spec.mode) {
    const current = meta ? meta.mode & 0o7777 : undefined;
    const wanted = resolveMode(spec.mode, current, isDir);
    if (wanted !== current) out.mode = wanted;
  }
  if (spec.owner !== undefined && !(meta && sameId(spec.owner, meta.owner, meta.uid))) out.owner = spec.owner;
  if (spec.group !== undefined && !(meta && sameId(spec.group, meta.group, meta.gid))) out.group = spec.group;
  return out;
}

export function hasChanges(c: AttrChanges): boolean {
  return c.mode !== undefined || c.owner !== undefined || c.group !== undefined;
}

/** One attrs op for `path`, or none. */
export function attrsOps(path: string, changes: AttrChanges): Op[] {
  return hasChanges(changes) ? [{ op: 'attrs', path, ...changes }] : [];
}

/** Why fleet will not edit a path of this kind as a file, or undefined for a regular file or nothing. */
export function notAFile(path: string, state: PathState): string | undefined {
  if (state.kind === 'directory') return `${path} is a directory`;
  if (state.kind === 'other') return `${path} is a ${state.type}, not a regular file; fleet does not edit it`;
  return undefined;
}

export interface FileContentOptions {
  /** Create missing parent directories (lineinfile create) instead of failing. */
  createParents?: boolean;
  /** Already-read state of `dest`, to avoid reading it twice. */
  state?: PathState;
  /** Module name to start failure messages with. */
  module?: string;
}

/**
 * Plan a file whose whole content should be `content` with attributes `attrs`:
 * no ops when it already is; one attrs op when only attributes differ; one
 * write op (carrying only the attributes that differ) when the content differs.
 */
export async function planFileContent(
  ctx: PlanContext,
  dest: string,
  content: Buffer,
  attrs: AttrSpec,
  options: FileContentOptions = {},
): Promise<Plan> {
  const fail = (message: string): Plan => ({ ops: [], fail: options.module ? `${options.module}: ${message}` : message });
  const state = options.state ?? (await ctx.facts.path(dest));
  const why = notAFile(dest, state);
  if (why) return fail(why);
  if (state.kind === 'file') {
    const changes = attrChanges(state.meta, attrs, false);
    if (state.content.equals(content)) return { ops: attrsOps(dest, changes) };
    return { ops: [{ op: 'write', path: dest, content, ...changes }] };
  }
  const ops: Op[] = [];
  const parent = posix.dirname(dest);
  const parentKind = await ctx.facts.kind(parent);
  if (parentKind === 'absent') {
    if (!options.createParents) {
      return fail(`parent directory ${parent} of ${dest} does not exist (create it first with a file task, state: directory)`);
    }
    ops.push({ op: 'mkdir', path: parent, parents: true });
  } else if (parentKind !== 'directory') {
    return fail(`parent ${parent} of ${dest} is not a directory`);
  }
  ops.push({ op: 'write', path: dest, content, ...attrChanges(undefined, attrs, false) });
  return { ops };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode UTF-8 strictly (a BOM is kept as U+FEFF); undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(content: Buffer): string | undefined {
  try {
    return utf8.decode(content);
  } catch {
    return undefined;
  }
}

export function notUtf8(module: string, path: string): string {
  return `${module}: ${path} is not valid UTF-8 text; fleet will not edit it as text (use copy or template to replace it whole)`;
}
