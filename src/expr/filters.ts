/** Filters: `x | name` and `x | name(args)`. */
import { CallError, isUndef, Undef, needString, pySplit, type CallSpec } from './call.ts';
import { firstMatch } from './regex.ts';
import { containsUnknown, UNKNOWN } from './unknown.ts';
import { isPlainObject, pyStr, truthy, typeName } from './values.ts';

/** Longest string or list a filter may build (`'-' * n` is an operator, but join can be big too). */
export const MAX_RESULT_LENGTH = 1 << 20;

function toInt(v: unknown, fallback: unknown, base: unknown): unknown {
  const radix = base === undefined ? 10 : base;
  if (typeof radix !== 'number' || !Number.isInteger(radix) || radix < 2 || radix > 36) {
    throw new CallError('int: base must be an integer from 2 to 36');
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : fallback;
  if (typeof v === 'string') {
    let s = v.trim().replace(/_/g, '');
    if (radix === 16) s = s.replace(/^([+-]?)0[xX]/, '$1');
    if (radix === 8) s = s.replace(/^([+-]?)0[oO]/, '$1');
    if (radix === 2) s = s.replace(/^([+-]?)0[bB]/, '$1');
    const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, radix);
    if (new RegExp(`^[+-]?[${digits}]+$`, 'i').test(s)) return parseInt(s, radix);
    const f = radix === 10 ? toFloat(s, null) : null;
    return typeof f === 'number' && Number.isFinite(f) ? Math.trunc(f) : fallback;
  }
  return fallback;
}

function toFloat(v: unknown, fallback: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = v.trim().replace(/_/g, '').toLowerCase();
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) return Number(s);
    if (/^[+-]?(inf|infinity)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/.test(s)) return NaN;
  }
  return fallback;
}

const TRUE_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't', '1.0']);

function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return TRUE_WORDS.has(v.trim().toLowerCase());
  return false;
}

function length(v: unknown): number {
  if (typeof v === 'string') {
    let n = 0;
    for (const _ of v) n++;
    return n;
  }
  if (Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new CallError(`length: ${typeName(v)} has no length`);
}

function firstOrLast(which: 'first' | 'last', v: unknown): unknown {
  if (typeof v === 'string' || Array.isArray(v)) {
    const items = typeof v === 'string' ? Array.from(v) : v;
    // Jinja gives undefined here, so `x | first | default(...)` works.
    if (items.length === 0) return new Undef('');
    return which === 'first' ? items[0] : items[items.length - 1];
  }
  throw new CallError(`${which}: expects a list or a string, got ${typeName(v)}`);
}

function str(v: unknown): unknown {
  return containsUnknown(v) ? UNKNOWN : pyStr(v);
}

function join(v: unknown, sep: unknown): unknown {
  if (!Array.isArray(v)) throw new CallError(`join: expects a list, got ${typeName(v)}`);
  if (containsUnknown(v)) return UNKNOWN;
  const out = v.map(pyStr).join(sep === undefined ? '' : needString('join', sep));
  if (out.length > MAX_RESULT_LENGTH) throw new CallError('join: the result is too long');
  return out;
}

const DEFAULT: CallSpec = {
  min: 0,
  max: 2,
  acceptsUndefined: true,
  // Jinja: replaces undefined; with a true second argument also falsy values.
  fn: (v, [d, boolean]) => (isUndef(v) || (boolean === true && !truthy(v)) ? (d === undefined ? '' : d) : v),
};

export const FILTERS: Readonly<Record<string, CallSpec>> = {
  length: { min: 0, max: 0, fn: (v) => length(v) },
  int: { min: 0, max: 2, fn: (v, [d, base]) => toInt(v, d === undefined ? 0 : d, base) },
  float: { min: 0, max: 1, fn: (v, [d]) => toFloat(v, d === undefined ? 0 : d) },
  string: { min: 0, max: 0, fn: (v) => str(v) },
  bool: { min: 0, max: 0, fn: (v) => toBool(v) },
  lower: { min: 0, max: 0, fn: (v) => (containsUnknown(v) ? UNKNOWN : pyStr(v).toLowerCase()) },
  upper: { min: 0, max: 0, fn: (v) => (containsUnknown(v) ? UNKNOWN : pyStr(v).toUpperCase()) },
  trim: { min: 0, max: 0, fn: (v) => (containsUnknown(v) ? UNKNOWN : pyStr(v).trim()) },
  default: DEFAULT,
  d: DEFAULT,
  first: { min: 0, max: 0, fn: (v) => firstOrLast('first', v) },
  last: { min: 0, max: 0, fn: (v) => firstOrLast('last', v) },
  join: { min: 0, max: 1, fn: (v, [sep]) => join(v, sep) },
  split: { min: 0, max: 2, fn: (v, [sep, max]) => pySplit(needString('split', v), sep, max) },
  regex_search: {
    min: 1,
    max: 1,
    fn: (v, [p]) => firstMatch(needString('regex_search', p), needString('regex_search', v), false),
  },
};
