/** `"{{ groups.workers }}"`: a string that is one variable path renders to the value itself. */
import { containsUnknown, isUnknown, UnknownValueError } from '../expr/unknown.ts';
import { ownValue } from '../expr/values.ts';
import { undefinedVariable, unknownValue, type RenderWhere } from './errors.ts';
import { PUBLIC_HELPERS } from './helpers.ts';
import { joinPath } from './safe-data.ts';

const SINGLE_PATH = /^\{\{\s*([A-Za-z_]\w*(?:\.[\w-]+|\[\d+\])*)\s*\}\}$/;
const SEGMENT = /\.([\w-]+)|\[(\d+)\]/g;
/** Words handlebars gives another meaning. */
const NOT_VARIABLES: ReadonlySet<string> = new Set(['this', 'else', 'true', 'false', 'null', 'undefined']);

/** The path's segments when `text` is exactly one mustache naming a variable path. */
export function singlePath(text: string): string[] | undefined {
  const m = SINGLE_PATH.exec(text);
  if (!m) return undefined;
  const path = m[1];
  const first = /^[A-Za-z_]\w*/.exec(path)![0];
  if (NOT_VARIABLES.has(first)) return undefined;
  const segments = [first];
  for (const s of path.slice(first.length).matchAll(SEGMENT)) segments.push(s[1] ?? s[2]);
  if (segments.length === 1 && PUBLIC_HELPERS.has(first)) return undefined; // a helper call
  return segments;
}

/** The value at a path, type preserved. Strict: a missing step is E_UNDEFINED_VAR. */
export function resolvePath(vars: Record<string, unknown>, segments: string[], where: RenderWhere): unknown {
  let cur: unknown = vars;
  let path = '';
  for (const segment of segments) {
    const next = joinPath(path, segment, Array.isArray(cur));
    const value = ownValue(cur, segment);
    if (value === undefined) throw undefinedVariable(next, where, undefined);
    if (isUnknown(value)) {
      throw unknownValue(new UnknownValueError(`'${next}' is unknown until the task that sets it runs`, [next]), where);
    }
    cur = value;
    path = next;
  }
  if (containsUnknown(cur)) {
    throw unknownValue(new UnknownValueError(`part of '${path}' is unknown until the task that sets it runs`, [path]), where);
  }
  return cur;
}
