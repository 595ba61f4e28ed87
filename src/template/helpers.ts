/** Template helpers. Every helper checks its arguments; anything else is an error. */
import type { HelperOptions } from 'handlebars';
import { shq } from '../core/shell.ts';
import { isFleetError } from '../errors/fleet-error.ts';
import { looseEqual, truthy } from '../expr/values.ts';
import { joinPath, type SafeData } from './safe-data.ts';

/** A helper's complaint; the renderer adds the task, file and line. */
export class HelperError extends Error {
  readonly code: 'E_TEMPLATE' | 'E_UNDEFINED_VAR';
  readonly line?: number;
  readonly column?: number;
  constructor(code: 'E_TEMPLATE' | 'E_UNDEFINED_VAR', message: string, options?: HelperOptions) {
    super(message);
    this.name = 'HelperError';
    this.code = code;
    const loc = (options as { loc?: { start?: { line: number; column: number } } } | undefined)?.loc;
    if (loc?.start) {
      this.line = loc.start.line;
      this.column = loc.start.column;
    }
  }
}

type Helper = (this: unknown, ...args: unknown[]) => unknown;

/** Helpers templates may call. */
export const PUBLIC_HELPERS: ReadonlySet<string> = new Set([
  'quote', 'json', 'default', 'join', 'eq', 'ne', 'and', 'or', 'not', 'indent', 'lookup',
  'if', 'unless', 'each', 'with',
]);

/** Internal helper for optional paths: `default`'s and `if`'s first argument. */
export const OPTIONAL_PATH_HELPER = '__opt';
/** Internal helper every `{{ ... }}` output goes through: mappings and lists render as JSON. */
export const OUTPUT_HELPER = '__out';

/** Split `(args..., options)` and check the count. */
function split(name: string, args: unknown[], min: number, max: number): { params: unknown[]; options: HelperOptions } {
  const options = args[args.length - 1] as HelperOptions;
  const params = args.slice(0, -1);
  if (params.length < min || params.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new HelperError('E_TEMPLATE', `helper '${name}' takes ${want} argument${max === 1 ? '' : 's'}, got ${params.length}`, options);
  }
  return { params, options };
}

/** Items of a list (data proxies have no array methods of their own). */
function items(list: unknown[]): unknown[] {
  return Array.prototype.slice.call(list);
}

function kind(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : typeof v;
}

function quoteWord(v: unknown, options: HelperOptions): string {
  if (v === null) return "''";
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    throw new HelperError('E_TEMPLATE', `quote: cannot quote ${kind(v)}`, options);
  }
  try {
    return shq(typeof v === 'boolean' ? String(v) : v);
  } catch (e) {
    if (isFleetError(e)) throw new HelperError('E_TEMPLATE', `quote: ${e.message}`, options);
    throw e;
  }
}

/** Helpers bound to the current render's data (set while a template runs). */
export function makeHelpers(current: () => SafeData): Record<string, Helper> {
  return {
    quote(...args) {
      const { params: [v], options } = split('quote', args, 1, 1);
      if (Array.isArray(v)) return items(v).map((item) => quoteWord(item, options)).join(' ');
      return quoteWord(v, options);
    },
    json(...args) {
      const { params: [v], options } = split('json', args, 1, 1);
      if (v === undefined) throw new HelperError('E_TEMPLATE', 'json: the value is undefined', options);
      const indent: unknown = options.hash?.indent;
      return JSON.stringify(v, null, typeof indent === 'number' ? indent : undefined);
    },
    default(...args) {
      const { params: [v, fallback] } = split('default', args, 2, 2);
      return v === undefined || v === null ? fallback : v;
    },
    join(...args) {
      const { params: [list, sep], options } = split('join', args, 1, 2);
      if (!Array.isArray(list)) throw new HelperError('E_TEMPLATE', `join: expects a list, got ${kind(list)}`, options);
      if (sep !== undefined && typeof sep !== 'string') {
        throw new HelperError('E_TEMPLATE', 'join: the separator must be a string', options);
      }
      return items(list).map((item) => (typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item))).join(sep ?? '');
    },
    eq(...args) {
      const { params: [a, b] } = split('eq', args, 2, 2);
      return looseEqual(a, b) === true;
    },
    ne(...args) {
      const { params: [a, b] } = split('ne', args, 2, 2);
      return looseEqual(a, b) !== true;
    },
    and(...args) {
      return split('and', args, 1, Infinity).params.every((v) => truthy(v));
    },
    or(...args) {
      return split('or', args, 1, Infinity).params.some((v) => truthy(v));
    },
    not(...args) {
      return !truthy(split('not', args, 1, 1).params[0]);
    },
    indent(...args) {
      const { params: [text, n], options } = split('indent', args, 2, 2);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1000) {
        throw new HelperError('E_TEMPLATE', 'indent: the width must be a whole number from 0 to 1000', options);
      }
      if (typeof text !== 'string') throw new HelperError('E_TEMPLATE', `indent: expects a string, got ${kind(text)}`, options);
      const pad = ' '.repeat(n);
      return text.replace(/^(?=[^\r\n])/gm, pad);
    },
    lookup(...args) {
      const { params: [obj, key], options } = split('lookup', args, 2, 2);
      const name = typeof key === 'number' ? String(key) : key;
      if (typeof name !== 'string') throw new HelperError('E_TEMPLATE', 'lookup: the key must be a string or a number', options);
      const base = current().pathOf(obj) ?? '(value)';
      const isObject = typeof obj === 'object' && obj !== null;
      if (!isObject || !Object.hasOwn(obj, name)) {
        throw new HelperError('E_UNDEFINED_VAR', `undefined variable '${joinPath(base, name, Array.isArray(obj))}'`, options);
      }
      return (obj as Record<string, unknown>)[name];
    },
    [OUTPUT_HELPER](...args) {
      const { params: [v] } = split(OUTPUT_HELPER, args, 1, 1);
      if (v === undefined || v === null) return '';
      if (typeof v === 'object') return JSON.stringify(v);
      return String(v);
    },
    [OPTIONAL_PATH_HELPER](...args) {
      // args: the base (context or block parameter), the path's parts, then options. Missing anywhere: undefined.
      let cur: unknown = args[0];
      for (const part of args.slice(1, -1)) {
        if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, part as string)) return undefined;
        cur = (cur as Record<string, unknown>)[part as string];
      }
      return cur;
    },
  };
}
