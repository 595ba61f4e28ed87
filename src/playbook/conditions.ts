/** Conditions (when, until, changed_when, failed_when): normalised to strings and syntax-checked. */
import { isFleetError } from '../errors/fleet-error.ts';
import { compileExpression } from '../expr/index.ts';
import type { Collector, Path } from './context.ts';
import { describeType, has, type RawMap } from './read.ts';

/**
 * Syntax-check one expression at load time. The expression compiler reports
 * errors relative to the location it is given (where the string's text starts).
 */
export function checkExpression(c: Collector, source: string, path: Path): void {
  try {
    compileExpression(source, c.contentAt(path));
  } catch (e) {
    if (isFleetError(e)) c.add(e);
    else throw e;
  }
}

function condition(c: Collector, v: unknown, key: string, path: Path): string | undefined {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') {
    if (v.trim() === '') {
      c.error(path, `'${key}' must not be empty`);
      return undefined;
    }
    checkExpression(c, v, path);
    return v;
  }
  c.error(path, `'${key}' must be a condition (a string or true/false), not ${describeType(v)}`);
  return undefined;
}

/** `when: a`, `when: [a, b]`, `when: true`: all must hold. */
export function readConditions(
  c: Collector,
  obj: RawMap,
  key: string,
  path: Path,
): string[] | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  if (!Array.isArray(v)) {
    const one = condition(c, v, key, [...path, key]);
    return one === undefined ? undefined : [one];
  }
  const out: string[] = [];
  v.forEach((item, i) => {
    const one = condition(c, item, key, [...path, key, i]);
    if (one !== undefined) out.push(one);
  });
  return out.length === v.length ? out : undefined;
}

/** A single condition (`until`). */
export function readCondition(
  c: Collector,
  obj: RawMap,
  key: string,
  path: Path,
): string | undefined {
  if (!has(obj, key)) return undefined;
  return condition(c, obj[key], key, [...path, key]);
}
