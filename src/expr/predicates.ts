/** Tests: `x is name`, `x is not name`, `x is name(args)`. */
import { CallError, isUndef, needString, type CallSpec } from './call.ts';
import { firstMatch } from './regex.ts';
import { isUnknown, UNKNOWN } from './unknown.ts';
import { isPlainObject, ownValue, truthy, typeName } from './values.ts';

/** Ansible: a registered result's `failed`/`changed`/`skipped` flag (absent means false). */
function resultFlag(test: string, field: string, v: unknown): boolean | typeof UNKNOWN {
  if (!isPlainObject(v)) {
    throw new CallError(`the '${test}' test expects a registered result (a mapping), got ${typeName(v)}`);
  }
  const flag = ownValue(v, field);
  if (isUnknown(flag)) return UNKNOWN;
  return truthy(flag);
}

function negate(r: boolean | typeof UNKNOWN): boolean | typeof UNKNOWN {
  return r === UNKNOWN ? UNKNOWN : !r;
}

const succeeded: CallSpec = { min: 0, max: 0, fn: (v) => negate(resultFlag('succeeded', 'failed', v)) };
const failed: CallSpec = { min: 0, max: 0, fn: (v) => resultFlag('failed', 'failed', v) };

export const TESTS: Readonly<Record<string, CallSpec>> = {
  defined: { min: 0, max: 0, acceptsUndefined: true, fn: (v) => !isUndef(v) },
  undefined: { min: 0, max: 0, acceptsUndefined: true, fn: (v) => isUndef(v) },
  none: { min: 0, max: 0, fn: (v) => v === null },
  number: { min: 0, max: 0, fn: (v) => typeof v === 'number' },
  string: { min: 0, max: 0, fn: (v) => typeof v === 'string' },
  mapping: { min: 0, max: 0, fn: (v) => isPlainObject(v) },
  // Like Jinja, strings are sequences; unlike Jinja, mappings are not (test them with `mapping`).
  sequence: { min: 0, max: 0, fn: (v) => Array.isArray(v) || typeof v === 'string' },
  succeeded,
  success: succeeded,
  failed,
  failure: failed,
  changed: { min: 0, max: 0, fn: (v) => resultFlag('changed', 'changed', v) },
  skipped: { min: 0, max: 0, fn: (v) => resultFlag('skipped', 'skipped', v) },
  match: {
    min: 1,
    max: 1,
    fn: (v, [p]) => firstMatch(needString('match', p), needString("the 'match' test", v), true) !== null,
  },
  search: {
    min: 1,
    max: 1,
    fn: (v, [p]) => firstMatch(needString('search', p), needString("the 'search' test", v), false) !== null,
  },
};
