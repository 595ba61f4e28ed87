/** Typed reads of plain YAML values, reporting wrong types at the value's node. */
import type { Collector, Path } from './context.ts';
import { didYouMean } from './suggest.ts';
import { isIdentifier } from './keywords.ts';

export type RawMap = Record<string, unknown>;

export function isMapping(v: unknown): v is RawMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function has(obj: RawMap, key: string): boolean {
  return Object.hasOwn(obj, key);
}

/** A user-written name for a message, cut short when it is long. */
export function shown(s: string): string {
  const one = s.replace(/[\r\n\t]/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

/** What a YAML value is, for messages. */
export function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return `a boolean (${v})`;
  if (typeof v === 'number') return `a number (${v})`;
  return typeof v;
}

function wrongType(c: Collector, path: Path, key: string, expected: string, v: unknown): undefined {
  c.error(path, `'${key}' must be ${expected}, not ${describeType(v)}`);
  return undefined;
}

/**
 * Report every key of `obj` not in `allowed` (at the key, with the closest allowed key).
 * Returns the unknown keys.
 */
export function checkKeys(
  c: Collector,
  obj: RawMap,
  path: Path,
  allowed: readonly string[],
  what: string,
): string[] {
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k));
  for (const k of unknown) {
    c.error([...path, k], `unknown key '${shown(k)}' in ${what}${didYouMean(k, allowed)}`, {
      key: true,
      hint: `allowed keys: ${allowed.join(', ')}`,
    });
  }
  return unknown;
}

export function readString(c: Collector, obj: RawMap, key: string, path: Path): string | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  if (typeof v === 'string') return v;
  return wrongType(c, [...path, key], key, 'a string', v);
}

export function readBool(c: Collector, obj: RawMap, key: string, path: Path): boolean | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  if (typeof v === 'boolean') return v;
  return wrongType(c, [...path, key], key, 'true or false', v);
}

export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  /** Strictly greater than zero. */
  positive?: boolean;
}

export function readNumber(
  c: Collector,
  obj: RawMap,
  key: string,
  path: Path,
  rule: NumberRule = {},
): number | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  const p = [...path, key];
  const expected = rule.integer ? 'an integer' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v)) return wrongType(c, p, key, expected, v);
  if (rule.integer && !Number.isInteger(v)) return wrongType(c, p, key, expected, v);
  if (rule.positive && v <= 0) {
    c.error(p, `'${key}' must be greater than 0, not ${v}`);
    return undefined;
  }
  if ((rule.min !== undefined && v < rule.min) || (rule.max !== undefined && v > rule.max)) {
    c.error(p, `'${key}' must be between ${rule.min ?? '-∞'} and ${rule.max ?? '∞'}, not ${v}`);
    return undefined;
  }
  return v;
}

/** A string or a list of strings (`tags: a` or `tags: [a, b]`). */
export function readStringList(
  c: Collector,
  obj: RawMap,
  key: string,
  path: Path,
): string[] | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return wrongType(c, [...path, key], key, 'a string or a list of strings', v);
  const out: string[] = [];
  let ok = true;
  v.forEach((item, i) => {
    if (typeof item === 'string') out.push(item);
    else {
      ok = false;
      c.error([...path, key, i], `each item of '${key}' must be a string, not ${describeType(item)}`);
    }
  });
  return ok ? out : undefined;
}

/** A mapping (null counts as empty). */
export function readMapping(c: Collector, obj: RawMap, key: string, path: Path): RawMap | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  if (v === null) return {};
  if (isMapping(v)) return v;
  return wrongType(c, [...path, key], key, 'a mapping', v);
}

/** A list (null counts as empty). */
export function readList(c: Collector, obj: RawMap, key: string, path: Path): unknown[] | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  return wrongType(c, [...path, key], key, 'a list', v);
}

/** Union of tag lists, first occurrence wins the position. */
export function mergeTags(...lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())];
}

/** `vars:`: a mapping whose keys are variable names. */
export function readVars(c: Collector, obj: RawMap, path: Path): Record<string, unknown> {
  const vars = readMapping(c, obj, 'vars', path);
  if (!vars) return {};
  for (const name of Object.keys(vars)) {
    if (!isIdentifier(name)) {
      c.error([...path, 'vars', name], `'${shown(name)}' is not a valid variable name`, {
        key: true,
        hint: 'variable names are letters, digits and _, not starting with a digit',
      });
    }
  }
  return { ...vars };
}
