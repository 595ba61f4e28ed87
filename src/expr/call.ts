/** Shared shapes of filters, tests and methods. */

/** An undefined value in flight: only `is defined`, `default` and attribute chains accept it. */
export class Undef {
  /** The first path that was undefined, e.g. `result` or `result.stdout`. */
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
}

export function isUndef(v: unknown): v is Undef {
  return v instanceof Undef;
}

/** Thrown by a filter/test/method for a bad input or argument; becomes E_EXPRESSION. */
export class CallError extends Error {}

export interface CallSpec {
  /** Least and most number of arguments (besides the input). */
  min: number;
  max: number;
  /** The input may be undefined (an Undef). */
  acceptsUndefined?: boolean;
  fn(input: unknown, args: unknown[]): unknown;
}

export function needString(what: string, v: unknown): string {
  if (typeof v !== 'string') throw new CallError(`${what} expects a string, got ${typeNameOf(v)}`);
  return v;
}

function typeNameOf(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}

/** Python `str.split(sep, maxsplit)`; without `sep`, splits on runs of whitespace. */
export function pySplit(s: string, sep: unknown, maxsplit: unknown): string[] {
  const limit = typeof maxsplit === 'number' && maxsplit >= 0 ? Math.floor(maxsplit) : -1;
  if (sep === undefined || sep === null) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (limit >= 0 && out.length === limit) {
        out.push(rest.replace(/\s+$/, ''));
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const separator = needString('split', sep);
  if (separator === '') throw new CallError('split: empty separator');
  const parts = s.split(separator);
  if (limit < 0 || parts.length <= limit + 1) return parts;
  return [...parts.slice(0, limit), parts.slice(limit).join(separator)];
}

/** Python `str.strip(chars)` on one or both ends. */
export function pyStrip(s: string, chars: unknown, left: boolean, right: boolean): string {
  if (chars === undefined || chars === null) {
    let out = s;
    if (left) out = out.replace(/^\s+/, '');
    if (right) out = out.replace(/\s+$/, '');
    return out;
  }
  const set = new Set(needString('strip', chars));
  let start = 0;
  let end = s.length;
  if (left) while (start < end && set.has(s[start])) start++;
  if (right) while (end > start && set.has(s[end - 1])) end--;
  return s.slice(start, end);
}
