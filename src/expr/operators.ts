/** Arithmetic, comparison and membership, Python style. */
import type { BinaryOp, CompareOp } from './ast.ts';
import { fail, type EvalContext } from './eval-context.ts';
import { isUnknown, UNKNOWN } from './unknown.ts';
import { compareValues, isPlainObject, looseEqual, ownValue, typeName } from './values.ts';

/** Longest string or list `*` and `+` may build. */
const MAX_BUILT_LENGTH = 1 << 20;

export function arithmetic(op: BinaryOp, l: unknown, r: unknown, pos: number, ctx: EvalContext): unknown {
  const bad = (): never => fail(ctx, pos, `cannot apply '${op}' to ${typeName(l)} and ${typeName(r)}`);
  const num = typeof l === 'number' && typeof r === 'number';
  switch (op) {
    case '+':
      if (num) return l + r;
      if (typeof l === 'string' && typeof r === 'string') return sized(l + r, pos, ctx);
      if (Array.isArray(l) && Array.isArray(r)) return sized([...l, ...r], pos, ctx);
      return bad();
    case '-':
      return num ? l - r : bad();
    case '*': {
      if (num) return l * r;
      const [seq, n] = typeof r === 'number' ? [l, r] : [r, l];
      if (typeof n !== 'number' || !Number.isInteger(n)) return bad();
      const times = Math.max(0, n);
      if (typeof seq === 'string') {
        if (seq.length * times > MAX_BUILT_LENGTH) fail(ctx, pos, 'the repeated string would be too long');
        return seq.repeat(times);
      }
      if (Array.isArray(seq)) {
        if (seq.length * times > MAX_BUILT_LENGTH) fail(ctx, pos, 'the repeated list would be too long');
        const out: unknown[] = [];
        for (let i = 0; i < times; i++) out.push(...seq);
        return out;
      }
      return bad();
    }
    case '/':
    case '//':
    case '%': {
      if (!num) return bad();
      if (r === 0) fail(ctx, pos, 'division by zero');
      if (op === '/') return l / r;
      if (op === '//') return Math.floor(l / r);
      return ((l % r) + r) % r; // Python: the result has the sign of the divisor
    }
  }
}

function sized<T extends string | unknown[]>(v: T, pos: number, ctx: EvalContext): T {
  if (v.length > MAX_BUILT_LENGTH) fail(ctx, pos, 'the result would be too long');
  return v;
}

export function compareOne(op: CompareOp, l: unknown, r: unknown, pos: number, ctx: EvalContext): boolean | typeof UNKNOWN {
  if (isUnknown(l) || isUnknown(r)) return UNKNOWN;
  switch (op) {
    case '==':
      return looseEqual(l, r);
    case '!=': {
      const eq = looseEqual(l, r);
      return eq === UNKNOWN ? UNKNOWN : !eq;
    }
    case 'in':
      return contains(r, l, pos, ctx);
    case 'not in': {
      const c = contains(r, l, pos, ctx);
      return c === UNKNOWN ? UNKNOWN : !c;
    }
    default: {
      const c = compareValues(l, r);
      if (c === UNKNOWN) return UNKNOWN;
      if (typeof c !== 'number') return fail(ctx, pos, `cannot compare ${typeName(l)} and ${typeName(r)} with '${op}'`);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
  }
}

/** `needle in haystack`: substring, list membership, or mapping key. */
function contains(haystack: unknown, needle: unknown, pos: number, ctx: EvalContext): boolean | typeof UNKNOWN {
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string') fail(ctx, pos, `'in <string>' needs a string on the left, not ${typeName(needle)}`);
    return haystack.includes(needle);
  }
  if (Array.isArray(haystack)) {
    let unknown = false;
    for (const item of haystack) {
      const eq = looseEqual(item, needle);
      if (eq === true) return true;
      if (eq !== false) unknown = true;
    }
    return unknown ? UNKNOWN : false;
  }
  if (isPlainObject(haystack)) {
    if (typeof needle !== 'string' && typeof needle !== 'number') return false;
    return ownValue(haystack, String(needle)) !== undefined;
  }
  return fail(ctx, pos, `'in' needs a string, a list or a mapping on the right, not ${typeName(haystack)}`);
}
