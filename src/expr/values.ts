/** Value semantics shared by expressions and templates (Python/Jinja flavoured). */
import { isUnknown, UNKNOWN } from './unknown.ts';

/** Names that are never reachable, even when present as own properties. */
export const DENIED_NAMES: ReadonlySet<string> = new Set([
  '__proto__', 'constructor', 'prototype',
  '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);

export type PlainObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PlainObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** An own, non-denied property of a plain object/array, or `undefined`. */
export function ownValue(container: unknown, key: string): unknown {
  if (DENIED_NAMES.has(key)) return undefined;
  if (!isPlainObject(container) && !Array.isArray(container)) return undefined;
  if (!Object.hasOwn(container, key)) return undefined;
  const v: unknown = (container as PlainObject)[key];
  return typeof v === 'function' ? undefined : v;
}

/** Python truthiness: '', [], {}, 0, null, false are false. Unknown values must be checked first. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** A short type name for messages, Python style. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'list';
  if (isUnknown(v)) return 'unknown';
  if (isPlainObject(v)) return 'mapping';
  return typeof v;
}

/** Python-like `str()`: True/False/None for booleans and null, JSON for lists and mappings. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

/** Deep equality, Python style (`1 == 1.0`, lists and mappings by content). May be UNKNOWN. */
export function looseEqual(a: unknown, b: unknown, depth = 0): boolean | typeof UNKNOWN {
  if (isUnknown(a) || isUnknown(b)) return UNKNOWN;
  if (a === b) return true;
  if (depth > 64) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    let unknown = false;
    for (let i = 0; i < a.length; i++) {
      const r = looseEqual(a[i], b[i], depth + 1);
      if (r === false) return false;
      if (r !== true) unknown = true;
    }
    return unknown ? UNKNOWN : true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    let unknown = false;
    for (const k of ka) {
      if (!Object.hasOwn(b, k)) return false;
      const r = looseEqual(a[k], b[k], depth + 1);
      if (r === false) return false;
      if (r !== true) unknown = true;
    }
    return unknown ? UNKNOWN : true;
  }
  return false;
}

/**
 * Ordering, Python 3 style: numbers with numbers, strings with strings, lists
 * element-wise. Returns negative/0/positive, UNKNOWN, or null when the types
 * cannot be compared.
 */
export function compareValues(a: unknown, b: unknown, depth = 0): number | null | typeof UNKNOWN {
  if (isUnknown(a) || isUnknown(b)) return UNKNOWN;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : null;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b) && depth <= 64) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const eq = looseEqual(a[i], b[i]);
      if (eq === true) continue;
      if (eq !== false) return UNKNOWN;
      return compareValues(a[i], b[i], depth + 1);
    }
    return a.length - b.length;
  }
  return null;
}
